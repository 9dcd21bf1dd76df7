"""When a throttled request is sent again, and after how long."""

from __future__ import annotations

import email.utils
import time

import pytest

from conformance.flow_control import (
    RETRY_WAIT_CAP_S,
    backoff_s,
    is_billable,
    server_wait_s,
    should_retry,
)


def test_retry_after_forms() -> None:
    assert server_wait_s({"Retry-After": "2"}) == 2
    assert server_wait_s({"retry-after": "1.5"}) == 1.5
    assert server_wait_s({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    later = email.utils.formatdate(time.time() + 20, usegmt=True)
    wait = server_wait_s({"Retry-After": later})
    assert wait is not None and 18 <= wait <= 21
    assert server_wait_s({"Retry-After": "soon"}) is None
    assert server_wait_s({"Retry-After": "-3"}) is None
    assert server_wait_s({"Retry-After": "nan"}) is None
    assert server_wait_s({}) is None


def test_waits_are_capped_and_jittered() -> None:
    assert backoff_s(0, {"Retry-After": "3600"}) == RETRY_WAIT_CAP_S
    for attempt, ceiling in [(0, 0.5), (3, 4.0), (10, 8.0)]:
        wait = backoff_s(attempt, {})
        assert 0.75 * ceiling <= wait <= ceiling


@pytest.mark.parametrize(
    ("method", "path", "billable"),
    [
        ("POST", "/videos", True),
        ("POST", "/v1/videos/", True),
        ("POST", "/videos/video_1/remix", True),
        ("GET", "/videos", False),
        ("DELETE", "/videos/video_1", False),
    ],
)
def test_billable_routes(method: str, path: str, billable: bool) -> None:
    assert is_billable(method, path) is billable


def test_creates_retry_only_on_answers_that_prove_no_job() -> None:
    assert should_retry("POST", "/videos", 429, {})
    assert should_retry("POST", "/videos", 503, {"Retry-After": "1"})
    assert not should_retry("POST", "/videos", 503, {})
    assert not should_retry("POST", "/videos", 500, {"Retry-After": "1"})
    assert should_retry("GET", "/videos/v", 503, {})
    assert not should_retry("GET", "/videos/v", 404, {})


def test_retry_after_zero_cannot_make_a_busy_loop() -> None:
    waits = [backoff_s(n, {"Retry-After": "0"}) for n in range(8)]
    assert waits[0] == pytest.approx(0.1) and waits[3] == pytest.approx(0.8)
    assert sum(waits) > 10  # eight answers take over ten seconds, not a burst

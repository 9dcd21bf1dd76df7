"""``Client`` against a hostile server: every request ends within its deadline, with the kind of
failure that says whose it is, no key in any message or exchange, nothing sent cross-origin."""

from __future__ import annotations

import time

import pytest

from conformance.client import (
    Client,
    ProviderFault,
    RunDeadlineExceeded,
    Throttled,
    TransportFailure,
    Unreachable,
)
from conformance.config import Target
from conformance.redact import register_secret

from .server import HostileServer

KEY = "sk-hostile-test-key-0123456789abcdef"
register_secret(KEY)


def _client(
    server: HostileServer,
    behaviour: str,
    *,
    request_timeout: float = 3.0,
    retry_deadline: float = 4.0,
    auth: str = "both",
    deadline: float | None = None,
) -> Client:
    target = Target(
        name="hostile",
        base_url=server.url(behaviour),
        api_key=KEY,
        auth=auth,  # type: ignore[arg-type]
        request_timeout_s=request_timeout,
        deadline_s=deadline,
    )
    return Client(target, retry_deadline_s=retry_deadline)


def _assert_no_key(failure: TransportFailure) -> None:
    assert KEY not in str(failure)
    assert failure.exchange is not None
    assert KEY not in repr(failure.exchange)


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("reset", "malformed or cut-off"),
        ("short-body", "malformed or cut-off"),
        ("bad-chunking", "malformed or cut-off"),
        ("empty", "malformed or cut-off"),
        ("http09", "malformed or cut-off"),
        ("tls", "malformed or cut-off"),
        ("many-headers", ""),
        ("deep-json", None),
    ],
)
def test_broken_http_is_a_provider_fault(
    hostile: HostileServer, behaviour: str, words: str | None
) -> None:
    with _client(hostile, behaviour) as client:
        started = time.monotonic()
        if words is None:
            response = client.retrieve("video_hostile1")
            assert response.json() is None
            assert "nested" in (response.json_problem or "")
            return
        with pytest.raises(ProviderFault) as caught:
            client.retrieve("video_hostile1")
        assert time.monotonic() - started < 3
    assert words in str(caught.value)
    _assert_no_key(caught.value)


def test_transient_failures_of_a_get_are_retried(hostile: HostileServer) -> None:
    with _client(hostile, "reset") as client, pytest.raises(ProviderFault):
        client.retrieve("video_hostile1")
    assert client.retries == 2
    assert client.request_count == 3


def test_a_create_is_not_resent_after_a_reset(hostile: HostileServer) -> None:
    with _client(hostile, "reset") as client, pytest.raises(ProviderFault):
        client.create({"prompt": "p"})
    assert client.request_count == 1


@pytest.mark.parametrize("behaviour", ["huge-json", "gzip-bomb"])
def test_oversized_bodies_are_cut_at_the_cap(hostile: HostileServer, behaviour: str) -> None:
    with _client(hostile, behaviour) as client, pytest.raises(ProviderFault) as caught:
        client.retrieve("video_hostile1")
    assert "over 8388608 bytes" in str(caught.value)
    _assert_no_key(caught.value)


def test_endless_media_is_cut_at_the_media_cap(hostile: HostileServer) -> None:
    with _client(hostile, "endless") as client, pytest.raises(ProviderFault) as caught:
        client.content("video_hostile1", max_bytes=16 * 1024 * 1024)
    assert "over 16777216 bytes" in str(caught.value)


@pytest.mark.slow
@pytest.mark.parametrize("behaviour", ["trickle", "trickle-body", "silent"])
def test_total_deadline_holds_against_slow_servers(hostile: HostileServer, behaviour: str) -> None:
    with _client(hostile, behaviour, request_timeout=2.0) as client:
        started = time.monotonic()
        with pytest.raises(ProviderFault) as caught:
            client.retrieve("video_hostile1")
        elapsed = time.monotonic() - started
    # Three attempts at most (the first plus two transient re-sends), each within 2 s.
    assert elapsed < 2 * 3 + 1.5
    assert "no complete response within 2 s" in str(caught.value)
    _assert_no_key(caught.value)


def test_unreachable_when_nothing_listens() -> None:
    target = Target(name="none", base_url="http://127.0.0.1:9/v1", api_key=KEY)
    with Client(target) as client, pytest.raises(Unreachable) as caught:
        client.retrieve("video_1")
    _assert_no_key(caught.value)


def test_cross_origin_redirect_carries_no_credentials(
    hostile: HostileServer, other_origin: HostileServer
) -> None:
    other_origin.received.clear()
    with _client(hostile, "redirect-other") as client:
        response = client.content("video_hostile1")
    assert response.status == 200
    assert response.redirects[0].cross_origin and response.redirects[0].credentials_dropped
    assert other_origin.received, "the redirect was not followed"
    for request in other_origin.received:
        assert KEY not in repr(request.headers)
        assert not {"authorization", "x-api-key", "api-key", "cookie"} & set(request.headers)


def test_a_header_carrying_the_key_is_dropped_cross_origin(
    hostile: HostileServer, other_origin: HostileServer
) -> None:
    other_origin.received.clear()
    with _client(hostile, "redirect-other") as client:
        client.request(
            "GET", "/videos/video_hostile1/content", headers={"X-Custom-Token": f"t={KEY}"}
        )
    assert other_origin.received
    assert KEY not in repr([r.headers for r in other_origin.received])


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [("redirect-file", "unsafe redirect"), ("redirect-loop", "redirect loop")],
)
def test_unsafe_redirects_are_provider_faults(
    hostile: HostileServer, behaviour: str, words: str
) -> None:
    with _client(hostile, behaviour) as client, pytest.raises(ProviderFault) as caught:
        client.content("video_hostile1")
    assert words in str(caught.value)


def test_a_key_echoed_by_the_provider_is_redacted(hostile: HostileServer) -> None:
    with _client(hostile, "echo-key") as client, client.capture() as log:
        response = client.retrieve("video_hostile1")
    assert response.status == 401
    assert KEY not in repr(log)
    assert KEY not in repr(client.error_responses[0].exchange)


def test_one_429_with_retry_after_is_waited_out(hostile: HostileServer) -> None:
    with _client(hostile, "throttle-once") as client:
        started = time.monotonic()
        response = client.create({"prompt": "p", "model": "sora-2"})
        elapsed = time.monotonic() - started
    assert response.status == 200
    assert client.throttles == 1 and client.retries == 1
    assert 0.9 < elapsed < 2.5
    assert not client.error_responses


def test_retry_after_ms_is_honoured(hostile: HostileServer) -> None:
    with _client(hostile, "throttle-ms") as client:
        started = time.monotonic()
        assert client.retrieve("video_ms").status == 200
        assert 0.15 < time.monotonic() - started < 1.0


@pytest.mark.slow
def test_a_429_storm_ends_throttled_within_the_retry_deadline(hostile: HostileServer) -> None:
    with _client(hostile, "throttle-after", retry_deadline=2.5) as client:
        started = time.monotonic()
        with pytest.raises(Throttled) as caught:
            client.retrieve("video_hostile1")
        assert time.monotonic() - started < 3.0
    assert client.throttles >= 2
    assert caught.value.exchange is not None and caught.value.exchange.status == 429
    _assert_no_key(caught.value)


def test_a_check_of_429_itself_can_opt_out(hostile: HostileServer) -> None:
    with _client(hostile, "throttle-after") as client:
        response = client.request("GET", "/videos/v", retry_throttled=False)
    assert response.status == 429 and client.throttles == 0


def test_a_503_without_retry_after_is_not_resent_for_a_create(hostile: HostileServer) -> None:
    with _client(hostile, "unavailable") as client:
        assert client.create({"prompt": "p"}).status == 503
        assert client.request_count == 1


def test_a_503_with_retry_after_is_resent_for_a_create(hostile: HostileServer) -> None:
    with _client(hostile, "unavailable-once") as client:
        assert client.create({"prompt": "p"}).status == 200
        assert client.request_count == 2


def test_nothing_is_sent_after_the_run_deadline(hostile: HostileServer) -> None:
    with _client(hostile, "ok", deadline=0.5) as client:
        assert client.retrieve("video_hostile1").status == 200
        time.sleep(0.6)
        with pytest.raises(RunDeadlineExceeded):
            client.retrieve("video_hostile1")
        assert client.request_count == 1


def test_a_429_storm_without_retry_after_backs_off_then_ends_throttled(
    hostile: HostileServer,
) -> None:
    with _client(hostile, "throttle-bare", retry_deadline=1.2) as client:
        started = time.monotonic()
        with pytest.raises(Throttled):
            client.retrieve("video_hostile1")
        elapsed = time.monotonic() - started
    # Backoff 0.5 s then 1 s (less up to 25 % jitter): two or three answers, not a burst.
    assert 2 <= client.request_count <= 3
    assert elapsed < 1.5


def test_a_cut_off_body_keeps_the_status_and_headers_as_evidence(hostile: HostileServer) -> None:
    with _client(hostile, "short-body") as client, pytest.raises(ProviderFault) as caught:
        client.retrieve("video_hostile1")
    exchange = caught.value.exchange
    assert exchange is not None and exchange.status == 200
    assert exchange.response_headers.get("content-length") == "1000"
    assert exchange.error and "cut-off" in exchange.error

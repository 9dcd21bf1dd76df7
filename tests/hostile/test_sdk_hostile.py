"""The SDK oracle (``sdk.sdk_client``) against a hostile server: credentials stay at the
target's origin, every call ends within its deadline with a provider fault or a network error
as appropriate, flow control is waited out, and no billable create is sent twice."""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance.config import Target
from conformance.redact import register_secret
from conformance.sdk import (
    SdkTranscript,
    describe_sdk_error,
    is_network_error,
    is_provider_fault,
    quiet,
    sdk_client,
)

from .server import HostileServer

KEY = "sk-hostile-sdk-key-0123456789abcdef"
register_secret(KEY)


def _target(server: HostileServer, behaviour: str, timeout: float = 3.0) -> Target:
    return Target(
        name="hostile",
        base_url=server.url(behaviour),
        api_key=KEY,
        auth="both",
        request_timeout_s=timeout,
    )


def _call(target: Target, what: str) -> tuple[Any, Exception | None, SdkTranscript]:
    transcript = SdkTranscript()
    client = sdk_client(target, transcript, strict=False)
    try:
        with quiet():
            if what == "create":
                return client.videos.create(prompt="p", model="sora-2"), None, transcript
            if what == "content":
                return client.videos.download_content("video_hostile1"), None, transcript
            return client.videos.retrieve("video_hostile1"), None, transcript
    except Exception as exc:  # what the SDK raised is the result under test
        return None, exc, transcript
    finally:
        client.close()


def test_cross_origin_redirect_carries_no_key(
    hostile: HostileServer, other_origin: HostileServer
) -> None:
    other_origin.received.clear()
    value, error, _ = _call(_target(hostile, "redirect-other"), "content")
    assert error is None and value is not None
    assert other_origin.received, "the redirect was not followed"
    for request in other_origin.received:
        assert KEY not in repr(request.headers)
        assert not {"authorization", "x-api-key", "api-key", "cookie"} & set(request.headers)


@pytest.mark.parametrize("behaviour", ["huge-json", "gzip-bomb"])
def test_oversized_bodies_are_provider_faults(hostile: HostileServer, behaviour: str) -> None:
    _, error, _ = _call(_target(hostile, behaviour), "retrieve")
    assert error is not None and is_provider_fault(error) and not is_network_error(error)
    assert "over 8388608 bytes" in describe_sdk_error(error)


def test_endless_content_is_a_provider_fault(hostile: HostileServer) -> None:
    _, error, _ = _call(_target(hostile, "endless"), "content")
    assert error is not None and is_provider_fault(error)
    assert "bytes" in describe_sdk_error(error)


@pytest.mark.parametrize("behaviour", ["reset", "bad-chunking", "many-headers", "tls"])
def test_broken_http_is_a_provider_fault_not_a_network_error(
    hostile: HostileServer, behaviour: str
) -> None:
    _, error, _ = _call(_target(hostile, behaviour), "retrieve")
    assert error is not None and is_provider_fault(error), repr(error)
    assert KEY not in describe_sdk_error(error)


def test_a_reset_create_is_sent_once(hostile: HostileServer) -> None:
    before = sum(r.method == "POST" for r in hostile.received)
    _, error, _ = _call(_target(hostile, "reset"), "create")
    assert error is not None and is_provider_fault(error)
    assert sum(r.method == "POST" for r in hostile.received) == before + 1


def test_a_503_without_retry_after_create_is_sent_once(hostile: HostileServer) -> None:
    before = sum(r.method == "POST" for r in hostile.received)
    _, error, _ = _call(_target(hostile, "unavailable"), "create")
    assert error is not None
    assert sum(r.method == "POST" for r in hostile.received) == before + 1


def test_one_429_on_create_is_waited_out(hostile: HostileServer) -> None:
    video, error, transcript = _call(_target(hostile, "throttle-once"), "create")
    assert error is None and video is not None
    assert [e.status for e in transcript.exchanges] == [429, 200]
    assert transcript.throttles == 1


def test_unreachable_is_a_network_error() -> None:
    target = Target(name="none", base_url="http://127.0.0.1:9/v1", api_key=KEY)
    transcript = SdkTranscript()
    client = sdk_client(target, transcript, strict=False)
    client = client.with_options(max_retries=0)
    with quiet(), pytest.raises(Exception) as caught:
        client.videos.retrieve("video_1")
    assert is_network_error(caught.value)


@pytest.mark.slow
def test_a_trickling_server_cannot_hold_the_sdk(hostile: HostileServer) -> None:
    started = time.monotonic()
    _, error, _ = _call(_target(hostile, "trickle", timeout=2.0), "retrieve")
    assert time.monotonic() - started < 3.5
    assert error is not None and is_provider_fault(error)
    assert "no complete response within 2 s" in describe_sdk_error(error)


def test_nothing_is_sent_after_the_run_deadline(hostile: HostileServer) -> None:
    from conformance.sdk import is_run_deadline

    before = len(hostile.received)
    transcript = SdkTranscript()
    client = sdk_client(
        _target(hostile, "ok"), transcript, strict=False, run_ends_at=time.monotonic() - 1
    )
    with quiet(), pytest.raises(Exception) as caught:
        client.videos.retrieve("video_hostile1")
    assert is_run_deadline(caught.value)
    assert not is_network_error(caught.value) and not is_provider_fault(caught.value)
    assert len(hostile.received) == before


def test_sdk_waits_are_capped() -> None:
    import httpx2

    from conformance.flow_control import RETRY_WAIT_CAP_S

    target = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key=KEY)
    client = sdk_client(target, SdkTranscript(), strict=False)
    wait = client._calculate_retry_timeout(2, _options(), httpx2.Headers({"retry-after": "100"}))
    assert wait == RETRY_WAIT_CAP_S


def _options() -> Any:
    from openai._models import FinalRequestOptions

    return FinalRequestOptions.construct(method="get", url="/videos")

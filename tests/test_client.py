"""The HTTP client: auth styles, bodies, safe redirects, redacted transcript, harness errors."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import httpx
import pytest

from conformance.client import Client, TransportFailure, summarise_body, video_path
from conformance.config import Target

KEY = "sk-client-test-key-0123456789"


def _target(auth: str = "bearer", base_url: str = "https://api.vendor.test/v1") -> Target:
    return Target(name="t", base_url=base_url, api_key=KEY, auth=auth)  # type: ignore[arg-type]


def _client(handler: Callable[[httpx.Request], httpx.Response], auth: str = "bearer") -> Client:
    return Client(_target(auth), transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("bearer", {"authorization": f"Bearer {KEY}"}),
        ("x-api-key", {"x-api-key": KEY}),
        ("both", {"authorization": f"Bearer {KEY}", "x-api-key": KEY}),
    ],
)
def test_auth_styles(style: str, expected: dict[str, str]) -> None:
    seen: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(
            {k: v for k, v in request.headers.items() if k in ("authorization", "x-api-key")}
        )
        return httpx.Response(200, json={})

    _client(handler, style).retrieve("video_1")
    assert seen == expected


def test_auth_modes_none_and_wrong() -> None:
    client = _client(lambda r: httpx.Response(200))
    assert client.auth_headers("none") == {}
    assert KEY not in str(client.auth_headers("wrong"))
    assert client.auth_headers("bearer") == {"Authorization": f"Bearer {KEY}"}


def test_multipart_without_file_and_json_bodies() -> None:
    bodies: list[tuple[str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append((request.headers["content-type"], request.read()))
        return httpx.Response(200, json={"id": "video_1"})

    client = _client(handler)
    client.create({"prompt": "p", "seconds": "4"}, encoding="multipart")
    client.create({"prompt": "p", "seconds": "4"}, encoding="json")
    assert bodies[0][0].startswith("multipart/form-data")
    assert b'name="seconds"' in bodies[0][1] and b"filename" not in bodies[0][1]
    assert bodies[1] == ("application/json", b'{"prompt": "p", "seconds": "4"}')


def test_same_origin_redirect_keeps_auth_cross_origin_drops_it() -> None:
    auth_by_host: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        auth_by_host[request.url.host + request.url.path] = request.headers.get("authorization")
        if request.url.path.endswith("/content"):
            return httpx.Response(302, headers={"location": "/v1/signed/1"})
        if request.url.path == "/v1/signed/1":
            return httpx.Response(302, headers={"location": "https://cdn.other.test/file.mp4"})
        return httpx.Response(200, content=b"\x00" * 10, headers={"content-type": "video/mp4"})

    response = _client(handler).content("video_1")
    assert response.status == 200
    assert [h.cross_origin for h in response.redirects] == [False, True]
    assert response.redirects[1].credentials_dropped
    assert auth_by_host["api.vendor.test/v1/signed/1"] == f"Bearer {KEY}"
    assert auth_by_host["cdn.other.test/file.mp4"] is None
    assert len(response.exchanges) == 3


def test_no_redirect_following_when_asked() -> None:
    client = _client(lambda r: httpx.Response(302, headers={"location": "https://x.test/"}))
    response = client.content("video_1", follow_redirects=False)
    assert response.status == 302 and not response.redirects


def test_transcript_is_redacted_and_binary_summarised() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/content"):
            return httpx.Response(
                200, content=b"\x00\x01" * 500, headers={"content-type": "video/mp4"}
            )
        return httpx.Response(401, json={"error": {"message": f"bad key {KEY}"}})

    client = _client(handler)
    with client.capture() as log:
        client.retrieve("video_1")
        client.content("video_1")
    text = repr(log)
    assert KEY not in text
    assert log[0].request_headers["authorization"] == "Bearer [REDACTED]"
    assert log[1].response_body == "<1000 bytes video/mp4>"
    assert [e.route for e in client.error_responses] == ["retrieve"]


def test_note_error_keeps_only_error_answers_for_the_envelope_check() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/remix"):
            return httpx.Response(400, json={"error": {"message": "no"}})
        return httpx.Response(200, json={"id": "video_1"})

    client = _client(handler)
    ok = client.retrieve("video_1")
    refused = client.request("POST", "/videos/video_1/remix", json_body={"prompt": "x"})
    assert [e.status for e in client.error_responses] == [400]  # the client's own
    client.error_responses.clear()
    client.note_error("remix", ok)  # a success is never an error to judge
    client.note_error("remix", refused)  # an answer that came another way (the SDK's)
    assert [(e.route, e.status, e.body) for e in client.error_responses] == [
        ("remix", 400, {"error": {"message": "no"}})
    ]


def test_capture_is_per_thread() -> None:
    client = _client(lambda r: httpx.Response(200, json={}))
    with client.capture() as log:
        worker = threading.Thread(target=lambda: client.retrieve("video_other"))
        worker.start()
        worker.join()
        client.retrieve("video_mine")
    assert [e.url.rsplit("/", 1)[1] for e in log] == ["video_mine"]


def test_network_failure_is_a_harness_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = _client(handler)
    with client.capture() as log, pytest.raises(TransportFailure, match="ConnectError"):
        client.retrieve("video_1")
    assert log[0].error and log[0].status is None


def test_ids_are_percent_encoded_in_paths() -> None:
    assert video_path("a/b+c=", "/content") == "/videos/a%2Fb%2Bc%3D/content"


def test_long_text_bodies_are_truncated() -> None:
    text = summarise_body(b"x" * 10_000, "application/json")
    assert text is not None and len(text) < 4100 and "10000 bytes" in text


def test_plain_http_to_a_remote_host_warns_once(capsys: pytest.CaptureFixture[str]) -> None:
    target = dataclasses.replace(_target(), base_url="http://warn-once.example/v1")
    Client(target).close()
    Client(target).close()
    Client(dataclasses.replace(target, base_url="http://127.0.0.1:1/v1")).close()
    assert capsys.readouterr().err.count("plain http") == 1


@pytest.mark.parametrize("style", ["x-api-key", "both"])
def test_cross_origin_redirect_drops_every_credential_header(style: str) -> None:
    seen: dict[str, dict[str, str | None]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = {
            name: request.headers.get(name) for name in ("authorization", "x-api-key")
        }
        if request.url.host == "api.vendor.test":
            return httpx.Response(302, headers={"location": "https://cdn.other.test/f.mp4"})
        return httpx.Response(200, content=b"\x00" * 8, headers={"content-type": "video/mp4"})

    response = _client(handler, auth=style).content("video_1")
    assert response.status == 200
    assert seen["api.vendor.test"]["x-api-key"] == KEY
    assert seen["cdn.other.test"] == {"authorization": None, "x-api-key": None}


def test_cross_origin_redirect_drops_api_key_cookie_and_key_bearing_headers() -> None:
    seen: dict[str, dict[str, str]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = dict(request.headers)
        if request.url.host == "api.vendor.test":
            return httpx.Response(302, headers={"location": "https://cdn.other.test/f.mp4"})
        return httpx.Response(200, content=b"\x00", headers={"content-type": "video/mp4"})

    client = _client(handler, "both")
    client.request(
        "GET",
        "/videos/v/content",
        headers={"api-key": KEY, "Cookie": "session=1", "X-Signed": f"k={KEY}"},
    )
    assert KEY in repr(seen["api.vendor.test"])
    leaked = seen["cdn.other.test"]
    assert KEY not in repr(leaked)
    assert not {"authorization", "x-api-key", "api-key", "cookie", "x-signed"} & set(leaked)


def test_a_throttled_get_is_sent_again_and_counted() -> None:
    answers = iter([429, 503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        return httpx.Response(status, headers={"retry-after": "0"}, json={"id": "video_1"})

    client = _client(handler)
    response = client.retrieve("video_1")
    assert response.status == 200
    assert (client.throttles, client.retries, client.request_count) == (2, 2, 3)
    assert not client.error_responses


def test_a_429_check_can_see_the_429() -> None:
    client = _client(lambda r: httpx.Response(429, headers={"retry-after": "0"}, json={}))
    assert client.request("GET", "/videos", retry_throttled=False).status == 429
    assert client.throttles == 0 and client.request_count == 1


def test_deep_json_reads_as_no_json_with_a_reason() -> None:
    client = _client(lambda r: httpx.Response(200, content=b"[" * 50_000 + b"]" * 50_000))
    response = client.retrieve("video_1")
    assert response.json() is None
    assert response.json_problem is not None and "50000 levels" in response.json_problem


def test_oversized_body_is_a_provider_fault_with_the_exchange() -> None:
    from conformance.client import ProviderFault

    client = _client(lambda r: httpx.Response(200, content=b"x" * 2000))
    with pytest.raises(ProviderFault) as caught:
        client.request("GET", "/videos", max_bytes=1000)
    assert "body over 1000 bytes" in str(caught.value)
    assert caught.value.exchange is not None and caught.value.exchange.status == 200


@pytest.mark.parametrize(
    ("response", "hint"),
    [
        (httpx.Response(404, html="<!DOCTYPE html><title>Not found</title>"), "/v1 prefix"),
        (httpx.Response(200, text="<html><body>Welcome</body></html>"), "HTML page"),
        (httpx.Response(404, json={"error": {"message": "no such video"}}), None),
    ],
)
def test_preflight_hint(response: httpx.Response, hint: str | None) -> None:
    from conformance.answers import preflight_hint

    client = _client(lambda r: response)
    text = preflight_hint(client.retrieve("video_x"))
    assert (text is None) if hint is None else (text is not None and hint in text)


def test_preflight_hint_on_a_login_redirect() -> None:
    from conformance.answers import preflight_hint

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/login"):
            return httpx.Response(200, json={})
        return httpx.Response(302, headers={"location": "/login?next=/v1"})

    text = preflight_hint(_client(handler).retrieve("video_x"))
    assert text is not None and "login page" in text


def test_a_key_in_a_redirect_location_is_redacted_everywhere() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.vendor.test":
            return httpx.Response(302, headers={"location": f"https://cdn.test/f?k={KEY}"})
        return httpx.Response(200, content=b"\x00", headers={"content-type": "video/mp4"})

    client = _client(handler)
    with client.capture() as log:
        response = client.content("video_1")
    assert KEY not in repr(response.redirects) + response.url + repr(log)


def test_a_redirect_to_a_dead_origin_is_the_providers_fault() -> None:
    from conformance.client import ProviderFault

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.vendor.test":
            return httpx.Response(302, headers={"location": "https://dead.test/f.mp4"})
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ProviderFault, match="redirected to an unreachable URL"):
        _client(handler).content("video_1")

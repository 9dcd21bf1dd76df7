"""Recording and replay at the transport level: HAR 1.2 fields, redaction, caps, keys,
sequences, the virtual clock. No server: ``httpx.MockTransport`` plays the provider."""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import requests
from requests.adapters import BaseAdapter

from conformance import cli
from conformance.client import Client
from conformance.config import Target
from conformance.recording.har import HarRecorder
from conformance.recording.keys import request_key
from conformance.recording.replay import (
    NotInRecording,
    NoWaitEvent,
    Recording,
    ReplayTransport,
    VirtualClock,
    is_not_in_recording,
)
from conformance.recording.requests_adapter import RecordingAdapter
from conformance.recording.sdk_transports import SdkRecordingTransport, SdkReplayTransport
from conformance.recording.transport import RecordingTransport
from conformance.redact import register_secret

KEY = "sk-recording-test-key-0123456789"
BASE = "http://127.0.0.1:9/v1"
MP4ISH = bytes(range(256)) * 4


def _target() -> Target:
    register_secret(KEY)
    return Target(name="t", base_url=BASE, api_key=KEY)


def _provider(request: httpx.Request) -> httpx.Response:
    """A tiny provider: JSON for retrieve, bytes for content, gzip for list, echo for create."""
    path = request.url.path
    if path.endswith("/content"):
        return httpx.Response(200, headers={"content-type": "video/mp4"}, content=MP4ISH)
    if path == "/v1/videos" and request.method == "GET":
        body = gzip.compress(json.dumps({"object": "list", "data": []}).encode())
        return httpx.Response(
            200,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
            content=body,
        )
    if request.method == "POST":
        # A provider echoing the key must not leak it into the HAR.
        return httpx.Response(201, json={"id": "video_1", "echo": KEY, "status": "queued"})
    return httpx.Response(200, json={"id": path.rsplit("/", 1)[-1], "status": "completed"})


def _record(cap: int | None = None) -> tuple[HarRecorder, Client]:
    har = HarRecorder() if cap is None else HarRecorder(cap)
    target = _target()
    har.api_key = KEY
    har.meta = {"target": target.redacted(), "run_tag": "abc123"}
    transport = RecordingTransport(har, httpx.MockTransport(_provider))
    return har, Client(target, transport=transport)


def _har_text(har: HarRecorder) -> str:
    return json.dumps(har.har())


def test_har_follows_the_1_2_field_names() -> None:
    har, client = _record()
    client.create({"prompt": "a boat"})
    client.retrieve("video_1")
    log = har.har()["log"]
    assert log["version"] == "1.2"
    assert set(log["creator"]) == {"name", "version"}
    entry = log["entries"][0]
    for name in ("startedDateTime", "time", "request", "response", "cache", "timings"):
        assert name in entry
    for name in ("method", "url", "httpVersion", "cookies", "headers", "queryString"):
        assert name in entry["request"]
    assert entry["request"]["postData"]["mimeType"] == "application/json"
    response = entry["response"]
    for name in ("status", "statusText", "httpVersion", "cookies", "headers", "content"):
        assert name in response
    assert response["redirectURL"] == ""
    assert {"size", "mimeType", "text"} <= set(response["content"])
    assert entry["_vc"]["client"] == "ours"
    assert [e["_vc"]["order"] for e in log["entries"]] == [0, 1]


def test_har_is_redacted() -> None:
    har, client = _record()
    client.create({"prompt": "a boat"})
    client.request("GET", "/videos/video_1", auth="x-api-key")
    text = _har_text(har)
    assert KEY not in text
    assert "Bearer [REDACTED]" in text
    headers = har.har()["log"]["entries"][1]["request"]["headers"]
    assert {"name": "x-api-key", "value": "[REDACTED]"} in headers


def test_binary_bodies_are_base64_and_encoded_bodies_decoded() -> None:
    har, client = _record()
    assert client.content("video_1").content == MP4ISH
    assert client.list_videos().json() == {"object": "list", "data": []}
    content, listing = (e["response"]["content"] for e in har.har()["log"]["entries"])
    assert content["encoding"] == "base64"
    assert base64.b64decode(content["text"]) == MP4ISH
    assert content["size"] == len(MP4ISH)
    assert "encoding" not in listing
    listing_entry = har.har()["log"]["entries"][1]["response"]
    wire = len(gzip.compress(json.dumps({"object": "list", "data": []}).encode()))
    assert listing_entry["bodySize"] == wire  # as sent; content.size is the decoded length
    assert listing["size"] == len(json.dumps({"object": "list", "data": []}))
    assert json.loads(listing["text"]) == {"object": "list", "data": []}


def test_bodies_over_the_cap_are_cut_and_say_so() -> None:
    har, client = _record(cap=100)
    # The client still gets every byte: only the HAR is bounded.
    assert client.content("video_1").content == MP4ISH
    content = har.har()["log"]["entries"][0]["response"]["content"]
    assert len(base64.b64decode(content["text"])) == 100
    assert content["size"] == len(MP4ISH)
    assert "truncated to 100 of 1024 bytes" in content["comment"]


def test_recording_is_thread_safe() -> None:
    har, client = _record()
    threads = [
        threading.Thread(target=lambda i=i: [client.retrieve(f"video_{i}") for _ in range(10)])
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = har.har()["log"]["entries"]
    assert len(entries) == 80
    assert sorted(e["_vc"]["order"] for e in entries) == list(range(80))
    for i in range(8):
        seqs = [e["_vc"]["seq"] for e in entries if e["request"]["url"].endswith(f"video_{i}")]
        assert seqs == list(range(10))


def test_keys_ignore_what_a_run_draws_at_random() -> None:
    def key(url: str, headers: dict[str, str], body: bytes = b"") -> str:
        return request_key("ours", "GET", url, httpx.Headers(headers), body, KEY)

    auth = {"authorization": f"Bearer {KEY}"}
    assert key(f"{BASE}/videos/video_vcreachability0a1b2c3d", auth) == key(
        f"{BASE}/videos/video_vcreachabilityffee0011", auth
    )
    assert key(f"{BASE}/videos?b=1&a=2", auth) == key(f"{BASE}/videos?a=2&b=1", auth)
    # Credentials: the run's key, another value, none are three different requests.
    wrong = {"authorization": "Bearer vc-wrong-key-0000"}
    assert len({key(f"{BASE}/videos", h) for h in (auth, wrong, {})}) == 3
    a = {"content-type": "multipart/form-data; boundary=aaaa1111"}
    b = {"content-type": "multipart/form-data; boundary=bbbb2222"}
    assert key(BASE, a, b"--aaaa1111\r\nx\r\n--aaaa1111--") == key(
        BASE, b, b"--bbbb2222\r\nx\r\n--bbbb2222--"
    )
    assert KEY not in key(f"{BASE}/videos", auth)


def _recording(tmp_path: Path, har: HarRecorder) -> Recording:
    path = tmp_path / "transcript.har"
    path.write_text(json.dumps(har.har()))
    return Recording.load(tmp_path)


def test_replay_answers_in_recorded_order_and_repeats_the_last(tmp_path: Path) -> None:
    states = iter(["queued", "in_progress", "completed"])

    def polling(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "video_1", "status": next(states)})

    har = HarRecorder()
    har.api_key = KEY
    har.meta = {"target": _target().redacted()}
    client = Client(_target(), transport=RecordingTransport(har, httpx.MockTransport(polling)))
    for _ in range(3):
        client.retrieve("video_1")
    recording = _recording(tmp_path, har)
    replay_key = "vc-replay-key-for-this-test"
    target = Target(name="t", base_url=BASE, api_key=replay_key)
    clock = VirtualClock(recording.started)
    replay = Client(target, transport=ReplayTransport(recording, clock, replay_key))
    seen = [replay.retrieve("video_1").json()["status"] for _ in range(5)]
    assert seen == ["queued", "in_progress", "completed", "completed", "completed"]
    assert recording.unused() == 0
    with pytest.raises(NotInRecording, match="not in the recording"):
        replay.retrieve("video_2")
    # The same path without credentials is another request.
    with pytest.raises(NotInRecording):
        replay.retrieve("video_1", auth="none")


def test_replay_reproduces_a_recorded_network_failure(tmp_path: Path) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    har = HarRecorder()
    har.api_key = KEY
    har.meta = {"target": _target().redacted()}
    client = Client(_target(), transport=RecordingTransport(har, httpx.MockTransport(down)))
    with pytest.raises(Exception, match="refused"):
        client.retrieve("video_1")
    assert har.har()["log"]["entries"][0]["response"]["status"] == 0
    recording = _recording(tmp_path, har)
    transport = ReplayTransport(recording, VirtualClock(0.0), KEY)
    request = httpx.Request(
        "GET", f"{BASE}/videos/video_1", headers={"authorization": f"Bearer {KEY}"}
    )
    with pytest.raises(httpx.ConnectError, match="refused"):
        transport.handle_request(request)


def test_sdk_side_records_and_replays_through_httpx2(tmp_path: Path) -> None:
    def provider(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"id": "video_9", "status": "completed"})

    har = HarRecorder()
    har.meta = {"target": _target().redacted()}
    recording_transport = SdkRecordingTransport(har, httpx2.MockTransport(provider))
    with httpx2.Client(transport=recording_transport) as sdk_http:
        assert sdk_http.get(f"{BASE}/videos/video_9").json()["id"] == "video_9"
    entry = har.har()["log"]["entries"][0]
    assert entry["_vc"]["client"] == "sdk"
    recording = _recording(tmp_path, har)
    replay = SdkReplayTransport(recording, VirtualClock(0.0), "")
    with httpx2.Client(transport=replay) as sdk_http:
        assert sdk_http.get(f"{BASE}/videos/video_9").json()["status"] == "completed"


def test_virtual_clock_is_per_thread_and_never_waits() -> None:
    clock = VirtualClock(1000.0)
    real_start = time.monotonic()
    with clock.installed():
        time.sleep(3600)
        assert time.time() == 4600.0
        assert time.monotonic() == 4600.0
        clock.observe(5000.0)
        assert time.time() == 5000.0
        other: list[float] = []
        thread = threading.Thread(target=lambda: other.append(time.time()))
        thread.start()
        thread.join()
        assert other == [1000.0]
    assert time.monotonic() - real_start < 60
    assert time.time() > 1_700_000_000  # restored


def test_no_wait_event_returns_at_once() -> None:
    event = NoWaitEvent()
    started = time.monotonic()
    assert event.wait(30) is False
    assert time.monotonic() - started < 1
    event.set()
    assert event.wait(30) is True


def test_not_in_recording_is_recognised_through_causes_and_job_reasons() -> None:
    try:
        try:
            raise NotInRecording("not in the recording: x")
        except NotInRecording as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as outer:
        assert is_not_in_recording(outer)
    reason = "the 'main' job hit a harness error: NotInRecording: not in the recording: k"
    assert is_not_in_recording(RuntimeError(reason))
    assert not is_not_in_recording(RuntimeError("connection refused"))
    assert not is_not_in_recording(None)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "no such recording"), ("{not json", "not a usable recording"), ("{}", "not a usable")],
)
def test_rejudge_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, expected: str
) -> None:
    path = tmp_path / "transcript.har"
    if content is not None:
        path.write_text(content)
    assert cli.main(["rejudge", str(path), "--report-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert expected in err


def test_rejudge_never_writes_into_the_recorded_run(capsys: pytest.CaptureFixture[str]) -> None:
    recorded = Path(__file__).parent / "recordings" / "litellm-proxy"
    assert cli.main(["rejudge", str(recorded), "--report-dir", str(recorded)]) == 2
    assert "own report dir" in capsys.readouterr().err
    assert sorted(p.name for p in recorded.iterdir()) == ["expect.json", "transcript.har"]


class _FakeAdapter(BaseAdapter):
    """Answers every request with a JSON 400, as a provider rejecting a generated case."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = requests.Response()
        response.status_code = 400
        response.reason = "Bad Request"
        response.headers["content-type"] = "application/json"
        response._content = json.dumps({"error": {"message": "bad", "echo": KEY}}).encode()
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def test_property_phase_exchanges_are_recorded_but_never_replayed(tmp_path: Path) -> None:
    har = HarRecorder()
    har.api_key = KEY
    har.meta = {"target": _target().redacted()}
    with requests.Session() as session:
        session.mount("http://", RecordingAdapter(har, _FakeAdapter()))
        answer = session.post(
            f"{BASE}/videos", json={"prompt": 7}, headers={"Authorization": f"Bearer {KEY}"}
        )
    assert answer.status_code == 400
    entry = har.har()["log"]["entries"][0]
    assert entry["_vc"]["client"] == "fuzz"
    assert entry["request"]["postData"]["text"] == '{"prompt": 7}'
    assert entry["response"]["status"] == 400
    assert KEY not in json.dumps(entry)
    recording = _recording(tmp_path, har)
    assert recording.unused() == 0  # not counted as an answer the replay failed to use


def test_a_replays_job_threads_start_their_clock_where_the_recorded_pool_started(
    tmp_path: Path,
) -> None:
    # Between the run's start and the pool's, the run probed the target: a job's timeout
    # counts from the pool's start, so a replay must not start it earlier.
    from conformance.recording.wiring import Recorder

    recorder = Recorder()
    recorder.bind(_target(), "tag", None, None)
    time.sleep(0.05)
    recorder.pool_starting()
    meta = recorder.har.meta
    assert meta["pool_started_wall"] >= meta["started_wall"] + 0.05
    recording = _recording(tmp_path, recorder.har)
    assert recording.started == meta["pool_started_wall"]
    clock = VirtualClock(recording.started)
    seen: list[float] = []
    worker = threading.Thread(target=lambda: seen.append(clock.time()))
    worker.start()
    worker.join()
    assert seen == [meta["pool_started_wall"]]

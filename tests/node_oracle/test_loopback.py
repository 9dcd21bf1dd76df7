"""The loopback server openai-node talks to: forwarding (recorded, guarded) and replaying.

No node needed: these drive the server with httpx as node's fetch would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.budget import Budget, BudgetLimits
from conformance.config import Overrides, resolve_target
from conformance.node_oracle.driver import OraclePlan
from conformance.node_oracle.loopback import OracleServer, Relayed
from conformance.node_oracle.session import NodeOracleSession
from conformance.node_oracle.upstream import LiveUpstream, ReplayUpstream
from conformance.recording.har import HarRecorder
from conformance.recording.replay import Recording
from conformance.redact import register_secret

KEY = "vc-loopback-test-key-0123456789"
register_secret(KEY)


class _Upstream(BaseHTTPRequestHandler):
    """A stand-in target: echoes what it got; ``/redirect`` sends a 302 to ``other``."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]]
    other: str

    def _any(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.endswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", f"{self.other}/cdn/file.mp4?sig=1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.command == "POST" and self.path.endswith("/videos"):
            out = json.dumps({"id": "video_made", "object": "video", "status": "queued"}).encode()
        else:
            out = json.dumps({"path": self.path, "echo": KEY in body.decode()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_DELETE = _any

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """Two stand-in origins (the target, a CDN) sharing one log of what they received."""
    seen: list[dict[str, Any]] = []
    started: list[tuple[ThreadingHTTPServer, type[_Upstream]]] = []
    for _ in range(2):
        handler: type[_Upstream] = type("H", (_Upstream,), {"seen": seen, "other": ""})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append((server, handler))
    (target, target_handler), (cdn, _) = started
    target_handler.other = f"http://127.0.0.1:{cdn.server_address[1]}"
    try:
        yield f"http://127.0.0.1:{target.server_address[1]}/v1", target_handler.other, seen
    finally:
        for server, _ in started:
            server.shutdown()
            server.server_close()


def _live(base_url: str, har: HarRecorder | None = None) -> LiveUpstream:
    target = resolve_target(
        Overrides(profile="reference", base_url=base_url, api_key=KEY, job_timeout_s=20.0),
        env={},
    )
    return LiveUpstream(
        target, media_cap=1 << 20, run_ends_at=lambda: time.monotonic() + 60, har=har
    )


def test_the_proxy_records_without_the_key_and_passes_redirects_back(
    servers: tuple[str, str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    base_url, cdn, seen = servers
    har = HarRecorder()
    har.api_key = KEY
    har.meta = {"target": {"base_url": base_url}}
    auth = {"Authorization": f"Bearer {KEY}", "x-api-key": KEY}
    with OracleServer(base_url, _live(base_url, har), KEY) as proxy:
        assert proxy.base_url.startswith("http://127.0.0.1:") and proxy.base_url.endswith("/v1")
        answer = httpx.post(f"{proxy.base_url}/videos", content=KEY.encode(), headers=auth)
        assert answer.json() == {"id": "video_made", "object": "video", "status": "queued"}
        hop = httpx.get(f"{proxy.base_url}/videos/x/redirect", headers=auth)
        # Not followed: node gets the 302, pointing at the CDN through the proxy.
        assert hop.status_code == 302
        location = hop.headers["location"]
        assert location == f"{proxy.origin}/__origin/http/{cdn.split('//')[1]}/cdn/file.mp4?sig=1"
        got = httpx.get(location, headers=auth)
        assert got.json()["path"] == "/cdn/file.mp4?sig=1"
    # The target got the key; the CDN did not, though node sent it (same origin: the proxy).
    assert seen[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in seen[2]["headers"] and "x-api-key" not in seen[2]["headers"]
    text = (har.write(tmp_path)).read_text()
    assert KEY not in text
    entries = json.loads(text)["log"]["entries"]
    assert [e["_vc"]["client"] for e in entries] == ["node"] * 3
    assert entries[2]["request"]["url"] == f"{cdn}/cdn/file.mp4?sig=1"


def test_a_replay_answers_in_order_and_counts_what_is_missing(
    servers: tuple[str, str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    base_url, _, _ = servers
    har = HarRecorder()
    har.api_key = KEY
    har.meta = {"target": {"base_url": base_url}, "started_wall": time.time()}
    auth = {"Authorization": f"Bearer {KEY}"}
    with OracleServer(base_url, _live(base_url, har), KEY) as proxy:
        recorded = [httpx.get(f"{proxy.base_url}/videos/{n}", headers=auth).json() for n in "ab"]
    recording = Recording.load(har.write(tmp_path))
    replay_key = "vc-replay-key-00000000"
    upstream = ReplayUpstream(recording, replay_key)
    with OracleServer(base_url, upstream, replay_key) as replay:
        again = [
            httpx.get(
                f"{replay.base_url}/videos/{n}", headers={"Authorization": f"Bearer {replay_key}"}
            ).json()
            for n in "ab"
        ]
        assert again == recorded
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(
                f"{replay.base_url}/videos/c", headers={"Authorization": f"Bearer {replay_key}"}
            )
    assert len(upstream.missing) == 1 and "/videos/c" in upstream.missing[0]


def test_billable_requests_go_on_only_on_a_reservation(
    servers: tuple[str, str, list[dict[str, Any]]],
) -> None:
    base_url, _, seen = servers
    target = resolve_target(Overrides(profile="reference", base_url=base_url, api_key=KEY), env={})
    budget = Budget(BudgetLimits(max_jobs=1))
    session = NodeOracleSession(target, budget, OraclePlan(base_url=base_url))
    reservation = budget.reserve(4, "openai-node oracle create")
    assert reservation is not None
    session._reserved["create"] = reservation
    auth = {"Authorization": f"Bearer {KEY}"}
    with OracleServer(
        base_url, _live(base_url), KEY, gate=session.gate, observe=session.observe
    ) as proxy:
        assert httpx.post(f"{proxy.base_url}/videos", headers=auth).status_code == 200
        second = httpx.post(f"{proxy.base_url}/videos", headers=auth)
        remix = httpx.post(f"{proxy.base_url}/videos/video_made/remix", headers=auth)
    assert second.status_code == 403 and "budget" in second.text
    assert remix.status_code == 403
    assert [s["path"] for s in seen] == ["/v1/videos"]  # the refused ones never left
    assert [(j.video_id, j.purpose) for j in budget.created] == [
        ("video_made", "openai-node oracle create")
    ]


def test_a_chunked_request_body_is_forwarded_whole(
    servers: tuple[str, str, list[dict[str, Any]]],
) -> None:
    base_url, _, seen = servers
    with OracleServer(base_url, _live(base_url), KEY) as proxy:
        parts = iter([b"prompt=", b"a kite"])
        answer = httpx.post(f"{proxy.base_url}/videos/x/echo", content=parts)
    assert answer.status_code == 200
    assert seen[0]["body"] == b"prompt=a kite"


class _ThrottlingUpstream:
    """Answers each request with the next of ``answers`` (status, headers)."""

    waits = True

    def __init__(self, *answers: tuple[int, list[tuple[str, str]]]) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str]] = []

    def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> Relayed:
        self.sent.append((method, url))
        status, extra = self.answers.pop(0)
        return Relayed(status, "", extra, b"{}")


def test_flow_control_is_waited_out_before_node_sees_it() -> None:
    wait = [("retry-after-ms", "10")]
    upstream = _ThrottlingUpstream((429, wait), (503, wait), (200, []), (429, []), (200, []))
    server = OracleServer("http://127.0.0.1:9/v1", upstream, KEY)
    # 429 and 503-with-a-wait prove no job was made: the create goes again until answered
    assert server.handle("POST", "/v1/videos", [], b"{}").status == 200
    assert len(upstream.sent) == 3
    # a poll is safe to repeat: createAndPoll must not end on one 429 between its polls
    assert server.handle("GET", "/v1/videos/video_1", [], b"").status == 200
    assert len(upstream.sent) == 5


def test_a_503_without_a_wait_on_a_create_is_not_sent_again() -> None:
    upstream = _ThrottlingUpstream((503, []), (200, []))
    server = OracleServer("http://127.0.0.1:9/v1", upstream, KEY)
    # a bare 503 may come after the job was made: re-sending could bill twice
    assert server.handle("POST", "/v1/videos", [], b"{}").status == 503
    assert len(upstream.sent) == 1

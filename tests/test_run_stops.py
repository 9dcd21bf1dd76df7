"""A run always ends with a report: stopped by a signal, or against nothing at all."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _cli(*args: str, report_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "conformance", "run", *args, "--report-dir", str(report_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "VIDEO_API_KEY": "vc-test-key-0123456789"},
    )


def _wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if needle in line:
            return
    raise AssertionError(f"{needle!r} never printed")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_first_signal_cleans_up_and_writes_an_incomplete_report(
    tmp_path: Path, signum: int, code: int
) -> None:
    # Renders long enough that the run is surely mid-way when the signal comes.
    process = _cli("--no-fuzz", "--render-seconds", "20", report_dir=tmp_path)
    _wait_for_line(process, "checking", 60)
    time.sleep(2)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False and report["verdict"] == "error"
    messages = {c["message"] for c in report["checks"] if c["outcome"] == "skipped"}
    assert not any("not implemented" in m for m in messages)
    assert any("interrupted" in m for m in messages)
    created = [j for j in report["jobs"] if j["video_id"]]
    assert created and all(j["deleted"] for j in created)  # the reference provider has delete
    assert (tmp_path / "report.html").is_file() and (tmp_path / "junit.xml").is_file()


def test_unreachable_target_still_gets_a_report(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = _cli("--base-url", f"http://127.0.0.1:{port}/v1", "--no-fuzz", report_dir=tmp_path)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 3, stderr
    assert "Traceback" not in stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False
    assert report["harness_errors"] and "unreachable" in report["harness_errors"][0]
    assert report["billing"]["jobs_created"] == 0
    assert {c["outcome"] for c in report["checks"]} == {"skipped"}


class _WebSite(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><html><body>Welcome to our product</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


def test_a_web_site_is_not_checked_and_nothing_is_created(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"  # /v1 forgotten
        process = _cli("--base-url", url, "--no-fuzz", report_dir=tmp_path)
        _, stderr = process.communicate(timeout=120)
    finally:
        server.shutdown()
    assert process.returncode == 3, stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert "does not answer like the video API" in report["harness_errors"][0]
    assert "/v1" in report["harness_errors"][0]
    assert report["billing"]["jobs_created"] == 0

"""The 429 path, and durable state: a restarted provider finishes what it had started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conformance.provider.server import Provider

from .support import (
    SAFETY_TIMEOUT,
    Api,
    assert_envelope,
    fast_config,
    probe_mp4,
    provider,
    serve_process,
)


def test_full_queue_answers_429_with_retry_after() -> None:
    config = fast_config(render_seconds=60, queue_limit=2, max_concurrent_renders=1)
    with provider(config) as api:
        first = api.created(prompt="one")
        api.created(prompt="two")
        refused = api.create(prompt="three")
        assert_envelope(
            refused, 429, param=None, type_="rate_limit_error", code="rate_limit_exceeded"
        )
        assert int(refused.headers["retry-after"]) >= 1
        source_refused = api.create_multipart({"prompt": "four"})
        assert source_refused.status_code == 429
        # Room again once an unfinished job goes away; refused requests created nothing.
        assert api.delete(first["id"]).status_code == 200
        assert api.create(prompt="five").status_code == 200
        listed = api.http.get(f"{api.base_url}/videos").json()["data"]
        assert [item["prompt"] for item in listed] == ["five", "two"]


def _wait_progress(api: Api, video_id: str) -> dict:
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while True:
        body = api.retrieve(video_id).json()
        if body["status"] == "in_progress" and body["progress"] > 0:
            return body
        assert body["status"] != "completed", "render finished before the restart"
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_restart_in_process_resumes_unfinished_jobs(tmp_path: Path) -> None:
    # One render slot: the second job is still queued when the provider stops.
    config = fast_config(data_dir=tmp_path, render_seconds=4, max_concurrent_renders=1)
    with provider(fast_config(data_dir=tmp_path, render_seconds=0.2)) as api:
        finished = api.created(prompt="finished before the restart", size="1280x720")
        api.wait(finished["id"])
    with provider(config) as api:
        running = api.created(prompt="interrupted", seconds="8")
        queued_behind = api.created(prompt="waiting")
        before = _wait_progress(api, running["id"])
        assert api.retrieve(queued_behind["id"]).json()["status"] == "queued"
    with provider(fast_config(data_dir=tmp_path, render_seconds=0.5)) as api:
        after = api.retrieve(running["id"]).json()
        assert after["status"] in ("queued", "in_progress")
        assert after["progress"] >= before["progress"], "progress survives the restart"
        assert after["created_at"] == before["created_at"]
        for job in (running, queued_behind):
            done = api.wait(job["id"])
            assert done["status"] == "completed"
        mp4 = probe_mp4(api.content(running["id"]).content)
        assert (mp4.width, mp4.height, mp4.duration) == (720, 1280, 8.0)
        old = probe_mp4(api.content(finished["id"]).content)
        assert (old.width, old.height) == (1280, 720)
        ids = [item["id"] for item in api.http.get(f"{api.base_url}/videos").json()["data"]]
        assert ids == [queued_behind["id"], running["id"], finished["id"]]


def test_temp_data_dir_is_removed_at_stop() -> None:
    instance = Provider(fast_config())
    instance.start()
    data_dir = instance.data_dir
    assert (data_dir / "provider.sqlite3").exists()
    instance.stop()
    assert not data_dir.exists()


def test_restart_after_kill_9_completes_the_job(tmp_path: Path) -> None:
    data = str(tmp_path)
    with serve_process("--data-dir", data, "--render-seconds", "6", "--fps", "4") as (proc, url):
        with httpx.Client(timeout=30) as http:
            api = Api(url, http)
            video = api.created(prompt="killed mid-render")
            before = _wait_progress(api, video["id"])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    with (
        serve_process("--data-dir", data, "--render-seconds", "0.5", "--fps", "4") as (_, url),
        httpx.Client(timeout=30) as http,
    ):
        api = Api(url, http)
        after = api.retrieve(video["id"]).json()
        assert after["progress"] >= before["progress"]
        assert api.wait(video["id"])["status"] == "completed"
        mp4 = probe_mp4(api.content(video["id"]).content)
        assert (mp4.width, mp4.height, mp4.duration) == (720, 1280, 4.0)


def test_serve_prints_one_line_and_stops_cleanly_on_sigterm() -> None:
    with serve_process("--render-seconds", "0.2") as (proc, url):
        assert url.endswith("/v1")
        with httpx.Client(timeout=30) as http:
            assert http.get(f"{url}/videos").json()["object"] == "list"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert proc.stdout is not None and proc.stdout.read() == ""


def test_second_provider_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    with serve_process("--data-dir", str(tmp_path)):
        result = subprocess.run(
            [sys.executable, "-m", "conformance", "serve", "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "in use" in result.stderr and len(result.stderr.strip().splitlines()) == 1

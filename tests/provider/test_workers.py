"""Renders in worker processes: a dying worker fails only its job, a backlog slows polling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from conformance.provider.server import Provider
from conformance.provider.wire import POLL_AFTER_FLOOR_MS

from .support import SAFETY_TIMEOUT, Api, fast_config, probe_mp4, provider


def _wait_workers(instance: Provider, count: int) -> list[int]:
    assert instance.engine is not None
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while len(pids := instance.engine.workers.pids()) < count:
        assert time.monotonic() < deadline, "the render workers did not start"
        time.sleep(0.02)
    return pids


def test_workers_start_with_the_provider_and_stop_with_it() -> None:
    instance = Provider(fast_config(render_workers=2, max_concurrent_renders=2))
    instance.start()
    try:
        pids = _wait_workers(instance, 2)
    finally:
        instance.stop()
    for pid in pids:
        # Killed and reaped at stop: the pid names no process any more.
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_killed_worker_fails_its_job_and_is_replaced() -> None:
    config = fast_config(render_seconds=0.2, render_workers=1, fps=30)
    instance = Provider(config)
    base_url = instance.start()
    try:
        with httpx.Client(timeout=30) as http:
            api = Api(base_url, http)
            (worker,) = _wait_workers(instance, 1)
            # A long render, so that the worker is surely busy with it when killed.
            doomed = api.created(prompt="worker dies", seconds="12", size="1280x720")
            deadline = time.monotonic() + SAFETY_TIMEOUT
            while api.retrieve(doomed["id"]).json()["progress"] < 30:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            os.kill(worker, signal.SIGKILL)
            failed = api.wait(doomed["id"])
            assert failed["status"] == "failed"
            assert failed["error"]["code"] == "internal_error"
            later = api.created(prompt="after the crash")
            assert api.wait(later["id"])["status"] == "completed"
            assert probe_mp4(api.content(later["id"]).content).frames == 4 * 30
    finally:
        instance.stop()


def test_a_job_behind_a_backlog_is_told_to_come_back_later() -> None:
    config = fast_config(render_seconds=0.1, render_workers=1, max_concurrent_renders=16)
    with provider(config) as api:
        ids = [
            api.created(prompt=f"backlog {i}", seconds="12", size="1280x720")["id"]
            for i in range(10)
        ]
        api.wait(ids[0])
        last = api.retrieve(ids[-1])
        assert last.json()["status"] in ("queued", "in_progress")
        assert int(last.headers["openai-poll-after-ms"]) > POLL_AFTER_FLOOR_MS


def test_worker_started_by_hand_with_bad_input_says_so_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance.provider.worker"],
        input="not a task\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "render tasks" in result.stderr

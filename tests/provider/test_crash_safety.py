"""``kill -9`` during renders loses no accepted job, and leaves no render running."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .support import SAFETY_TIMEOUT, Api, assert_video, probe_mp4, serve_process

pytestmark = pytest.mark.slow

JOBS = [
    {"prompt": f"crash safety {i}", "size": size, "seconds": seconds}
    for i, (size, seconds) in enumerate(
        [("720x1280", "4"), ("1280x720", "4"), ("720x1280", "8")] * 3
    )
]
FAILING = {"prompt": "crash safety [[fail]]"}


def _children(pid: int) -> set[int]:
    """Direct children of ``pid`` (Linux ``/proc``); empty where that is not readable."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_mid_render(api: Api, ids: list[str]) -> list[dict[str, Any]]:
    """Poll until some job has real progress while others are still unfinished."""
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while True:
        bodies = [api.retrieve(video_id).json() for video_id in ids]
        started = [b for b in bodies if b["status"] == "in_progress" and b["progress"] > 0]
        assert not any(b["status"] == "completed" for b in bodies), "a render finished early"
        if len(started) >= 2:
            return bodies
        assert time.monotonic() < deadline, bodies
        time.sleep(0.05)


def test_kill_9_mid_render_then_restart_finishes_or_fails_every_job(tmp_path: Path) -> None:
    data = str(tmp_path)
    first = ("--data-dir", data, "--render-seconds", "8", "--max-concurrent", "4")
    with serve_process(*first, "--queue-limit", "32", "--fps", "8") as (proc, url):
        with httpx.Client(timeout=30) as http:
            api = Api(url, http)
            ids = [api.created(**body)["id"] for body in JOBS]
            failing_id = api.created(**FAILING)["id"]
            before = _wait_mid_render(api, [*ids, failing_id])
        workers = _children(proc.pid)
        if Path("/proc/self/task").is_dir():
            assert workers, "renders should run in worker processes"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    # The killed provider's render workers notice it is gone and stop on their own.
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while any(_running(pid) for pid in workers):
        assert time.monotonic() < deadline, "render workers outlived their provider"
        time.sleep(0.1)

    again = ("--data-dir", data, "--render-seconds", "0.5", "--max-concurrent", "2")
    with serve_process(*again, "--fps", "8") as (_, url), httpx.Client(timeout=30) as http:
        api = Api(url, http)
        listed = http.get(f"{url}/videos", params={"limit": 100}).json()["data"]
        assert {item["id"] for item in listed} == {*ids, failing_id}, "an accepted job was lost"
        for video_id, body, seen in zip(ids, JOBS, before[: len(ids)], strict=True):
            assert api.retrieve(video_id).json()["progress"] >= seen["progress"]
            done = api.wait(video_id)
            assert_video(done)
            assert done["status"] == "completed", done
            mp4 = probe_mp4(api.content(video_id).content)
            width, height = (int(side) for side in body["size"].split("x"))
            assert (mp4.width, mp4.height, mp4.duration) == (width, height, float(body["seconds"]))
            assert mp4.frames == 8 * int(body["seconds"])
        failed = api.wait(failing_id)
        assert_video(failed)
        assert failed["status"] == "failed"
        assert failed["error"]["code"] and failed["error"]["message"]
        # No half-written file of the killed renders is left beside the finished ones.
        leftovers = sorted(p.name for p in (tmp_path / "media").rglob(".*.part"))
        assert leftovers == []

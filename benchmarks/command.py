"""A whole ``video-conformance run`` as a user runs it, with the bundled provider's own record.

The command runs in a fresh interpreter (``python -m conformance run ...``), so its wall time
includes everything a user waits for: interpreter start, imports, the bundled provider's start,
the jobs, the suite, the report and the exit. The bundled provider keeps its store in a fresh
temp dir that it removes when it stops; the command gets a ``TMPDIR`` of the benchmark's own,
and a watcher thread reads the store there (read-only, every ``WATCH_INTERVAL_S``) while the
command runs, keeping the last complete reading. Every job ends long before the provider stops
(the suite, clean-up and report come after the last one), so the last reading holds every job's
float timestamps.

A *baseline* tree (``BENCH_BASELINE``: a source tree of another commit, e.g. from
``git archive <commit> conformance spec``) runs the same command with that tree's package, so
that before and after are measured side by side under the same machine load.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.providers import DB_FILE, StoredJob, read_jobs

WATCH_INTERVAL_S = 0.05
BASELINE_ENV = "BENCH_BASELINE"
PROVIDER_DIR_GLOB = "video-conformance-provider-*"
"""The bundled provider's data dir (``provider.server``: ``tempfile.mkdtemp(prefix=...)``)."""


@dataclass
class CommandRun:
    """One whole command: its wall time and exit, and the jobs its provider recorded."""

    label: str
    exit_code: int
    wall_s: float
    started_wall: float
    """``time.time()`` just before the process was started."""
    jobs: list[StoredJob] = field(default_factory=list)
    peak_rss: int | None = None
    """The command's own peak resident memory (``ru_maxrss`` from ``wait4``), bytes."""
    error: str = ""


def baseline_tree() -> Path | None:
    """The baseline source tree named by ``BENCH_BASELINE``, or None."""
    value = os.environ.get(BASELINE_ENV, "").strip()
    if not value:
        return None
    tree = Path(value).resolve()
    if not (tree / "conformance" / "cli.py").is_file():
        raise ValueError(f"{BASELINE_ENV}={value} is not a source tree with conformance/cli.py")
    return tree


def command_env(tree: Path | None, tmp: Path) -> dict[str, str]:
    """The environment of the command: its own TMPDIR; ``tree``'s package when given.

    PYTHONSAFEPATH keeps the working directory off the front of ``sys.path``, so the tree named
    on PYTHONPATH wins over the installed package.
    """
    env = {**os.environ, "TMPDIR": str(tmp)}
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONSAFEPATH", None)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
        env["PYTHONSAFEPATH"] = "1"
    return env


class _StoreWatcher:
    """Reads the bundled provider's store under ``tmp`` until stopped; keeps the last reading."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.jobs: list[StoredJob] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="store-watcher", daemon=True)

    def __enter__(self) -> _StoreWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL_S):
            for db in self.tmp.glob(f"{PROVIDER_DIR_GLOB}/{DB_FILE}"):
                # The provider may be writing, or removing its dir: a failed read keeps the
                # previous one.
                with contextlib.suppress(sqlite3.Error, OSError, ValueError):
                    jobs = read_jobs(db.parent)
                    if len(jobs) >= len(self.jobs):
                        self.jobs = jobs


def run_command(
    label: str, args: list[str], tree: Path | None = None, timeout_s: float = 600.0
) -> CommandRun:
    """``python -m conformance run <args>`` in a fresh interpreter and a scratch dir."""
    with tempfile.TemporaryDirectory(prefix="vc-bench-cmd-") as scratch:
        tmp = Path(scratch) / "tmp"
        tmp.mkdir()
        command = [sys.executable, "-m", "conformance", "run", *args]
        command += ["--report-dir", str(Path(scratch) / "reports")]
        with _StoreWatcher(tmp) as watcher:
            started_wall = time.time()
            started = time.monotonic()
            process = subprocess.Popen(
                command,
                cwd=scratch,
                env=command_env(tree, tmp),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            code, peak, stderr = _wait(process, timeout_s)
            wall = time.monotonic() - started
        error = "" if code in (0, 1) else (stderr.strip().splitlines() or ["no message"])[-1]
        return CommandRun(
            label=label,
            exit_code=code,
            wall_s=wall,
            started_wall=started_wall,
            jobs=watcher.jobs,
            peak_rss=peak,
            error=error[:200],
        )


def _wait(process: subprocess.Popen[str], timeout_s: float) -> tuple[int, int | None, str]:
    """(exit code, peak RSS in bytes, stderr) of ``process``; killed after ``timeout_s``."""
    assert process.stderr is not None
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    timer = threading.Timer(timeout_s, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=5)
    # Linux reports ru_maxrss in KiB.
    return process.returncode, usage.ru_maxrss * 1024, "".join(chunks)

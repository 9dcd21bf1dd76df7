"""Reference providers for the benchmarks, and their own record of every job.

Timestamps come from the provider's SQLite store (``<data_dir>/provider.sqlite3``, table
``jobs``), read-only, never from the wire: the wire's ``completed_at`` is whole seconds, the
store keeps the provider's ``time.time()`` as a float (``Store.mark_completed``). The store also
keeps deleted jobs (as rows with ``deleted = 1`` and their timestamps), so it counts every job
the provider ever accepted, whoever created it and whether or not it was cleaned up. Reading it
needs no change to the provider or its wire API.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import selectors
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conformance.provider.config import ProviderConfig
from conformance.provider.server import running_provider

DB_FILE = "provider.sqlite3"


@dataclass(frozen=True)
class StoredJob:
    """One row of the provider's job table, as the provider recorded it."""

    id: str
    status: str
    seconds: int
    created_at: float
    started_at: float | None
    completed_at: float | None
    """Set on completion and on failure (float Unix time)."""
    remixed_from: str | None
    deleted: bool

    @property
    def render_s(self) -> float | None:
        """Create → terminal on the provider; None while the job never finished."""
        return None if self.completed_at is None else self.completed_at - self.created_at


def read_jobs(data_dir: Path) -> list[StoredJob]:
    """Every job the provider in ``data_dir`` ever accepted (deleted ones included)."""
    uri = f"file:{data_dir / DB_FILE}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        rows = db.execute(
            "SELECT id, status, seconds, created_at, started_at, completed_at, remixed_from, "
            "deleted FROM jobs ORDER BY seq"
        ).fetchall()
    return [
        StoredJob(
            id=row[0],
            status=row[1],
            seconds=int(row[2]) if str(row[2]).isdigit() else 0,
            created_at=float(row[3]),
            started_at=None if row[4] is None else float(row[4]),
            completed_at=None if row[5] is None else float(row[5]),
            remixed_from=row[6],
            deleted=bool(row[7]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class LocalProvider:
    """A running in-process provider: where to reach it and where its store is."""

    base_url: str
    api_key: str
    data_dir: Path

    def jobs(self) -> list[StoredJob]:
        """The provider's record of every job so far."""
        return read_jobs(self.data_dir)


@contextlib.contextmanager
def local_provider(**settings: object) -> Iterator[LocalProvider]:
    """An in-process reference provider with its own fresh data dir (removed afterwards).

    ``settings`` are ``ProviderConfig`` fields; ``api_key`` and ``data_dir`` are chosen here.
    """
    key = "vc-bench-" + secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="vc-bench-provider-") as tmp:
        data_dir = Path(tmp)
        config = ProviderConfig(api_key=key, data_dir=data_dir, **settings)  # type: ignore[arg-type]
        with running_provider(config) as base_url:
            yield LocalProvider(base_url=base_url, api_key=key, data_dir=data_dir)


@dataclass
class ServedProvider:
    """A provider running as its own process (``python -m conformance serve``)."""

    process: subprocess.Popen[str]
    base_url: str
    api_key: str
    data_dir: Path

    def rss_bytes(self) -> int | None:
        """Current resident set size of the provider process."""
        return status_bytes(self.process.pid, "VmRSS")

    def peak_rss_bytes(self) -> int | None:
        """Peak resident set size so far (the kernel's high-water mark, ``VmHWM``)."""
        return status_bytes(self.process.pid, "VmHWM")

    def jobs(self) -> list[StoredJob]:
        return read_jobs(self.data_dir)


def status_bytes(pid: int, key: str) -> int | None:
    """A ``/proc/<pid>/status`` memory field (``VmRSS``, ``VmHWM``, ...) in bytes, or ``None``
    when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return None


@contextlib.contextmanager
def served_provider(*flags: str, startup_timeout_s: float = 30.0) -> Iterator[ServedProvider]:
    """``python -m conformance serve --port 0 <flags>`` in a subprocess; stopped on exit.

    The provider gets its own data dir (so its store can be read) and a fresh API key.
    """
    key = "vc-bench-" + secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="vc-bench-served-") as tmp:
        data_dir = Path(tmp)
        command = [
            sys.executable, "-m", "conformance", "serve", "--port", "0",
            "--api-key", key, "--data-dir", str(data_dir), *flags,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        try:
            url = _announced_url(process, startup_timeout_s)
            yield ServedProvider(process, url, key, data_dir)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _announced_url(process: subprocess.Popen[str], timeout_s: float) -> str:
    """The base URL from the provider's ``serving <url>`` line."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if not selector.select(timeout=0.5):
            continue
        line = process.stdout.readline()
        if line.startswith("serving "):
            # Keep draining stdout so a full pipe never blocks the provider.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return line.split(None, 1)[1].strip()
    raise RuntimeError("the reference provider did not start (no 'serving <url>' line)")

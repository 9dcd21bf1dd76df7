"""A pool of render worker processes, so that encoding never competes with request handling.

Each worker is ``python -m conformance.provider.worker`` (see that module for the protocol),
started at ``start()`` in the background or at the first task. It imports only the renderer,
not whatever program started the provider, so it is ready in a fraction of a second. One
feeder thread per worker sends it a task, relays its per-frame progress and resolves the task's
future; the threads spend their time blocked on pipes, so they take nothing from the event
loop. A worker that dies fails the task it had and is replaced for the next one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import conformance
from conformance.provider.render import RenderSpec

WORKER_MODULE = "conformance.provider.worker"


class RenderFailed(Exception):
    """The render raised in the worker; the message is the exception's type name."""


class RenderAbandoned(Exception):
    """The render stopped because its job was deleted, or the pool closed."""


class WorkerDied(Exception):
    """The worker process ended in the middle of a task."""


def default_worker_count(max_concurrent: int) -> int:
    """Worker processes for a provider: one per usable core, never more than render slots.

    The workers run at a lower priority (see ``worker.NICENESS``), so a core each costs request
    handling nothing; fewer would leave render throughput on the table.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(max_concurrent, cores))


@dataclass(eq=False)
class RenderTask:
    """One render handed to the pool: its future, and how far the encode has got."""

    spec: RenderSpec
    out_dir: Path
    future: Future[None] = field(default_factory=Future)
    frames_done: int = 0
    frames_total: int = 0
    encode_seconds: float | None = None
    """Wall time the worker took, set once it succeeded."""

    @property
    def fraction(self) -> float:
        """Share of the frames encoded so far (1.0 once the files are written)."""
        if self.future.done():
            return 1.0
        return self.frames_done / self.frames_total if self.frames_total else 0.0


class RenderWorkers:
    """A fixed number of worker processes fed from one FIFO queue."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a render pool needs at least one worker, got {size}")
        self.size = size
        self._queue: queue.Queue[RenderTask | None] = queue.Queue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._closed = False

    def start(self) -> None:
        """Start every worker now, in the background (idempotent); ``submit`` also does."""
        with self._lock:
            if self._closed:
                return
            while len(self._threads) < self.size:
                thread = threading.Thread(
                    target=self._feed,
                    name=f"provider-render-{len(self._threads)}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()

    def pids(self) -> list[int]:
        """Process ids of the live workers (for diagnostics and tests)."""
        with self._lock:
            return [p.pid for p in self._processes if p.poll() is None]

    def submit(self, spec: RenderSpec, out_dir: Path) -> RenderTask:
        """Queue a render of ``spec`` into ``out_dir``; its future resolves when it ends."""
        task = RenderTask(spec, out_dir)
        if self._closed:
            task.future.set_exception(RenderAbandoned("the render pool is closed"))
            return task
        self.start()
        self._queue.put(task)
        return task

    def close(self) -> None:
        """Stop every worker now: running renders are abandoned, queued ones cancelled."""
        with self._lock:
            self._closed = True
            processes = list(self._processes)
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for process in processes:
            # Only the signal here: each feeder thread closes its own pipes once it sees EOF.
            if process.poll() is None:
                process.kill()
        for thread in threads:
            thread.join(timeout=10)
        while True:
            try:
                task = self._queue.get_nowait()
            except queue.Empty:
                break
            if task is not None:
                task.future.cancel()

    # --- inside a feeder thread ----------------------------------------------------------------

    def _feed(self) -> None:
        process: subprocess.Popen[bytes] | None = None
        try:
            try:
                process = self._spawn()  # at once: the worker warms up before the first task
            except OSError:
                process = None  # tried again when a task comes
            while True:
                task = self._queue.get()
                if task is None:
                    return
                if not task.future.set_running_or_notify_cancel():
                    continue  # cancelled while queued (its job was deleted)
                if process is None or process.poll() is not None:
                    if process is not None:
                        self._forget(process)
                    try:
                        process = self._spawn()
                    except OSError as exc:
                        task.future.set_exception(WorkerDied(f"cannot start a worker: {exc}"))
                        continue
                if process is None:  # closed meanwhile
                    task.future.set_exception(RenderAbandoned("the render pool is closed"))
                    continue
                try:
                    started = time.monotonic()
                    if _run(process, task):
                        task.encode_seconds = time.monotonic() - started
                        task.future.set_result(None)
                except (OSError, ValueError, WorkerDied) as exc:
                    # The pipe broke or the worker died (or close() killed it).
                    self._forget(process)
                    process = None
                    if self._closed:
                        task.future.set_exception(RenderAbandoned("the render pool is closed"))
                    else:
                        task.future.set_exception(WorkerDied(str(exc) or type(exc).__name__))
        finally:
            if process is not None:
                self._forget(process)

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self._closed:
                return None
            process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_worker_env(),
            )
            self._processes.add(process)
        return process

    def _forget(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.discard(process)
        _kill(process)


def _run(process: subprocess.Popen[bytes], task: RenderTask) -> bool:
    """Send one task to ``process`` and follow it to its end; True when it succeeded (the
    caller then resolves the future), otherwise the future holds the exception."""
    assert process.stdin is not None and process.stdout is not None
    request = {"spec": _spec_json(task.spec), "out_dir": str(task.out_dir)}
    process.stdin.write(json.dumps(request).encode() + b"\n")
    process.stdin.flush()
    while True:
        line = process.stdout.readline()
        if not line:
            raise WorkerDied(f"the render worker exited (code {process.poll()})")
        message: dict[str, Any] = json.loads(line)
        if "frame" in message:
            task.frames_total = int(message["total"])
            task.frames_done = int(message["frame"])
        elif message.get("ok"):
            return True
        elif message.get("abandoned"):
            task.future.set_exception(RenderAbandoned("the job was deleted while rendering"))
            return False
        else:
            task.future.set_exception(RenderFailed(str(message.get("error", "unknown error"))))
            return False


def _spec_json(spec: RenderSpec) -> dict[str, Any]:
    return {
        "width": spec.width,
        "height": spec.height,
        "duration": spec.duration,
        "fps": spec.fps,
        "prompt": spec.prompt,
        "reference": None if spec.reference is None else str(spec.reference),
    }


def _worker_env() -> dict[str, str]:
    """The provider's environment, with this package importable whatever the working dir."""
    root = str(Path(conformance.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL not honoured: move on
        process.wait(timeout=10)

"""Schedules render jobs: pacing, progress, cancel, fail, resume; the encoding runs elsewhere.

A job's wall time from create to completed is ``render_seconds`` (when a render slot is free),
and never less: the encode itself runs in a worker process (``workers.py``) as fast as it can,
and the job completes once both its files are written and its time is up. Progress rises
smoothly as a real integer percent: the share of the time that has passed, but never ahead of
the frames actually encoded. A job resumed after a restart keeps its progress and takes the
remaining share of the time.

The schedule lives on one asyncio loop in its own thread, so no render touches the HTTP
server's event loop: the server only answers requests and records state, and this loop records
progress and outcomes in the store. Everything that must survive a crash is in the store: a
restarted provider resumes each unfinished job, and re-renders it from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable

from conformance.provider.render import REFERENCE_FILE, RenderSpec
from conformance.provider.store import Job, Store
from conformance.provider.workers import (
    RenderAbandoned,
    RenderFailed,
    RenderTask,
    RenderWorkers,
    WorkerDied,
    default_worker_count,
)

FAIL_MARKER = "[[fail]]"
"""A prompt containing this fails its job deterministically (the reference profile uses it)."""

FAILURE_CODE = "generation_failed"
INTERNAL_FAILURE_CODE = "internal_error"
PROGRESS_BEFORE_DONE = 99
"""Progress while the last frames are written; 100 only comes with ``completed``."""
QUEUED_SHARE = 0.2
"""Share of ``render_seconds`` a new job spends ``queued`` before rendering starts. Real
services queue work, and a client's first poll (the SDK polls at once after create) must be
able to see that state, in whatever word the dialect uses for it."""

PROGRESS_TICKS = 50
"""Progress is recorded about this often over a job's render time ..."""
MIN_TICK_S, MAX_TICK_S = 0.05, 0.25
"""... but not more often than every 50 ms, nor less often than every 250 ms."""
STOP_TIMEOUT_S = 10.0
ESTIMATE_WEIGHT = 0.3
"""Weight of the latest encode in the running estimate of encode speed."""
PRIOR_SECONDS_PER_WORK = 2e-8
"""Encode seconds per pixel x frame before any encode was measured: a 720x1280, 32-frame
video took about 0.55 s of one core here. Only a starting point; measurements replace it."""

log = logging.getLogger(__name__)


class RenderEngine:
    """Schedules renders for jobs in a :class:`Store` and runs them on a worker pool."""

    def __init__(
        self,
        store: Store,
        *,
        render_seconds: float,
        ttl_seconds: float,
        fps: int,
        max_concurrent: int,
        workers: int | None = None,
    ) -> None:
        self.store = store
        self.render_seconds = render_seconds
        self.ttl_seconds = ttl_seconds
        self.fps = fps
        self.workers = RenderWorkers(workers or default_worker_count(max_concurrent))
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Encode work (pixels x frames) of each job whose encode has not finished, in the
        # order the jobs will get to a worker, and the measured seconds per unit of it.
        self._backlog: dict[str, float] = {}
        self._seconds_per_work = PRIOR_SECONDS_PER_WORK
        self._stopped = False
        self._loop = asyncio.new_event_loop()
        self._slots = asyncio.Semaphore(max_concurrent)
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="provider-engine", daemon=True
        )
        self._thread.start()

    def warm(self) -> None:
        """Start the worker processes in the background, so the first job does not wait."""
        self.workers.start()

    def submit(self, job: Job, *, resumed: bool = False) -> None:
        """Queue ``job`` for rendering (callable from any thread)."""
        if not self._stopped:
            self._loop.call_soon_threadsafe(self._schedule, job.id, resumed)

    def resume_unfinished(self) -> int:
        """Re-queue every job a previous run left unfinished; returns how many."""
        jobs = self.store.unfinished()
        for job in jobs:
            self.submit(job, resumed=True)
        return len(jobs)

    def cancel(self, job_id: str) -> None:
        """Stop rendering ``job_id`` (it was deleted); callable from any thread."""
        if not self._stopped:
            self._loop.call_soon_threadsafe(self._cancel, job_id)

    def expected_in(self, job: Job) -> float | None:
        """Seconds until ``job``'s files should be encoded, given the encodes queued ahead of it
        and the speed of the last ones; None when it has none to wait for (callable from any
        thread).

        A poll hint built from this keeps clients of a backlogged provider from polling at the
        minimum interval until their turn comes.
        """
        rate = self._seconds_per_work
        if job.id not in self._backlog:
            return None
        ahead = 0.0
        for job_id, work in list(self._backlog.items()):  # a snapshot: the engine changes it
            ahead += work
            if job_id == job.id:
                break
        return ahead * rate / self.workers.size

    def stop(self) -> None:
        """Abandon running renders (their jobs stay unfinished for a later resume) and wait."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._cancel_all(), self._loop).result(STOP_TIMEOUT_S)
        self.workers.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=STOP_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()

    # --- on the engine loop ------------------------------------------------------------------

    def _schedule(self, job_id: str, resumed: bool) -> None:
        if self._stopped or job_id in self._tasks:
            return
        task = self._loop.create_task(self._run(job_id, resumed), name=f"render {job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._forget(job_id))

    def _forget(self, job_id: str) -> None:
        self._tasks.pop(job_id, None)
        self._backlog.pop(job_id, None)

    def _cancel(self, job_id: str) -> None:
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()

    async def _cancel_all(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, job_id: str, resumed: bool) -> None:
        try:
            await self._render(job_id, resumed)
        except asyncio.CancelledError:
            # Deleted, or the provider is stopping (the job stays unfinished for a resume).
            pass
        except Exception as exc:  # a broken render must fail its job, never hang it
            if self._stopped and isinstance(exc, RenderAbandoned):
                pass  # stopping: unfinished, for a resume
            elif self.store.get(job_id) is not None:
                # (Abandoned although the job still exists: its directory vanished under it.)
                if isinstance(exc, (RenderFailed, WorkerDied, RenderAbandoned)):
                    log.warning("render of %s failed: %s", job_id, exc)
                    reason = str(exc) if isinstance(exc, RenderFailed) else type(exc).__name__
                else:
                    log.exception("render of %s failed", job_id)
                    reason = type(exc).__name__
                self.store.mark_failed(
                    job_id,
                    time.time(),
                    INTERNAL_FAILURE_CODE,
                    f"The reference provider could not render: {reason}",
                )
        finally:
            self._clean_up_if_deleted(job_id)

    async def _render(self, job_id: str, resumed: bool) -> None:
        job = self.store.get(job_id)
        if job is None or job.terminal:
            return
        if not job.doomed:
            self._backlog[job_id] = _work(job, self.fps)
        if not resumed:
            await _sleep(job.created_at + self.render_seconds * QUEUED_SHARE - time.time())
        async with self._slots:
            job = self.store.get(job_id)
            now = time.time()
            if job is None or not self.store.mark_started(job_id, now):
                return
            base = job.progress
            if resumed:
                deadline = now + self.render_seconds * (100 - base) / 100
            else:
                # Measured from create: time spent queued counts against the render time.
                deadline = max(now, job.created_at + self.render_seconds)
            pacer = _Pacer(self.store, job_id, start=now, deadline=deadline, base=base)

            if job.doomed:
                # Fail halfway, like a generation that breaks down mid-way.
                await pacer.run_to(0.5)
                message = (
                    "The prompt asked the reference provider to fail this job"
                    if FAIL_MARKER in (job.prompt or "")
                    else "The reference provider failed this job at random (fail_rate)"
                )
                self.store.mark_failed(job_id, time.time(), FAILURE_CODE, message)
                return

            out_dir = self.store.media_dir(job)
            out_dir.mkdir(parents=True, exist_ok=True)
            reference = out_dir / REFERENCE_FILE if job.has_reference else None
            spec = RenderSpec(
                width=job.width,
                height=job.height,
                duration=job.duration,
                fps=self.fps,
                prompt=job.prompt or "",
                reference=reference,
            )
            render = self.workers.submit(spec, out_dir)
            await pacer.follow(render, on_encoded=lambda: self._encoded(job_id, render))
            self.store.mark_completed(job_id, time.time(), self.ttl_seconds)

    def _encoded(self, job_id: str, render: RenderTask) -> None:
        """Learn the encode speed from a finished encode; the job leaves the backlog."""
        work = self._backlog.pop(job_id, None)
        if not work or render.encode_seconds is None:
            return
        latest = render.encode_seconds / work
        self._seconds_per_work += ESTIMATE_WEIGHT * (latest - self._seconds_per_work)

    def _clean_up_if_deleted(self, job_id: str) -> None:
        """A delete that raced the render may have left files behind: remove them."""
        if self.store.get(job_id) is not None:
            return
        seq = self.store.cursor_seq(job_id)
        if seq is None:
            return
        shutil.rmtree(self.store.media_dir_for_seq(seq), ignore_errors=True)


def _work(job: Job, fps: int) -> float:
    """How much encoding a job takes, in pixels x frames."""
    return float(job.width * job.height * max(1, round(job.duration * fps)))


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


class _Pacer:
    """Spreads one job over [start, deadline] and records its progress as it goes."""

    def __init__(self, store: Store, job_id: str, *, start: float, deadline: float, base: int):
        self.store = store
        self.job_id = job_id
        self.start = start
        self.deadline = deadline
        self.base = base
        self.last = base
        span = deadline - start
        self.tick = min(MAX_TICK_S, max(MIN_TICK_S, span / PROGRESS_TICKS))

    def time_fraction(self) -> float:
        """Share of the job's time that has passed, 0..1."""
        span = self.deadline - self.start
        if span <= 0:
            return 1.0
        return min(1.0, max(0.0, (time.time() - self.start) / span))

    def record(self, fraction: float) -> None:
        """Record ``fraction`` of the way as progress (never 100: that comes with completed)."""
        progress = self.base + int((PROGRESS_BEFORE_DONE - self.base) * fraction)
        if progress > self.last:
            self.last = progress
            self.store.set_progress(self.job_id, progress)

    async def run_to(self, fraction: float) -> None:
        """Wait until ``fraction`` of the time has passed, recording progress meanwhile."""
        target = self.start + (self.deadline - self.start) * fraction
        while True:
            self.record(min(fraction, self.time_fraction()))
            left = target - time.time()
            if left <= 0:
                return
            await asyncio.sleep(min(self.tick, left))

    async def follow(self, render: RenderTask, on_encoded: Callable[[], None]) -> None:
        """Until the render is done and the time is up; raises what the render raised.
        ``on_encoded`` runs once the files are written."""
        done = asyncio.wrap_future(render.future)
        encoded = False
        try:
            while True:
                self.record(min(self.time_fraction(), render.fraction))
                left = self.deadline - time.time()
                if done.done():
                    done.result()
                    if not encoded:
                        encoded = True
                        on_encoded()
                    if left <= 0:
                        return
                    await asyncio.sleep(min(self.tick, left))
                else:
                    await asyncio.wait({done}, timeout=self.tick)
        except asyncio.CancelledError:
            # Deleted or stopping: a render still queued never starts; one running stops at
            # its next frame once the job's directory is gone, or when the pool closes.
            done.cancel()
            raise

"""Runs render jobs off the event loop: a bounded thread pool, pacing, cancel, fail, resume.

A job's wall time from create to completed is ``render_seconds`` (when a render slot is free):
the encode runs frame by frame and each frame waits for its share of the time, so progress
rises smoothly as a real integer percent. A job resumed after a restart keeps its progress and
takes the remaining share of the time.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from conformance.provider.render import REFERENCE_FILE, RenderSpec, render
from conformance.provider.store import Job, Store

FAIL_MARKER = "[[fail]]"
"""A prompt containing this fails its job deterministically (the reference profile uses it)."""

FAILURE_CODE = "generation_failed"
INTERNAL_FAILURE_CODE = "internal_error"
PROGRESS_BEFORE_DONE = 99
QUEUED_SHARE = 0.2
"""Share of ``render_seconds`` a new job spends ``queued`` before rendering starts. Real
services queue work, and a client's first poll (the SDK polls at once after create) must be
able to see that state, in whatever word the dialect uses for it."""
"""Progress while the last frames are written; 100 only comes with ``completed``."""

log = logging.getLogger(__name__)


class _Abandoned(Exception):
    """The job was deleted or the provider is stopping: stop rendering it."""


class RenderEngine:
    """Schedules and runs renders for jobs in a :class:`Store`."""

    def __init__(
        self,
        store: Store,
        *,
        render_seconds: float,
        ttl_seconds: float,
        fps: int,
        max_concurrent: int,
    ) -> None:
        self.store = store
        self.render_seconds = render_seconds
        self.ttl_seconds = ttl_seconds
        self.fps = fps
        self._pool = ThreadPoolExecutor(
            max_workers=max_concurrent, thread_name_prefix="provider-render"
        )
        self._stopping = threading.Event()
        self._cancel_lock = threading.Lock()
        self._cancelled: set[str] = set()

    def submit(self, job: Job, *, resumed: bool = False) -> None:
        """Queue ``job`` for rendering."""
        self._pool.submit(self._run, job.id, resumed)

    def resume_unfinished(self) -> int:
        """Re-queue every job a previous run left unfinished; returns how many."""
        jobs = self.store.unfinished()
        for job in jobs:
            self.submit(job, resumed=True)
        return len(jobs)

    def cancel(self, job_id: str) -> None:
        """Stop rendering ``job_id`` at the next frame (it was deleted)."""
        with self._cancel_lock:
            self._cancelled.add(job_id)

    def stop(self) -> None:
        """Abandon running renders (their jobs stay unfinished for a later resume) and wait."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # --- inside a render thread ---------------------------------------------------------------

    def _run(self, job_id: str, resumed: bool) -> None:
        try:
            self._render(job_id, resumed)
        except _Abandoned:
            pass
        except Exception as exc:  # a broken render must fail its job, never hang it
            if self.store.get(job_id) is None:
                # Deleted while rendering: its files went away under the encoder. Nothing
                # failed; there is no job left to report on.
                return
            log.exception("render of %s failed", job_id)
            self.store.mark_failed(
                job_id,
                time.time(),
                INTERNAL_FAILURE_CODE,
                f"The reference provider could not render: {type(exc).__name__}",
            )
        finally:
            with self._cancel_lock:
                self._cancelled.discard(job_id)
            # A delete that raced the render may have left files behind.
            if self.store.get(job_id) is None:
                seq = self.store.cursor_seq(job_id)
                if seq is not None:
                    shutil.rmtree(self.store.media_dir_for_seq(seq), ignore_errors=True)

    def _render(self, job_id: str, resumed: bool) -> None:
        self._check(job_id)
        job = self.store.get(job_id)
        if job is None or job.terminal:
            return
        if not resumed:
            self._sleep(job_id, job.created_at + self.render_seconds * QUEUED_SHARE - time.time())
        now = time.time()
        if not self.store.mark_started(job_id, now):
            return
        base = job.progress
        if resumed:
            deadline = now + self.render_seconds * (100 - base) / 100
        else:
            # Measured from create: time spent queued counts against the render time.
            deadline = max(now, job.created_at + self.render_seconds)
        pacer = _Pacer(self, job_id, start=now, deadline=deadline, base=base)

        if job.doomed:
            # Fail halfway, like a generation that breaks down mid-way.
            pacer.run_to(0.5)
            message = (
                "The prompt asked the reference provider to fail this job"
                if FAIL_MARKER in (job.prompt or "")
                else "The reference provider failed this job at random (fail_rate)"
            )
            self.store.mark_failed(job_id, time.time(), FAILURE_CODE, message)
            return

        out_dir = self.store.media_dir(job)
        reference = out_dir / REFERENCE_FILE if job.has_reference else None
        spec = RenderSpec(
            width=job.width,
            height=job.height,
            duration=job.duration,
            fps=self.fps,
            prompt=job.prompt or "",
            reference=reference,
        )
        render(spec, out_dir, lambda done, total: pacer.run_to(done / total))
        pacer.wait_deadline()
        self.store.mark_completed(job_id, time.time(), self.ttl_seconds)

    def _check(self, job_id: str) -> None:
        if self._stopping.is_set():
            raise _Abandoned
        with self._cancel_lock:
            if job_id in self._cancelled:
                raise _Abandoned

    def _sleep(self, job_id: str, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Abandoned
        self._check(job_id)


class _Pacer:
    """Spreads one render over [start, deadline] and records progress as it goes."""

    def __init__(
        self, engine: RenderEngine, job_id: str, *, start: float, deadline: float, base: int
    ) -> None:
        self.engine = engine
        self.job_id = job_id
        self.start = start
        self.deadline = deadline
        self.base = base
        self.last = base

    def run_to(self, fraction: float) -> None:
        """Wait until ``fraction`` of the time has passed, then record that much progress."""
        target = self.start + (self.deadline - self.start) * fraction
        self.engine._sleep(self.job_id, target - time.time())
        progress = self.base + int((PROGRESS_BEFORE_DONE - self.base) * fraction)
        if progress > self.last:
            self.last = progress
            self.engine.store.set_progress(self.job_id, progress)

    def wait_deadline(self) -> None:
        """Wait out the rest of the time (the encode may have been faster)."""
        self.engine._sleep(self.job_id, self.deadline - time.time())

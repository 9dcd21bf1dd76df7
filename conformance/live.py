"""What a run is doing, while it does it: the observer of run events and its two displays.

The parts of a run report what happens through ``events()`` (one call where it happens: the job
pool after each poll, the plugin after each check, the property phase after each request, the
budget after each accepted job). Nobody passes an observer around: ``observing(display)``
installs one for the duration of a run, and without one every call goes to ``RunEvents``, which
does nothing. Two displays implement it:

- ``LiveDisplay`` (a terminal): a panel redrawn in place with every job's status, progress and
  elapsed time, checks done/total by feature, the property phase's counters and the budget
  spent; check lines scroll above it.
- ``LineLog`` (CI, a pipe): plain lines, a job's line only when its status changes, and a
  heartbeat line every ``HEARTBEAT_S`` seconds so a long run never looks hung.

Both keep what they show in a ``live_state.RunState``.

Every method must be cheap and must never raise: they are called from the pool's threads and
the property phase's hot loop.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from conformance.live_state import JobState, RunState, as_percent, progress_text

HEARTBEAT_S = 10.0
"""Seconds between the line log's summary lines."""
_TERMINAL_JOB_STATES = frozenset(
    {"completed", "failed", "timeout", "rejected", "broken", "skipped", "error"}
)


class RunEvents:
    """The observer interface of a run; this base class ignores every event."""

    def log(self, line: str) -> None:
        """A line of the run's own narration (``checking …``, a check's outcome)."""

    def job_update(self, purpose: str, status: Any, progress: Any) -> None:
        """The pool saw job ``purpose`` in ``status`` with ``progress`` (as the vendor sent
        them: possibly off-contract values)."""

    def job_done(self, purpose: str, outcome: str, reason: str = "") -> None:
        """Job ``purpose`` settled: completed, failed, timeout, rejected, broken, skipped, error."""

    def check_done(self, check_id: str, feature: str, outcome: str) -> None:
        """A hand-written check finished with ``outcome``."""

    def fuzz_progress(self, requests: int, findings: int) -> None:
        """The property phase has sent ``requests`` requests; ``findings`` failures so far."""

    def fuzz_done(self, requests: int, findings: int) -> None:
        """The property phase ended after ``requests`` requests with ``findings`` findings."""

    def budget(self, jobs: int, seconds: int, cost: float | None) -> None:
        """The budget meter counts ``jobs`` created jobs, ``seconds`` billable seconds."""

    def exchange(self, method: str, url: str, status: int | None, elapsed_ms: float | None) -> None:
        """One request went out and (unless ``status`` is None) was answered. URLs arrive
        redacted."""


_NULL = RunEvents()
_current: RunEvents = _NULL


def events() -> RunEvents:
    """The observer of the run in progress (a no-op one outside a run)."""
    return _current


@contextlib.contextmanager
def observing(observer: RunEvents) -> Iterator[RunEvents]:
    """Install ``observer`` for the duration of the block (one run at a time)."""
    global _current
    previous, _current = _current, observer
    try:
        yield observer
    finally:
        _current = previous


class _Recorder(RunEvents):
    """The state bookkeeping both displays share."""

    owned_stream: TextIO | None = None
    """A stream the display opened for itself (``own_stdout``), closed when the run ends."""

    def __init__(self, state: RunState, verbose: bool) -> None:
        self.state = state
        self.verbose = verbose

    def _job(self, purpose: str) -> JobState:
        job = self.state.jobs.get(purpose)
        if job is None:
            job = self.state.jobs[purpose] = JobState(purpose)
        return job

    def job_update(self, purpose: str, status: Any, progress: Any) -> None:
        with self.state.lock:
            job = self._job(purpose)
            changed = str(status) != job.status
            job.status = str(status)
            job.progress = as_percent(progress)
        if changed:
            self._job_changed(purpose, str(status), progress)

    def job_done(self, purpose: str, outcome: str, reason: str = "") -> None:
        with self.state.lock:
            job = self._job(purpose)
            if job.ended is not None:
                return
            job.status, job.ended = outcome, time.monotonic()
            elapsed = job.elapsed()
        self._job_finished(purpose, outcome, reason, elapsed)

    def check_done(self, check_id: str, feature: str, outcome: str) -> None:
        with self.state.lock:
            self.state.done[feature] = self.state.done.get(feature, 0) + 1
            if outcome in ("failed", "error"):
                self.state.failed[feature] = self.state.failed.get(feature, 0) + 1
        self._tick()

    def fuzz_progress(self, requests: int, findings: int) -> None:
        with self.state.lock:
            if self.state.fuzz_started is None:
                self.state.fuzz_started = time.monotonic()
            self.state.fuzz_requests = max(self.state.fuzz_requests, requests)
            self.state.fuzz_findings = max(self.state.fuzz_findings, findings)
        self._tick()

    def fuzz_done(self, requests: int, findings: int) -> None:
        with self.state.lock:
            started = self.state.fuzz_started
            self.state.fuzz_requests, self.state.fuzz_findings = requests, findings
            self.state.fuzz_ended = time.monotonic()
            took = self.state.fuzz_ended - (started or self.state.started)
        self.log(f"property phase done: {requests} requests, {findings} finding(s), {took:.0f} s")

    def budget(self, jobs: int, seconds: int, cost: float | None) -> None:
        with self.state.lock:
            self.state.spent_jobs, self.state.spent_seconds, self.state.cost = jobs, seconds, cost
        self._tick()

    def exchange(self, method: str, url: str, status: int | None, elapsed_ms: float | None) -> None:
        if self.verbose:
            answer = "no answer" if status is None else str(status)
            took = "" if elapsed_ms is None else f" ({elapsed_ms:.0f} ms)"
            self.log(f"  {method} {url} -> {answer}{took}")

    # hooks of the concrete displays
    def _job_changed(self, purpose: str, status: str, progress: Any) -> None:
        pass

    def _job_finished(self, purpose: str, outcome: str, reason: str, elapsed: float) -> None:
        pass

    def _tick(self) -> None:
        pass


class LineLog(_Recorder):
    """Plain lines for a log that is not a terminal (CI): nothing is redrawn."""

    def __init__(
        self, state: RunState, *, verbose: bool = False, stream: TextIO | None = None
    ) -> None:
        super().__init__(state, verbose)
        self.stream = stream or sys.stdout
        self._write_lock = threading.Lock()
        self._last_beat = time.monotonic()

    def __enter__(self) -> LineLog:
        # A summary line every HEARTBEAT_S even when no event comes (the property phase can
        # load for a long while before its first request): a quiet log looks like a hang.
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name="line-log", daemon=True)
        self._beat.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._beat.join(timeout=1)

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S / 2):
            self._tick()

    def log(self, line: str) -> None:
        with self._write_lock, contextlib.suppress(ValueError, OSError):
            # A job thread that outlives the run may report after the stream was closed.
            self.stream.write(line + "\n")
            self.stream.flush()

    def _stamp(self) -> str:
        return f"[{time.monotonic() - self.state.started:5.0f}s]"

    def _job_changed(self, purpose: str, status: str, progress: Any) -> None:
        detail = progress_text(progress)
        self.log(f"{self._stamp()} job {purpose}: {status}" + (f" {detail}" if detail else ""))

    def _job_finished(self, purpose: str, outcome: str, reason: str, elapsed: float) -> None:
        why = f" ({reason})" if reason else ""
        self.log(f"{self._stamp()} job {purpose}: {outcome} after {elapsed:.1f} s{why}")

    def _tick(self) -> None:
        now = time.monotonic()
        with self.state.lock:
            if now - self._last_beat < HEARTBEAT_S:
                return
            self._last_beat = now
            line = " · ".join(
                (self.state.checks_line(), self.state.fuzz_line(), self.state.budget_line())
            )
        self.log(f"{self._stamp()} {line}")


def own_stdout() -> TextIO:
    """A stream on a duplicate of the process's stdout descriptor.

    The property phase is a nested pytest session that captures file descriptor 1 while it
    runs; what a display writes through its own duplicate still reaches the user meanwhile.
    Falls back to ``sys.stdout`` when there is no real descriptor (a test's capture, an IDE).
    """
    try:
        sys.stdout.flush()
        fd = os.dup(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return sys.stdout
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return os.fdopen(fd, "w", buffering=1, encoding=encoding, errors="replace")


class LiveDisplay(_Recorder):
    """A panel redrawn in place on a terminal (rich), with the run's lines scrolling above."""

    def __init__(
        self,
        state: RunState,
        *,
        verbose: bool = False,
        max_jobs: int | None = None,
        stream: TextIO | None = None,
    ):
        from rich.console import Console

        super().__init__(state, verbose)
        self.stream = stream or sys.stdout
        self.console = Console(file=self.stream)
        self.max_jobs = max_jobs
        self._live: Any = None

    def __enter__(self) -> LiveDisplay:
        from rich.live import Live

        self._live = Live(
            get_renderable=self.render,
            console=self.console,
            refresh_per_second=4,
            transient=True,
        )
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def log(self, line: str) -> None:
        # markup=False: a vendor's message may contain [brackets] that rich would interpret.
        with contextlib.suppress(ValueError, OSError):
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def render(self) -> Any:
        """The panel: jobs, checks by feature, property phase, budget."""
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        with self.state.lock:
            jobs = sorted(self.state.jobs.values(), key=lambda j: j.started)
            jobs_table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
            for column in ("job", "status", "progress", "elapsed"):
                jobs_table.add_column(column)
            for job in jobs:
                done = job.status in _TERMINAL_JOB_STATES
                bar: Any = (
                    ProgressBar(total=100, completed=job.progress or 0, width=20)
                    if job.progress is not None or not done
                    else Text("")
                )
                style = {"completed": "green", "failed": "red", "timeout": "red"}.get(job.status)
                jobs_table.add_row(
                    job.purpose, Text(job.status, style=style or ""), bar, f"{job.elapsed():.0f} s"
                )
            features = Text()
            for feature, total in self.state.totals.items():
                if not total:
                    continue
                done_n = self.state.done.get(feature, 0)
                failed_n = self.state.failed.get(feature, 0)
                style = "red" if failed_n else ("green" if done_n == total else "")
                features.append(f"{feature} {done_n}/{total}  ", style=style)
            summary = Text(
                f"{self.state.checks_line()} · {self.state.fuzz_line()} · "
                f"{self.state.budget_line(self.max_jobs)} · "
                f"{time.monotonic() - self.state.started:.0f} s"
            )
        return Group(jobs_table, features, summary)


def feature_totals(selected: set[str]) -> dict[str, int]:
    """Selected hand-written checks per feature, in catalogue order."""
    from conformance import catalog

    totals: dict[str, int] = dict.fromkeys(catalog.FEATURES, 0)
    for check_id in selected:
        entry = catalog.CHECKS.get(check_id)
        if entry is not None:
            totals[entry.feature] = totals.get(entry.feature, 0) + 1
    return totals


def make_display(
    totals: Mapping[str, int],
    *,
    fuzz_budget_s: float | None,
    quiet: bool = False,
    verbose: bool = False,
    max_jobs: int | None = None,
    tty: bool | None = None,
) -> RunEvents:
    """The display a run gets: nothing (quiet), a live panel (terminal) or a line log."""
    if quiet:
        return RunEvents()
    state = RunState(totals=dict(totals), fuzz_budget_s=fuzz_budget_s)
    if tty is None:
        tty = sys.stdout.isatty()
    stream = own_stdout()
    display: LiveDisplay | LineLog = (
        LiveDisplay(state, verbose=verbose, max_jobs=max_jobs, stream=stream)
        if tty
        else LineLog(state, verbose=verbose, stream=stream)
    )
    if stream is not sys.stdout:
        display.owned_stream = stream
    return display


@contextlib.contextmanager
def shown(display: RunEvents) -> Iterator[RunEvents]:
    """Install ``display`` as the run's observer and, for a live panel, draw it meanwhile."""
    stream = getattr(display, "owned_stream", None)
    try:
        with observing(display):
            if isinstance(display, LiveDisplay | LineLog):
                with display:
                    yield display
            else:
                yield display
    finally:
        if stream is not None:
            stream.close()

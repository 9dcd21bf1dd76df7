"""What the run's displays show: every job's row, the checks done, the property phase, the budget.

``live``'s displays keep one ``RunState``, updated from the run's events under its lock (the
events come from the pool's threads and the property phase), and read it to draw a panel or
write a line. The values are shown as the vendor sent them: a status or a progress outside the
contract is printed, never dropped.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class JobState:
    """One job as the display shows it."""

    purpose: str
    status: str = ""
    progress: float | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started


@dataclass
class RunState:
    """Everything the displays show, updated from the events (thread-safe through ``lock``)."""

    totals: dict[str, int]
    """Selected hand-written checks per feature."""
    fuzz_budget_s: float | None = None
    """Time bound of the property phase, or None when it does not run."""
    started: float = field(default_factory=time.monotonic)
    jobs: dict[str, JobState] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    fuzz_requests: int = 0
    fuzz_findings: int = 0
    fuzz_started: float | None = None
    fuzz_ended: float | None = None
    spent_jobs: int = 0
    spent_seconds: int = 0
    cost: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def checks_line(self) -> str:
        total = sum(self.totals.values())
        done = sum(self.done.values())
        failed = sum(self.failed.values())
        return f"checks {done}/{total}" + (f" ({failed} failed)" if failed else "")

    def fuzz_line(self) -> str:
        if self.fuzz_budget_s is None:
            return "property phase off"
        if self.fuzz_ended is not None:
            return (
                f"property phase done ({self.fuzz_requests} requests, "
                f"{self.fuzz_findings} findings)"
            )
        # The phase starts with the run (while the jobs render); its first request may come
        # much later, after the engine has loaded the contract.
        elapsed = min(time.monotonic() - (self.fuzz_started or self.started), self.fuzz_budget_s)
        return (
            f"property phase {self.fuzz_requests} requests, {self.fuzz_findings} findings, "
            f"{elapsed:.0f}/{self.fuzz_budget_s:g} s"
        )

    def budget_line(self, max_jobs: int | None = None) -> str:
        cost = "" if self.cost is None else f", ${self.cost:,.2f}"
        cap = f"/{max_jobs}" if max_jobs is not None else ""
        return f"budget {self.spent_jobs}{cap} jobs, {self.spent_seconds} s{cost}"


def progress_text(value: Any) -> str:
    """A job's progress as a log line shows it: ``40%``, or an off-contract value as sent."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else f"progress {value!r}"
    return f"{value:g}%"


def as_percent(value: Any) -> float | None:
    """A job's progress as a bar can draw it: a number, else ``None`` (no bar value)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)

"""The budget meter: the one place that decides whether a request that may bill is sent.

Every request that could create a job (a create, a remix, a validation probe a lax vendor might
accept, a generated property-test case) first reserves room here. The meter is shared by the
job pool, the checks and the property phase, and is thread-safe, so the caps hold whatever runs
concurrently: ``jobs_created + open reservations <= max_jobs`` at every instant, and the same
for seconds of video.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from conformance.live import events


@dataclass(frozen=True)
class BudgetLimits:
    """Caps for one run. ``price_per_second`` only feeds the cost estimate."""

    max_jobs: int = 8
    max_video_seconds: int = 64
    price_per_second: float | None = None


@dataclass
class CreatedJob:
    """A job the vendor accepted (and may bill), remembered for billing and clean-up."""

    video_id: str | None
    seconds: int
    purpose: str


@dataclass
class Reservation:
    """Room for one possible job. Confirm it when the vendor accepted, cancel it otherwise."""

    meter: Budget
    seconds: int
    purpose: str
    _settled: bool = field(default=False, repr=False)

    def confirm(self, video_id: str | None) -> CreatedJob:
        """The vendor accepted the request: the job counts as created (and billed)."""
        return self.meter._settle(self, video_id, accepted=True)  # type: ignore[return-value]

    def cancel(self) -> None:
        """The vendor rejected the request: nothing was created."""
        self.meter._settle(self, None, accepted=False)


class Budget:
    """Counts jobs and seconds of video; refuses reservations that could exceed the limits."""

    def __init__(self, limits: BudgetLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._reserved_jobs = 0
        self._reserved_seconds = 0
        self.created: list[CreatedJob] = []
        self.refusals: list[str] = []

    def reserve(self, seconds: int, purpose: str) -> Reservation | None:
        """Room for one job of ``seconds``, or ``None`` when it could exceed a limit."""
        with self._lock:
            jobs = len(self.created) + self._reserved_jobs + 1
            secs = self.billable_seconds_locked() + self._reserved_seconds + seconds
            if jobs > self.limits.max_jobs or secs > self.limits.max_video_seconds:
                self.refusals.append(purpose)
                return None
            self._reserved_jobs += 1
            self._reserved_seconds += seconds
            return Reservation(self, seconds, purpose)

    def _settle(
        self, res: Reservation, video_id: str | None, *, accepted: bool
    ) -> CreatedJob | None:
        with self._lock:
            if res._settled:
                raise RuntimeError("reservation settled twice")
            res._settled = True
            self._reserved_jobs -= 1
            self._reserved_seconds -= res.seconds
            if not accepted:
                return None
            job = CreatedJob(video_id, res.seconds, res.purpose)
            self.created.append(job)
        events().budget(self.jobs_created, self.billable_seconds, self.estimated_cost)
        return job

    def billable_seconds_locked(self) -> int:
        return sum(job.seconds for job in self.created)

    @property
    def jobs_created(self) -> int:
        with self._lock:
            return len(self.created)

    @property
    def billable_seconds(self) -> int:
        with self._lock:
            return self.billable_seconds_locked()

    @property
    def estimated_cost(self) -> float | None:
        price = self.limits.price_per_second
        return None if price is None else round(price * self.billable_seconds, 4)

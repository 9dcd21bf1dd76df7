"""When to ask about a job again: the poll schedule of one job.

In order of trust:

1. ``openai-poll-after-ms`` (an integer, as openai-python reads it): the provider says when.
2. ``Retry-After`` / ``retry-after-ms`` on 429 and 503: the provider says "not now".
3. The job's own progress: two readings of ``progress`` give a rate, the rate an estimated
   completion time, and the next poll lands just after it. Completion is then noticed within a
   few per cent of the job's time at about the cost of a fixed 1 s poller on short jobs and far
   less on the minutes-long jobs of real vendors.
4. Nothing to go on (no hint, progress absent or stuck): wait a tenth of the time the job has
   run so far (at least ``FLOOR_S``): completion is noticed within about 10 % of the job's
   time, and a job of minutes costs tens of requests, not hundreds.

Past an estimated completion that did not happen, the schedule falls back to rule 4 from there
(a fraction of the elapsed time), so a wrong estimate costs little.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MIN_POLL_S = 0.05
MAX_POLL_S = 30.0
MAX_RETRY_AFTER_S = 60.0
FLOOR_S = 0.5
"""The shortest wait without a hint: at most twice the requests of a fixed 1 s poller."""
ELAPSED_FRACTION = 0.1
OVERDUE_FRACTION = 0.05
"""Past the estimate, a smaller fraction: the job is due, so look sooner."""
ESTIMATE_MARGIN_S = 0.02
MIN_GAIN = 5
"""Progress points between two readings before their rate is trusted."""
"""Aim just after the estimate, so the poll finds the job finished rather than at 99 %."""


def hinted_delay(status: int | None, headers: Mapping[str, str]) -> float | None:
    """What the provider asked for: ``openai-poll-after-ms``, or on 429/503 ``retry-after-ms``
    or ``Retry-After`` (seconds); ``None`` when it asked for nothing usable."""
    lower = {k.lower(): v for k, v in headers.items()}
    raw = lower.get("openai-poll-after-ms")
    if raw is not None and raw.strip().isdigit():
        return min(max(int(raw) / 1000, MIN_POLL_S), MAX_POLL_S)
    if status in (429, 503):
        for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
            value = lower.get(name)
            if value is None:
                continue
            try:
                seconds = float(value) / scale
            except ValueError:
                continue
            if seconds == seconds:  # not NaN
                return min(max(seconds, MIN_POLL_S), MAX_RETRY_AFTER_S)
    return None


@dataclass
class PollSchedule:
    """The poll schedule of one job; ``t`` is seconds since its create answered."""

    readings: list[tuple[float, int]] = field(default_factory=list)
    """(t, progress) of every reading while the job ran, progress as an integer 0-99."""

    def observe(self, t: float, body: Any) -> None:
        """Note the job's progress from a Video body (create or poll answer)."""
        if not isinstance(body, dict) or body.get("status") not in ("queued", "in_progress"):
            return
        progress = body.get("progress")
        if isinstance(progress, int) and not isinstance(progress, bool) and 0 <= progress < 100:
            self.readings.append((t, progress))

    def estimated_completion(self) -> tuple[float, bool] | None:
        """(when the job should finish at the rate its progress moved, whether the estimate is
        firm), or ``None``. Firm: two readings while it moved, ``MIN_GAIN`` points apart; a
        first step off 0 says little (progress is an integer, and the job may have just left
        the queue)."""
        moving = [r for r in self.readings if r[1] > 0]
        if not moving:
            return None
        if len(moving) >= 2 and moving[-1][1] - moving[0][1] >= MIN_GAIN:
            first, firm = moving[0], True
        else:
            # The job started moving after its last 0 reading: the rate from there is the
            # fastest it can be, so the estimate errs early (and costs a poll, not a delay).
            zeros = [r for r in self.readings if r[1] == 0 and r[0] < moving[0][0]]
            if not zeros:
                return None
            first, firm = zeros[-1], False
        last = moving[-1]
        span, gained = last[0] - first[0], last[1] - first[1]
        if span <= 0 or gained <= 0:
            return None
        return last[0] + (100 - last[1]) * span / gained, firm

    def next_delay(self, t: float, status: int | None, headers: Mapping[str, str]) -> float:
        """Seconds to wait after the answer that arrived at ``t``."""
        hinted = hinted_delay(status, headers)
        if hinted is not None:
            return hinted
        fallback = min(max(ELAPSED_FRACTION * t, FLOOR_S), MAX_POLL_S)
        estimate = self.estimated_completion()
        if estimate is None:
            return fallback
        when, firm = estimate
        until = when - t
        if until <= 0:
            return min(max(OVERDUE_FRACTION * t, MIN_POLL_S * 2), MAX_POLL_S)
        # A firm estimate may be waited out in halves; a rough one never beyond the fallback,
        # so that a job that speeds up is not noticed late.
        if firm and until <= 2 * fallback:
            cap = until + ESTIMATE_MARGIN_S
        else:
            cap = max(fallback, 0.5 * until) if firm else fallback
        return min(max(until + ESTIMATE_MARGIN_S, MIN_POLL_S), cap, MAX_POLL_S)

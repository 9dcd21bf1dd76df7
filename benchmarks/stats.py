"""Pure statistics for the benchmarks: medians, percentiles, ratios, target verdicts.

Every number in RESULTS.md goes through here, so the rules are in one place: a median of
several repetitions, percentiles by linear interpolation between closest ranks (the common
"type 7" definition), and ``None`` (shown as "n/a") wherever there is nothing to measure,
instead of a made-up zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) of ``values`` by linear interpolation; None if empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    data = sorted(v for v in values if not math.isnan(v))
    if not data:
        return None
    rank = (len(data) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return data[low]
    return data[low] + (data[high] - data[low]) * (rank - low)


def median(values: Sequence[float]) -> float | None:
    """The median of ``values``; None if empty."""
    return percentile(values, 50)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``; None when either is unknown or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class Target:
    """A benchmark target, e.g. "ratio <= 0.5"."""

    label: str
    limit: float
    at_most: bool = True
    """True: the value must be <= limit; False: >= limit."""
    strict: bool = False
    """True: the limit itself misses (< or >)."""

    def verdict(self, value: float | None) -> str:
        """``met``, ``missed`` or ``not measured``."""
        if value is None:
            return "not measured"
        if self.strict:
            ok = value < self.limit if self.at_most else value > self.limit
        else:
            ok = value <= self.limit if self.at_most else value >= self.limit
        return "met" if ok else "missed"

    def describe(self) -> str:
        """The target as written in RESULTS.md, e.g. ``≤ 0.5`` (``< 50`` when strict)."""
        signs = ("<", ">") if self.strict else ("≤", "≥")
        return f"{signs[0] if self.at_most else signs[1]} {self.limit:g}"

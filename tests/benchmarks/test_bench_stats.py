"""The benchmarks' statistics: percentiles, medians, ratios, target verdicts."""

from __future__ import annotations

import math

import pytest

from benchmarks.stats import Target, median, percentile, ratio


def test_median_of_odd_and_even_counts() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_median_of_nothing_is_unknown_not_zero() -> None:
    assert median([]) is None


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 50.0
    assert percentile(values, 90) == pytest.approx(46.0)
    assert percentile(values, 99) == pytest.approx(49.6)


def test_percentile_ignores_order_and_nan() -> None:
    assert percentile([50.0, math.nan, 10.0, 30.0], 50) == 30.0


def test_percentile_single_value() -> None:
    assert percentile([7.5], 99) == 7.5


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_rejects_out_of_range(q: float) -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], q)


def test_ratio_and_its_unknowns() -> None:
    assert ratio(3.0, 12.0) == 0.25
    assert ratio(None, 2.0) is None
    assert ratio(2.0, None) is None
    assert ratio(2.0, 0.0) is None


def test_target_at_most() -> None:
    target = Target("wall / serial", 0.5)
    assert target.verdict(0.5) == "met"
    assert target.verdict(0.51) == "missed"
    assert target.verdict(None) == "not measured"
    assert target.describe() == "≤ 0.5"


def test_target_at_least() -> None:
    target = Target("throughput", 100, at_most=False)
    assert target.verdict(99) == "missed"
    assert target.verdict(100) == "met"
    assert target.describe() == "≥ 100"

"""The budget meter: caps hold at every instant, whatever runs concurrently."""

from __future__ import annotations

import threading

import pytest

from conformance.budget import Budget, BudgetLimits


def test_reserve_confirm_cancel() -> None:
    budget = Budget(BudgetLimits(max_jobs=2, max_video_seconds=8, price_per_second=0.1))
    first = budget.reserve(4, "a")
    second = budget.reserve(4, "b")
    assert first is not None and second is not None
    assert budget.reserve(4, "c") is None  # two open reservations fill max_jobs
    first.confirm("video_1")
    second.cancel()
    assert budget.jobs_created == 1 and budget.billable_seconds == 4
    assert budget.estimated_cost == pytest.approx(0.4)
    assert budget.refusals == ["c"]


def test_seconds_cap() -> None:
    budget = Budget(BudgetLimits(max_jobs=10, max_video_seconds=10))
    assert budget.reserve(8, "a") is not None
    assert budget.reserve(4, "b") is None


def test_settling_twice_is_a_bug() -> None:
    res = Budget(BudgetLimits()).reserve(4, "a")
    assert res is not None
    res.cancel()
    with pytest.raises(RuntimeError):
        res.confirm("video_1")


def test_caps_hold_under_concurrency() -> None:
    budget = Budget(BudgetLimits(max_jobs=5, max_video_seconds=100))
    granted = []
    lock = threading.Lock()

    def grab() -> None:
        res = budget.reserve(4, "x")
        if res is not None:
            with lock:
                granted.append(res)
            res.confirm(None)

    threads = [threading.Thread(target=grab) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 5 and budget.jobs_created == 5


def test_no_price_no_cost() -> None:
    assert Budget(BudgetLimits()).estimated_cost is None

"""The oracle's background session: planned jobs, budget, and ending node when the run stops."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance.budget import Budget, BudgetLimits
from conformance.catalog import select
from conformance.config import Overrides, resolve_target
from conformance.node_oracle import driver, session
from conformance.node_oracle.driver import unavailable
from conformance.recording.wiring import Wiring

needs_node = pytest.mark.skipif(unavailable() is not None, reason=f"{unavailable()}")


def test_no_session_when_the_check_is_not_selected() -> None:
    target = resolve_target(Overrides(profile="reference"), env={}, require_key=False)
    budget = Budget(BudgetLimits())
    started = session.start(
        target,
        select(None, ["VID-SDK-004"]),
        budget,
        run_tag="t",
        wiring=Wiring(),
        media_cap=1 << 20,
        run_ends_at=lambda: time.monotonic() + 60,
    )
    assert started is None
    assert session.oracle_jobs(target, select(None, ["VID-SDK-004"])) == []


def test_without_node_the_session_is_finished_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "")
    target = resolve_target(Overrides(profile="reference"), env={}, require_key=False)
    budget = Budget(BudgetLimits())
    started = session.start(
        target,
        {"VID-SDK-004"},
        budget,
        run_tag="t",
        wiring=Wiring(),
        media_cap=1 << 20,
        run_ends_at=lambda: time.monotonic() + 60,
    )
    assert started is not None and started.wait(0)
    assert started.skip_reason == "openai-node oracle not run: node is not on PATH"
    assert budget.jobs_created == 0 and budget.reserve(4, "probe") is not None  # nothing held


@needs_node
def test_the_budget_caps_the_oracles_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "quiet.mjs"
    script.write_text(
        "process.stdout.write(JSON.stringify({node: 'v', openai: 'x', calls: []}));\n"
    )
    monkeypatch.setattr(driver, "SCRIPT", script)
    target = resolve_target(Overrides(profile="reference"), env={}, require_key=False)
    budget = Budget(BudgetLimits(max_jobs=1, max_video_seconds=64))
    started = session.start(
        target,
        {"VID-SDK-004"},
        budget,
        run_tag="t",
        wiring=Wiring(),
        media_cap=1 << 20,
        run_ends_at=lambda: time.monotonic() + 60,
    )
    assert started is not None and started.wait(30)
    # room for its own job, none for the remix: the oracle is told to make only the job
    assert started.plan.create is not None and started.plan.remix is None
    assert started.budget_note == "the budget had no room for the oracle's remix"
    # the job was never sent: its reservation is given back
    assert budget.jobs_created == 0 and budget.refusals == ["openai-node oracle remix"]


@needs_node
def test_stopping_the_session_ends_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "hang.mjs"
    script.write_text("setInterval(() => {}, 1000);\n")
    monkeypatch.setattr(driver, "SCRIPT", script)
    target = resolve_target(Overrides(profile="reference"), env={}, require_key=False)
    started = session.start(
        target,
        {"VID-SDK-004"},
        Budget(BudgetLimits()),
        run_tag="t",
        wiring=Wiring(),
        media_cap=1 << 20,
        run_ends_at=lambda: time.monotonic() + 60,
    )
    assert started is not None
    deadline = time.monotonic() + 10
    while started.wait(0.1) is False and time.monotonic() < deadline:
        started.stop()
    assert started.wait(5)
    assert started.error is not None and "ended by signal" in started.error

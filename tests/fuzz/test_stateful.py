"""Stateful runs (linked workflows from real jobs) against the reference provider."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from conformance.budget import Budget, BudgetLimits
from conformance.fuzz import PropertyContext, stateful, workflows
from conformance.fuzz.catalog import PROPERTY_CHECKS, STATEFUL_CHECKS
from conformance.fuzz.executor import PhaseState
from tests.fuzz.conftest import API_KEY, AUTH, PhaseRunner, provider

USE_AFTER_FREE = "PROP-STATEFUL-USE-AFTER-FREE"
AVAILABILITY = "PROP-STATEFUL-RESOURCE-AVAILABILITY"


def run_stateful(
    base_url: str, tmp_path: Path, *, max_jobs: int, seed: int = 4242
) -> tuple[PhaseState, stateful.StatefulRun, Budget]:
    """The stateful run alone, as the property session runs it, with the whole time budget."""
    budget = Budget(BudgetLimits(max_jobs=max_jobs, max_video_seconds=400))
    ctx = PropertyContext(
        base_url=base_url,
        auth_headers=dict(AUTH),
        budget=budget,
        completed_video=lambda: None,
        seed=seed,
        time_budget_s=20.0,
        billable_positive=True,
        request_timeout_s=5.0,
        work_dir=tmp_path,
    )
    state = PhaseState(ctx=ctx, seed=seed)
    state.slots_left = 1  # alone: the stateful slot gets the whole time budget
    run = stateful.StatefulRun(state, max_jobs=stateful.job_allowance(state))
    # A bound ends the machine with pytest.skip; the reason is in run.stop_reason.
    with contextlib.suppress(pytest.skip.Exception):
        workflows.run_workflows(workflows.build_schema(run), run, seed)
    return state, run, budget


def test_clean_provider_passes_the_stateful_checks(tmp_path: Path) -> None:
    with provider() as base_url:
        state, run, budget = run_stateful(base_url, tmp_path, max_jobs=20)
    tallies = state.findings.tallies
    for cid in STATEFUL_CHECKS:
        assert tallies[cid].applied > 0, cid
        assert tallies[cid].failures == 0, (cid, tallies[cid].first_failure)
    assert 1 <= run.jobs <= stateful.MAX_JOBS
    assert budget.jobs_created == run.jobs == state.billable_jobs
    assert run.steps <= stateful.SCENARIOS * stateful.MAX_STEPS
    assert set(state.created_video_ids) == {j.video_id for j in budget.created}


def test_delete_that_keeps_the_job_is_a_use_after_free(tmp_path: Path) -> None:
    with provider("delete-noop") as base_url:
        state, _, _ = run_stateful(base_url, tmp_path, max_jobs=20)
    failure = state.findings.tallies[USE_AFTER_FREE].first_failure
    assert failure is not None
    assert "DELETE /videos/" in failure.message  # names the delete that did not delete
    assert "Reproduce with: curl" in failure.message
    assert any(step.startswith("DELETE ") for step in failure.details["scenario"])
    assert API_KEY not in json.dumps(failure.details) + failure.message
    assert state.findings.tallies[AVAILABILITY].failures == 0


def test_a_budget_of_one_job_is_never_exceeded(tmp_path: Path) -> None:
    with provider() as base_url:
        state, run, budget = run_stateful(base_url, tmp_path, max_jobs=1)
        assert budget.jobs_created == 1
        assert state.billable_jobs == 1
        assert run.stop_reason is not None and "allowance of 1" in run.stop_reason
        # The one job still had its links followed before the machine stopped.
        tallies = state.findings.tallies
        assert tallies[AVAILABILITY].applied + tallies[USE_AFTER_FREE].applied > 0
        # It is handed to the phase's clean-up, which deletes it.
        assert len(state.created_video_ids) == 1


def test_stateful_checks_pass_inside_the_phase_within_the_budget(
    run_phase: PhaseRunner,
) -> None:
    # Roomy budget: the stateless positive creates take their share first.
    result, budget = run_phase(billable_positive=True, max_jobs=30, max_examples=2)
    by_id = {c.id: c for c in result.checks}
    assert sorted(by_id) == sorted(PROPERTY_CHECKS)
    for cid in STATEFUL_CHECKS:
        assert by_id[cid].outcome == "passed", (cid, by_id[cid].message)
        summary = by_id[cid].details["stateful_run"]
        assert 1 <= summary["jobs_created"] <= stateful.MAX_JOBS
    assert "createVideo (stateful)" in result.requests_per_operation
    assert budget.jobs_created == result.billable_jobs <= budget.limits.max_jobs
    assert len(result.created_video_ids) == result.billable_jobs


def test_phase_budget_of_one_job_covers_the_stateful_run(run_phase: PhaseRunner) -> None:
    result, budget = run_phase(billable_positive=True, max_jobs=1, max_examples=2)
    assert budget.jobs_created <= 1
    assert result.billable_jobs <= 1
    by_id = {c.id: c for c in result.checks}
    for cid in STATEFUL_CHECKS:
        # Stopped by the budget: passed on what it saw before, or skipped saying why.
        assert by_id[cid].outcome in ("passed", "skipped"), (cid, by_id[cid].message)
        if by_id[cid].outcome == "skipped":
            assert "budget" in by_id[cid].message or "allowance" in by_id[cid].message


def test_without_opt_in_the_stateful_checks_are_skipped_and_create_nothing(
    run_phase: PhaseRunner,
) -> None:
    result, budget = run_phase(billable_positive=False, max_examples=2)
    by_id = {c.id: c for c in result.checks}
    for cid in STATEFUL_CHECKS:
        assert by_id[cid].outcome == "skipped"
        assert by_id[cid].message == stateful.SKIP_REASON
    assert not any(key.endswith("(stateful)") for key in result.requests_per_operation)
    assert budget.jobs_created == 0
    assert result.created_video_ids == []

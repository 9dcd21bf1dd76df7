"""The property phase against the reference provider: clean passes, each fault is caught."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.fuzz.catalog import PROPERTY_CHECKS, STATEFUL_CHECKS
from tests.fuzz.conftest import API_KEY, PhaseRunner


def outcomes(result_checks: list) -> dict[str, str]:
    return {c.id: c.outcome for c in result_checks}


_ALONE = """
import json, sys, tempfile
from pathlib import Path
from conformance.budget import Budget, BudgetLimits
from conformance.fuzz import PropertyContext, run_property_phase
from tests.fuzz.conftest import AUTH, completed_job, provider

with provider() as base_url, tempfile.TemporaryDirectory() as work:
    budget = Budget(BudgetLimits(max_jobs=4, max_video_seconds=64))
    video_id = completed_job(base_url)
    result = run_property_phase(
        PropertyContext(
            base_url=base_url, auth_headers=dict(AUTH), budget=budget,
            completed_video=lambda: video_id, seed=4242, time_budget_s=60.0,
            billable_positive=False, request_timeout_s=5.0, work_dir=Path(work), max_examples=4,
        )
    )
json.dump({
    "checks": [c.to_dict() for c in result.checks],
    "billable_jobs": result.billable_jobs,
    "jobs_created": budget.jobs_created,
    "seed": result.seed,
    "requests_per_operation": result.requests_per_operation,
}, sys.stdout)
"""


def test_clean_provider_passes_every_property_check() -> None:
    # A run is one process with one phase. This test's worker has run many phases and
    # providers before it, so the phase runs in a process of its own, as in a run. Its time
    # budget is roomy: the phase ends when its examples are done (about 13 s on a quiet
    # 2-core machine), and with 15 s a loaded machine skipped the 200-path checks.
    done = subprocess.run(
        [sys.executable, "-c", _ALONE],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    by_id = {c["id"]: c["outcome"] for c in out["checks"]}
    assert sorted(by_id) == sorted(PROPERTY_CHECKS)  # each id exactly once
    assert len(out["checks"]) == len(PROPERTY_CHECKS)
    not_passed = {k: v for k, v in by_id.items() if v != "passed"}
    findings = [f"{c['id']}: {c['message']}" for c in out["checks"] if c["outcome"] == "failed"]
    # Stateful runs create jobs: without the billable opt-in they are skipped (test_stateful).
    assert not_passed == dict.fromkeys(STATEFUL_CHECKS, "skipped"), findings
    # Negative-only creates and remixes of unknown ids bill nothing on a correct provider.
    assert out["billable_jobs"] == 0
    assert out["jobs_created"] == 0
    assert out["seed"] == 4242
    assert set(out["requests_per_operation"]) == {
        "createVideo",
        "ListVideos",
        "GetVideo",
        "DeleteVideo",
        "RetrieveVideoContent",
        "CreateVideoRemix",
    }
    assert all(n > 0 for n in out["requests_per_operation"].values())
    assert API_KEY not in done.stdout


@pytest.mark.parametrize(
    ("fault", "expected_failures"),
    [
        (
            "unknown-id-500",
            {
                "PROP-GETVIDEO-SERVER-ERROR",
                "PROP-DELETEVIDEO-SERVER-ERROR",
                "PROP-RETRIEVEVIDEOCONTENT-SERVER-ERROR",
            },
        ),
        (
            "error-no-envelope",
            {
                "PROP-GETVIDEO-ERROR-ENVELOPE",
                "PROP-LISTVIDEOS-ERROR-ENVELOPE",
                "PROP-RETRIEVEVIDEOCONTENT-ERROR-ENVELOPE",
            },
        ),
        (
            "content-type-octet",
            {"PROP-RETRIEVEVIDEOCONTENT-CONTENT-TYPE", "PROP-RETRIEVEVIDEOCONTENT-CONTENT-BYTES"},
        ),
        (
            "auth-ignored",
            {
                "PROP-LISTVIDEOS-IGNORED-AUTH",
                "PROP-GETVIDEO-IGNORED-AUTH",
                "PROP-RETRIEVEVIDEOCONTENT-IGNORED-AUTH",
            },
        ),
    ],
)
def test_fault_is_caught(run_phase: PhaseRunner, fault: str, expected_failures: set[str]) -> None:
    result, _ = run_phase(fault)
    failed = {c.id for c in result.checks if c.outcome == "failed"}
    assert expected_failures <= failed
    for check in result.checks:
        if check.outcome == "failed":
            assert "Reproduce with: curl" in check.message
            assert API_KEY not in check.message
            assert API_KEY not in json.dumps(check.details)
            assert check.details["example"]["operation"]
            assert check.details["seed"] == 4242


def test_invalid_size_accepted_is_billed_failed_and_deleted(run_phase: PhaseRunner) -> None:
    result, budget = run_phase("accept-any-size")
    by_id = {c.id: c for c in result.checks}
    assert by_id["PROP-CREATEVIDEO-INVALID-ACCEPTED"].outcome == "failed"
    assert result.billable_jobs >= 1
    assert budget.jobs_created == result.billable_jobs <= budget.limits.max_jobs
    assert len(result.created_video_ids) == result.billable_jobs
    cleanup = by_id["PROP-CREATEVIDEO-INVALID-ACCEPTED"].details["created_jobs_cleanup"]
    assert set(cleanup) == set(result.created_video_ids)


def test_budget_is_never_exceeded(run_phase: PhaseRunner) -> None:
    # Room for one job only: the lax provider accepts invalid sizes, so generation must stop.
    result, budget = run_phase("accept-any-size", max_jobs=1)
    assert budget.jobs_created <= 1
    assert result.billable_jobs <= 1
    create = next(c for c in result.checks if c.id == "PROP-CREATEVIDEO-INVALID-ACCEPTED")
    assert create.outcome == "failed"


def test_without_a_completed_job_the_200_paths_are_skipped_with_a_reason(
    run_phase: PhaseRunner,
) -> None:
    result, _ = run_phase(with_job=False)
    by_id = {c.id: c for c in result.checks}
    content_bytes = by_id["PROP-RETRIEVEVIDEOCONTENT-CONTENT-BYTES"]
    assert content_bytes.outcome == "skipped"
    assert "no completed job" in content_bytes.message
    assert len(by_id) == len(PROPERTY_CHECKS)


def test_same_seed_replays_the_same_requests(run_phase: PhaseRunner) -> None:
    # A roomy time bound, so that no operation is cut short at a different point each run.
    first, _ = run_phase(seed=7, time_budget_s=60.0, max_examples=3)
    second, _ = run_phase(seed=7, time_budget_s=60.0, max_examples=3)
    assert not any("stopped_early" in c.details for c in first.checks)
    assert first.requests_per_operation == second.requests_per_operation

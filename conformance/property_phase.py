"""The run's property phase: the schemathesis session wired to the run's jobs and budget.

The phase itself lives in ``conformance.fuzz`` and is imported only when it runs (schemathesis
is a heavy import, and a run's first create must not wait for it).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from conformance.budget import Budget
from conformance.client import Client
from conformance.config import Target
from conformance.jobs import JobPool
from conformance.recording.wiring import Wiring
from conformance.report.model import CheckResult, FuzzSection


def run_phase(
    target: Target,
    client: Client,
    budget: Budget,
    pool: JobPool,
    wiring: Wiring,
    *,
    seed: int | None,
    time_budget_s: float,
) -> tuple[list[CheckResult], FuzzSection, list[str]]:
    """Run the schemathesis phase; returns its checks, the report's fuzz facts, created ids."""
    from conformance.fuzz import PropertyContext, run_property_phase

    deadline = time.monotonic() + time_budget_s

    def completed_video() -> str | None:
        # Called when the phase reaches the 200 paths; waits for the main job at most as long
        # as the phase itself may still run.
        main = pool.get("main", timeout=max(0.0, deadline - time.monotonic()))
        return main.video_id if main is not None and main.completed else None

    with tempfile.TemporaryDirectory(prefix="vc-fuzz-") as work:
        result = run_property_phase(
            PropertyContext(
                base_url=target.base_url,
                auth_headers=client.auth_headers(),
                budget=budget,
                completed_video=completed_video,
                seed=seed,
                time_budget_s=time_budget_s,
                billable_positive=target.fuzz_billable,
                request_timeout_s=target.request_timeout_s,
                work_dir=Path(work),
                http_adapter=wiring.http_adapter,
                pinned_first=target.bundled,
            )
        )
    facts = FuzzSection(
        seed=result.seed,
        requests_per_operation=result.requests_per_operation,
        billable_jobs=result.billable_jobs,
        duration_s=result.duration_s,
    )
    return list(result.checks), facts, list(result.created_video_ids)


def skipped_checks(reason: str) -> list[CheckResult]:
    """The property-phase checks as skipped, so a run without the phase stays honest."""
    from conformance.fuzz.catalog import PROPERTY_CHECKS

    return [entry.result("skipped", reason) for entry in PROPERTY_CHECKS.values()]

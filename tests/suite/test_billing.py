"""What a full run bills: the job pool's jobs and openai-node's, exactly the ones ``plan``
announces."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import cli
from conformance.catalog import select
from conformance.config import Overrides, resolve_target
from conformance.node_oracle.session import oracle_jobs
from tests.suite.conftest import outcomes, run_reference

REFERENCE_JOBS = {"main", "sdk", "failing", "remix", "image"}
"""The reference profile declares every feature: each purpose but the extension jobs."""


def _planned_purposes(capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert cli.main(["plan", "--profile", "reference"]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    header = next(i for i, line in enumerate(lines) if line.startswith("purpose"))
    rows = lines[header + 1 :]
    count = next(line for line in rows if " job(s), " in line)
    purposes = [line.split()[0] for line in rows[: rows.index(count)]]
    assert count.startswith(f"{len(purposes)} job(s), ")
    return purposes


@pytest.mark.slow
def test_a_full_run_bills_only_the_planned_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned = _planned_purposes(capsys)
    assert set(planned) == REFERENCE_JOBS and len(planned) == len(REFERENCE_JOBS)
    # openai-node's own job and remix, when node and the package are installed here
    node = oracle_jobs(resolve_target(Overrides(profile="reference"), env={}), select(None, None))
    result = run_reference(tmp_path)
    report = result.report
    # the profile's default budget (max_jobs = 40) leaves room for more; the run needs only 5
    assert report.billing.max_jobs is not None
    assert report.billing.max_jobs > len(REFERENCE_JOBS) + len(node)
    assert report.billing.jobs_created <= len(REFERENCE_JOBS) + len(node)
    assert [job.purpose for job in report.jobs] == planned
    assert all(job.video_id for job in report.jobs)
    assert report.billing.jobs_created == len(report.jobs) + len(node)
    # the SDK checks ran on the pool's jobs and billed nothing of their own
    assert {"VID-SDK-001", "VID-SDK-002", "VID-SDK-003"} <= outcomes(result, "passed")
    assert {"VID-REMIX-001", "VID-REMIX-002"} <= outcomes(result, "passed")

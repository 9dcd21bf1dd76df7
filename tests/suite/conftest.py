"""Runs the checker in-process against the bundled reference provider, with fault switches."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from conformance.catalog import CORE_FEATURES
from conformance.config import Overrides, resolve_target
from conformance.provider.behaviour import Behaviour
from conformance.provider.faults import apply_faults
from conformance.runner import RunOptions, RunResult, execute

CORE_SCOPE = [*CORE_FEATURES, "variants", "VID-ERR"]
"""The checks this engine's fault tests judge: every core check, variants, and the 404 checks
of the delete and remix routes (the extended modules have fault tests of their own)."""

FAST_RENDER_S = 0.25


def run_reference(
    tmp_path: Path,
    *,
    faults: Iterable[str] = (),
    only: list[str] | None = None,
    profile: str = "reference",
    job_timeout_s: float | None = 20.0,
    render_seconds: float = FAST_RENDER_S,
    write_reports: bool = False,
) -> RunResult:
    """One full run of the checker against the bundled provider with ``faults`` applied."""
    target = resolve_target(Overrides(profile=profile, job_timeout_s=job_timeout_s), env={})
    return execute(
        target,
        RunOptions(
            report_dir=tmp_path / "report",
            only=only,
            fuzz=False,
            render_seconds=render_seconds,
            provider_behaviour=apply_faults(Behaviour(), faults),
            write_reports=write_reports,
        ),
    )


def outcomes(result: RunResult, outcome: str) -> set[str]:
    """Ids of the checks with ``outcome``."""
    return {c.id for c in result.report.checks if c.outcome == outcome}


@pytest.fixture
def reference_run(tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(**kwargs):  # type: ignore[no-untyped-def]
        return run_reference(tmp_path, **kwargs)

    return run

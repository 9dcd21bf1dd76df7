"""Runs the checker in-process against the bundled reference provider, with fault switches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import CORE_FEATURES, FEATURES
from conformance.config import Overrides, Target, resolve_target
from conformance.provider.behaviour import Behaviour
from conformance.provider.config import ProviderConfig
from conformance.provider.faults import apply_faults
from conformance.provider.server import running_provider
from conformance.runner import RunOptions, RunResult, execute

SUITE_SCOPE = [f for f in FEATURES if f not in ("expiry", "properties")]
"""The checks the fault tests judge: every catalogue check but expiry, which waits for
``expires_at`` and has runs of its own (the property phase has its own tests too)."""
CORE_SCOPE = [*CORE_FEATURES, "variants", "VID-ERR"]
"""Only the core checks, variants and the 404 checks of the extended routes."""

FAST_RENDER_S = 0.25
EXTERNAL_KEY = "vc-test-key-for-an-external-provider-000"


def run_reference(
    tmp_path: Path,
    *,
    faults: Iterable[str] = (),
    only: list[str] | None = None,
    profile: str = "reference",
    job_timeout_s: float | None = 30.0,
    render_seconds: float = FAST_RENDER_S,
    write_reports: bool = False,
    overrides: dict[str, Any] | None = None,
    skip: list[str] | None = None,
) -> RunResult:
    """One full run of the checker against the bundled provider with ``faults`` applied
    (and then the ``Behaviour`` ``overrides``)."""
    target = resolve_target(Overrides(profile=profile, job_timeout_s=job_timeout_s), env={})
    behaviour = apply_faults(Behaviour(), faults).with_overrides(overrides or {})
    return execute(
        target,
        RunOptions(
            report_dir=tmp_path / "report",
            only=only,
            skip=skip,
            fuzz=False,
            render_seconds=render_seconds,
            provider_behaviour=behaviour,
            write_reports=write_reports,
        ),
    )


@contextmanager
def external_provider(
    tmp_path: Path, *, ttl_seconds: int, faults: Iterable[str] = ()
) -> Iterator[Target]:
    """A reference provider that outlives single runs, and a target (reference profile) at it,
    as a vendor would be checked: for deferred checks that span two runs."""
    config = ProviderConfig(
        data_dir=tmp_path / "provider",
        render_seconds=FAST_RENDER_S,
        ttl_seconds=ttl_seconds,
        api_key=EXTERNAL_KEY,
        behaviour=apply_faults(Behaviour(), faults),
        max_concurrent_renders=8,
        queue_limit=64,
    )
    with running_provider(config) as base_url:
        target = resolve_target(
            Overrides(profile="reference", base_url=base_url, api_key=EXTERNAL_KEY), env={}
        )
        yield target


def outcomes(result: RunResult, outcome: str) -> set[str]:
    """Ids of the checks with ``outcome``."""
    return {c.id for c in result.report.checks if c.outcome == outcome}


@pytest.fixture
def reference_run(tmp_path: Path) -> Callable[..., RunResult]:
    def run(**kwargs: Any) -> RunResult:
        return run_reference(tmp_path, **kwargs)

    return run

"""A reference provider with one completed job, and a short property phase against it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from conformance.budget import Budget, BudgetLimits
from conformance.fuzz import PropertyContext, PropertyPhaseResult, run_property_phase
from conformance.provider.behaviour import Behaviour
from conformance.provider.config import ProviderConfig
from conformance.provider.faults import apply_faults
from conformance.provider.server import running_provider

API_KEY = "k-test-fuzz-secret"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@contextmanager
def provider(*faults: str) -> Iterator[str]:
    """A reference provider with ``faults`` applied; yields its base URL (ends in /v1)."""
    behaviour = apply_faults(Behaviour(), faults)
    config = ProviderConfig(render_seconds=0.2, api_key=API_KEY, behaviour=behaviour)
    with running_provider(config) as base_url:
        yield base_url


def completed_job(base_url: str) -> str:
    """Create one job and wait until it completed; its id."""
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=10) as client:
        video_id: str = client.post("/videos", json={"prompt": "a calm lake"}).json()["id"]
        for _ in range(200):
            if client.get(f"/videos/{video_id}").json()["status"] == "completed":
                return video_id
            time.sleep(0.05)
    raise AssertionError(f"{video_id} never completed")


PhaseRunner = Callable[..., tuple[PropertyPhaseResult, Budget]]


@pytest.fixture
def run_phase(tmp_path: Path) -> PhaseRunner:
    """Runs a short property phase against a provider with the given faults."""

    def run(
        *faults: str,
        seed: int = 4242,
        with_job: bool = True,
        max_jobs: int = 4,
        billable_positive: bool = False,
        time_budget_s: float = 15.0,
        max_examples: int = 4,
    ) -> tuple[PropertyPhaseResult, Budget]:
        with provider(*faults) as base_url:
            video_id = completed_job(base_url) if with_job else None
            budget = Budget(BudgetLimits(max_jobs=max_jobs, max_video_seconds=64))
            ctx = PropertyContext(
                base_url=base_url,
                auth_headers=dict(AUTH),
                budget=budget,
                completed_video=lambda: video_id,
                seed=seed,
                time_budget_s=time_budget_s,
                billable_positive=billable_positive,
                request_timeout_s=5.0,
                work_dir=tmp_path / "work",
                max_examples=max_examples,
            )
            return run_property_phase(ctx), budget

    return run

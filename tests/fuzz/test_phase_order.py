"""The property session's order: the completed job's 200 paths early only when asked."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from conformance.fuzz.phase import _PhasePlugin

SESSION_ORDER = [
    "test_invalid_creates",
    "test_generated_ids",
    "test_generated_ids",
    "test_completed_job",
    "test_completed_job",
    "test_stateful_workflows",
]


def _order(pinned_first: bool) -> list[str]:
    state = SimpleNamespace(ctx=SimpleNamespace(pinned_first=pinned_first))
    plugin = _PhasePlugin(cast(Any, state), {}, cast(Any, None))
    items = [SimpleNamespace(originalname=name) for name in SESSION_ORDER]
    plugin.pytest_collection_modifyitems(cast(list[pytest.Item], items))
    return [item.originalname for item in items]


def test_default_order_lets_generated_cases_use_the_wait_for_a_job() -> None:
    assert _order(pinned_first=False) == SESSION_ORDER


def test_pinned_first_reads_the_completed_job_right_after_the_cheap_creates() -> None:
    assert _order(pinned_first=True) == [
        "test_invalid_creates",
        "test_completed_job",
        "test_completed_job",
        "test_generated_ids",
        "test_generated_ids",
        "test_stateful_workflows",
    ]

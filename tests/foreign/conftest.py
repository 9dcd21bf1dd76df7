"""Fixtures of the foreign-provider tests: one cached checker run per scenario."""

from __future__ import annotations

import pytest

from tests.foreign.scenarios import ScenarioCache, check_scenario


@pytest.fixture(scope="session")
def checked(tmp_path_factory: pytest.TempPathFactory) -> ScenarioCache:
    """Call with a ``Scenario``; returns the checker's ``Verdict`` on it (run once per session)."""
    return ScenarioCache(tmp_path_factory.mktemp("foreign"), check_scenario)

"""One checker run against a foreign provider (optionally behind the proxy), cached per session.

Several tests read the same run, so each scenario is checked once and its ``Verdict`` kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.foreign.asgi_provider import FAIL_MARKER, Options, running
from tests.foreign.checker import Verdict, declaring_profile, run_checker
from tests.foreign.proxy import ProxyOptions, proxied

EXTENDED = ("list", "delete", "remix", "image_to_video", "variants")


@dataclass(frozen=True)
class Scenario:
    """A provider configuration, the proxy in front of it (if any), and how it is targeted."""

    name: str
    provider: Options = field(default_factory=Options)
    proxy: ProxyOptions | None = None
    declared: bool = False
    """Target it through a profile declaring every extended feature and the provider's failing
    prompt instead of a bare URL."""


def check_scenario(scenario: Scenario, workdir: Path) -> Verdict:
    """Start the servers of ``scenario``, run the checker once against them, stop them."""
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        base_url, app = stack.enter_context(running(scenario.provider))
        if scenario.proxy is not None:
            base_url, _ = stack.enter_context(proxied(base_url, scenario.proxy))
        profile = (
            declaring_profile(workdir / "profile.toml", base_url, EXTENDED, FAIL_MARKER)
            if scenario.declared
            else None
        )
        return run_checker(base_url, app.options.api_key, workdir / "report", profile=profile)


class ScenarioCache:
    """``cache(scenario)`` runs a scenario the first time it is asked for, then remembers it."""

    def __init__(self, root: Path, runner: Callable[[Scenario, Path], Verdict]) -> None:
        self.root = root
        self.runner = runner
        self.verdicts: dict[Scenario, Verdict] = {}

    def __call__(self, scenario: Scenario) -> Verdict:
        if scenario not in self.verdicts:
            self.verdicts[scenario] = self.runner(scenario, self.root / scenario.name)
        return self.verdicts[scenario]

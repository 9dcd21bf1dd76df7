"""What every benchmark shares: the checker's target for a local provider, scratch dirs, logs."""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass, field

from benchmarks.providers import LocalProvider
from conformance.budget import BudgetLimits
from conformance.bundled import BUNDLED_TTL_S
from conformance.config import Overrides, Target, resolve_target


@dataclass
class Section:
    """One benchmark's contribution to RESULTS.md."""

    title: str
    body: str
    """Markdown: what was measured and how, then the tables."""
    targets: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(goal, target, measured, verdict) rows for the summary table."""


def log(message: str) -> None:
    """Progress on stderr (RESULTS.md is the output)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def reference_target(
    provider: LocalProvider,
    *,
    fuzz_billable: bool | None = None,
    default_budget: bool = False,
) -> Target:
    """The bundled ``reference`` profile pointed at ``provider`` (as ``--base-url`` would).

    ``fuzz_billable=None`` keeps the profile's choice; ``default_budget`` replaces the profile's
    budget with the checker's default one (what a vendor profile without ``[budget]`` gets).
    """
    target = resolve_target(
        Overrides(
            profile="reference",
            base_url=provider.base_url,
            api_key=provider.api_key,
            fuzz_billable=fuzz_billable,
        ),
        env={},
    )
    if default_budget:
        target = dataclasses.replace(target, budget=BudgetLimits())
    return target


BUNDLED_PROVIDER_SETTINGS: dict[str, object] = {
    "ttl_seconds": BUNDLED_TTL_S,
    "max_concurrent_renders": 8,
    "queue_limit": 64,
}
"""The settings ``bundled.bundled_provider`` starts its provider with (render time aside)."""

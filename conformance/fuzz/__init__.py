"""The property phase: schemathesis property tests generated from the contract.

Runs as its own in-process pytest session, while the run's jobs render (most operations it
probes cost nothing and need no job), and reports one ``PROP-`` check per operation and check
kind (``conformance.fuzz.catalog.PROPERTY_CHECKS``).
"""

from __future__ import annotations

from conformance.fuzz.context import PropertyContext, PropertyPhaseResult


def run_property_phase(ctx: PropertyContext) -> PropertyPhaseResult:
    """Run the property phase against ``ctx.base_url`` within its time and budget bounds."""
    from conformance.fuzz.phase import run

    return run(ctx)


__all__ = ["PropertyContext", "PropertyPhaseResult", "run_property_phase"]

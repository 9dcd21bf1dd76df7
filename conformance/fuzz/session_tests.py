"""The property session's pytest module (collected only by ``conformance.fuzz.phase``).

Schemas come from fixtures of the phase plugin, so the vendor URL, key and seed are the run's,
chosen at run time (``from_fixture``; notes §2.1). Every operation runs as a subtest.
"""

from __future__ import annotations

import schemathesis

from conformance.fuzz.executor import PhaseState
from conformance.fuzz.explicit import invalid_create_cases
from conformance.fuzz.phase import PINNED_OPERATIONS
from conformance.fuzz.stateful import StatefulRun
from conformance.fuzz.workflows import run_workflows

generated = schemathesis.pytest.from_fixture("property_schema")
pinned = schemathesis.pytest.from_fixture("property_pinned_schema")


def test_invalid_creates(
    property_schema: schemathesis.schemas.BaseSchema, property_state: PhaseState
) -> None:
    """Hand-built creates with values outside the contract's enums (first: they are cheap)."""
    for case in invalid_create_cases(property_schema):
        property_state.run_case(case, pinned=False, hand_built_negative=True)


@generated.parametrize()
def test_generated_ids(case: schemathesis.Case, property_state: PhaseState) -> None:
    """Every operation with generated inputs: ids are random, so they name no job."""
    property_state.run_case(case, pinned=False)


# exclude(), not include(): include() is ignored when the config has [[operations]] blocks in
# schemathesis 4.32.5 (notes §2.3).
@pinned.exclude(
    lambda ctx: ctx.operation.definition.raw.get("operationId") not in PINNED_OPERATIONS
).parametrize()
def test_completed_job(case: schemathesis.Case, property_state: PhaseState) -> None:
    """Retrieve and content of the run's completed job: the 200 paths."""
    property_state.run_case(case, pinned=True)


def test_stateful_workflows(
    property_stateful: tuple[schemathesis.schemas.BaseSchema, StatefulRun],
    property_state: PhaseState,
) -> None:
    """Linked workflows from real jobs (only when billable generation is on): last, since its
    creates are the phase's most expensive requests."""
    schema, run = property_stateful
    run_workflows(schema, run, property_state.seed)

"""The stateful run's Hypothesis state machine: the contract's links, wired to a ``StatefulRun``.

schemathesis builds the state machine from the spec's links; every hook here hands over to the
``StatefulRun`` (``conformance.fuzz.stateful``), which holds the bounds, the budget and the
findings. Kept apart so the run's rules read without the engine's plumbing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import hypothesis
from schemathesis.core.result import Ok

from conformance.fuzz.engine_config import load_schema, stateful_config
from conformance.fuzz.stateful import MAX_STEPS, REMIX_MIN_JOBS, SCENARIOS

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.core.transport import Response
    from schemathesis.generation.stateful.state_machine import APIStateMachine
    from schemathesis.schemas import BaseSchema

    from conformance.fuzz.stateful import StatefulRun


def build_schema(run: StatefulRun) -> BaseSchema:
    """The contract bound to the run's target, configured for linked workflows."""
    from conformance.contract import spec_path

    ctx = run.state.ctx
    config = stateful_config(
        seed=run.state.seed,
        max_steps=MAX_STEPS,
        include_remix=run.max_jobs >= REMIX_MIN_JOBS,
        request_timeout_s=ctx.request_timeout_s,
    )
    return load_schema(spec_path(), ctx.base_url, config)


def workflow(schema: BaseSchema, run: StatefulRun) -> type[APIStateMachine]:
    """The state machine class of ``schema``'s links, wired to ``run``."""
    base: Any = schema.as_state_machine()
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operation = result.ok()
            run.labels[operation.label] = str(operation.definition.raw.get("operationId"))

    class VideoWorkflow(base):
        def setup(self) -> None:
            run.begin_scenario()
            # The transition controller's scheduling hook (schemathesis 4.32.5; the engine's
            # supervisor uses it to skip operations): lets ``run`` steer without touching
            # Hypothesis's rules. Without it the budget still holds, only less is explored.
            self.control.supervisor = run

        def before_call(self, case: Case) -> None:
            run.before_call(case)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return run.call_kwargs()

        def call(self, case: Case, **kwargs: Any) -> Response:
            return run.call(case, kwargs)

        def after_call(self, response: Response, case: Case) -> None:
            # The recorder keeps every step: use_after_free and ensure_resource_availability
            # look up the earlier delete and create there.
            super().after_call(response, case)
            run.after_call(response, case)

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            run.validate(response, case, self.recorder)

    return VideoWorkflow


def run_workflows(schema: BaseSchema, run: StatefulRun, seed: int) -> None:
    """Run the bounded state machine; a bound ends it with ``pytest.skip`` (reason recorded).

    The seed fixes the scenarios' steps and generated bodies; schemathesis still draws, outside
    Hypothesis, whether a step uses the linked id or explores a fresh one (rarely, about 4% of
    path parameters), so a replay may differ in such a step.
    """
    machine = hypothesis.seed(seed)(workflow(schema, run))
    settings = hypothesis.settings(
        max_examples=SCENARIOS,
        stateful_step_count=MAX_STEPS,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    try:
        machine.run(settings=settings)
    finally:
        run.release()


__all__ = ["build_schema", "run_workflows"]

"""Stateful runs: a schemathesis state machine that follows the contract's links from real jobs.

Only when the run opts into billable generation (``PropertyContext.billable_positive``): every
scenario starts with a create, then follows ``createVideo``'s links (retrieve, content, delete,
and remix when the budget has room for it) with the id the create answered. Bounded three ways:

- budget: every create and remix reserves room first (``PhaseState.reserve_billable``), and the
  whole stateful run may create at most ``MAX_JOBS`` jobs; no room stops the state machine
  (``pytest.skip`` from a hook ends it, schemathesis notes §2.5) and the reason is reported;
- time: the stateful run is one slot of the phase's time budget; no step is sent and no poll
  sleeps past its end;
- size: ``SCENARIOS`` scenarios of at most ``MAX_STEPS`` steps (notes §2.6: unbounded state
  machines billed dozens of jobs).

Jobs are asynchronous and the contract leaves content, delete and remix of an unfinished job
undocumented (400, 404 and 409 all occur, api §7), so before those steps the job is polled until
terminal. Without the wait, a correct vendor answering 404 for "not ready" would look like a job
that vanished right after creation.

This module holds the run's rules (``StatefulRun``); ``conformance.fuzz.workflows`` builds the
state machine that calls them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import requests
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.engine.supervisor import SchedulingDirective, Verdict
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    response_schema_conformance,
    use_after_free,
)

from conformance.fuzz import catalog as cat
from conformance.fuzz.cases import json_field, operation_id
from conformance.redact import redact_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from schemathesis import Case
    from schemathesis.core.transport import Response
    from schemathesis.engine.recorder import ScenarioRecorder

    from conformance.budget import Reservation
    from conformance.fuzz.executor import PhaseState

SCENARIOS = 3
"""Scenarios (Hypothesis examples) per stateful run."""
MAX_STEPS = 6
"""Steps per scenario: create, then room for retrieve, content, delete and a read after it."""
MAX_JOBS = 4
"""Most jobs the stateful run may create, whatever the run's budget: the rest of the run (the
suite's probes reserve after this phase) keeps its room."""
REMIX_MIN_JOBS = MAX_JOBS
"""Remix joins the workflows only when the full allowance is free: each remix is a second job
from the same create, and with less room remixes would crowd out the create -> delete -> read
sequences that the use-after-free check needs."""
MAX_REMIXES = 1
"""Remix jobs per stateful run (when remix takes part at all, see ``REMIX_MIN_JOBS``)."""
SKIP_REASON = (
    "stateful runs create billable jobs; opt in with --fuzz-billable or the profile's fuzz_billable"
)
SLOT = "stateful"
"""The stateful run's slot of the phase's time budget (``PhaseState.deadline``)."""

TERMINAL = frozenset({"completed", "failed"})
WAIT_BEFORE = frozenset({"RetrieveVideoContent", "DeleteVideo", "CreateVideoRemix"})
"""Steps whose answer on an unfinished job the contract leaves open (api §7)."""
READS = frozenset({"GetVideo", "RetrieveVideoContent"})
_UNFOLLOWABLE_CREATE_FIELDS = ("input_reference", "model")
_POLL_DEFAULT_S = 0.5
_POLL_MAX_S = 5.0

ENGINE_CHECKS: dict[str, Callable[..., Any]] = {
    cat.STATEFUL_SERVER_ERROR.suffix: not_a_server_error,
    cat.STATEFUL_RESPONSE_SCHEMA.suffix: response_schema_conformance,
    cat.USE_AFTER_FREE.suffix: use_after_free,
    cat.RESOURCE_AVAILABILITY.suffix: ensure_resource_availability,
}


@dataclass
class Scenario:
    """What one scenario did to the jobs it created (the checks' applicability)."""

    created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)


@dataclass
class StatefulRun:
    """One stateful run inside the property session: bounds, counters, findings."""

    state: PhaseState
    max_jobs: int
    jobs: int = 0
    scenarios: int = 0
    steps: int = 0
    polls: int = 0
    remixes: int = 0
    stop_reason: str | None = None
    scenario: Scenario = field(default_factory=Scenario)
    labels: dict[str, str] = field(default_factory=dict)
    """Operation label (``POST /videos``) -> operationId, for ``verdict``."""
    _pending: Reservation | None = None

    # --- bounds ------------------------------------------------------------------------
    def _remaining(self) -> float:
        return self.state.deadline(SLOT) - time.monotonic()

    def stop(self, reason: str) -> NoReturn:
        """End the state machine now; ``reason`` goes to the report."""
        self.stop_reason = reason
        self.state.findings.stop_reasons.setdefault(cat.STATEFUL, reason)
        # pytest's Skipped passes through Hypothesis untouched and ends the state machine
        # (notes §2.5); the session test records it as skipped, not as a harness error.
        pytest.skip(reason)

    def _wait_until_terminal(self, video_id: str) -> None:
        ctx = self.state.ctx
        url = f"{ctx.base_url.rstrip('/')}/videos/{video_id}"
        while True:
            remaining = self._remaining()
            if remaining <= 0:
                self.stop(
                    f"job {video_id} was not terminal within the stateful share of the "
                    f"{ctx.time_budget_s:g}s time budget"
                )
            try:
                answer = self.state.session.get(
                    url,
                    headers=dict(ctx.auth_headers),
                    timeout=max(1.0, min(ctx.request_timeout_s, remaining)),
                )
            except requests.RequestException as exc:
                self.stop(redact_text(f"polling {video_id} got no answer: {type(exc).__name__}"))
            self.polls += 1
            if answer.status_code != 200:
                # Gone (deleted) or unreadable: the step itself will show what the vendor says.
                return
            status = json_field(answer.content, "status")
            if status in TERMINAL:
                if status == "failed":
                    self.scenario.failed.add(video_id)
                return
            time.sleep(max(0.0, min(_poll_interval(answer), self._remaining())))

    # --- the state machine's hooks -----------------------------------------------------
    def begin_scenario(self) -> None:
        """A new scenario: its jobs and steps start empty."""
        self.scenarios += 1
        self.scenario = Scenario()

    def verdict(self, label: str) -> Verdict:
        """Whether the state machine may choose ``label`` now (its transition controller asks).

        One create per scenario: its links are the workflow, and a second create would spend
        the allowance on a job whose links the remaining steps cannot follow. Remix at most
        ``MAX_REMIXES`` times per run: each one bills a second job from the same create.
        """
        op = self.labels.get(label)
        if op == "createVideo" and self.scenario.created:
            return Verdict(SchedulingDirective.SKIP, "one job per scenario")
        if op == "CreateVideoRemix" and self.remixes >= MAX_REMIXES:
            return Verdict(SchedulingDirective.SKIP, f"at most {MAX_REMIXES} remix per run")
        return Verdict(SchedulingDirective.RUN)

    def before_call(self, case: Case) -> None:
        """Bounds first (time, then budget), then the wait an asynchronous job needs."""
        op = operation_id(case)
        if self._remaining() <= 0:
            self.stop(f"its share of the {self.state.ctx.time_budget_s:g}s time budget was spent")
        if op == "createVideo" and isinstance(case.body, dict):
            # Workflows need a job to follow, so two valid-by-contract inputs that a correct
            # vendor may still refuse are left out (they are the stateless tests' subject):
            # a generated reference image rarely matches `size` in dimensions or its declared
            # part type (notes §2.7), and `model` is any string by the contract but a vendor
            # serves only its own models; without it, the vendor's default applies.
            for name in _UNFOLLOWABLE_CREATE_FIELDS:
                case.body.pop(name, None)
        video_id = _video_id(case)
        if op in WAIT_BEFORE and video_id in self.scenario.created - self.scenario.deleted:
            self._wait_until_terminal(video_id)
        if op in cat.BILLABLE_OPERATIONS:
            if self.jobs >= self.max_jobs:
                self.stop(
                    f"its allowance of {self.max_jobs} billable job(s) was spent "
                    f"(at most {MAX_JOBS}, within the run's budget)"
                )
            reservation = self.state.reserve_billable(op, case, "property phase (stateful)")
            if reservation is None:
                self.stop("budget exhausted: no room for another billable request")
            self._pending = reservation

    def call_kwargs(self) -> dict[str, Any]:
        """Credentials, connection reuse and a timeout that respects the time bound."""
        ctx = self.state.ctx
        timeout = max(1.0, min(ctx.request_timeout_s, self._remaining() + 1.0))
        headers = dict(ctx.auth_headers)
        return {"headers": headers, "session": self.state.session, "timeout": timeout}

    def call(self, case: Case, kwargs: dict[str, Any]) -> Response:
        """Send the step; no answer to a billable step counts as a job (it may have started)."""
        try:
            return case.call(**kwargs)
        except requests.RequestException as exc:
            op = operation_id(case)
            if self._pending is not None:
                self._pending.confirm(None)
                self._pending = None
                self.jobs += 1
                self.state.billable_jobs += 1
            self.state.findings.network_errors.setdefault(cat.STATEFUL, []).append(
                redact_text(f"{case.operation.label}: {type(exc).__name__}: {exc}")
            )
            self.stop(redact_text(f"{op} got no answer: {type(exc).__name__}"))

    def after_call(self, response: Response, case: Case) -> None:
        """Settle the reservation, remember created and deleted jobs."""
        op = operation_id(case)
        self.steps += 1
        key = f"{op} (stateful)"
        self.state.requests_per_operation[key] = self.state.requests_per_operation.get(key, 0) + 1
        video_id = _video_id(case)
        success = 200 <= response.status_code < 300
        if self._pending is not None:
            reservation, self._pending = self._pending, None
            if success:
                created = json_field(response.content, "id")
                reservation.confirm(created)
                self.jobs += 1
                self.state.billable_jobs += 1
                if op == "CreateVideoRemix":
                    self.remixes += 1
                if created:
                    self.state.created_video_ids.append(created)
                    self.scenario.created.add(created)
            else:
                reservation.cancel()
        if op == "DeleteVideo" and success and video_id:
            self.scenario.deleted.add(video_id)
        method = case.operation.method.upper()
        self.scenario.steps.append(f"{method} {case.formatted_path} -> {response.status_code}")

    def validate(self, response: Response, case: Case, recorder: ScenarioRecorder) -> None:
        """Run each stateful check that applies to this step on its own, recording failures."""
        for kind in cat.STATEFUL_KINDS:
            if not self._applies(kind, case):
                continue
            cid = cat.check_id(cat.STATEFUL, kind)
            self.state.findings.applied(cid)
            try:
                case.validate_response(
                    response,
                    checks=[ENGINE_CHECKS[kind.suffix]],
                    headers=dict(self.state.ctx.auth_headers),
                    recorder=recorder,
                )
            except FailureGroup as group:
                text = "; ".join(
                    f"{f.code} {f.title}: {f.message}".strip() for f in group.exceptions
                )
                self.state.record_failure(
                    cid, case, response, text, {"scenario": list(self.scenario.steps)}
                )

    def _applies(self, kind: cat.Kind, case: Case) -> bool:
        # The engine's stateful checks pass silently where they have nothing to judge; counting
        # only the steps they can judge keeps "passed" from meaning "never looked".
        if kind not in (cat.USE_AFTER_FREE, cat.RESOURCE_AVAILABILITY):
            return True
        op = operation_id(case)
        video_id = _video_id(case)
        if kind is cat.USE_AFTER_FREE:
            # A read of a job this scenario deleted (the engine skips POST and DELETE).
            return op in READS and video_id in self.scenario.deleted
        live = video_id in self.scenario.created - self.scenario.deleted
        # The engine judges only steps whose every parameter came from the link: the content
        # endpoint's optional `variant` query parameter never does.
        only_the_id = [p.name for p in case.operation.iter_parameters()] == ["video_id"]
        # Content, delete and remix of a failed job are not specified: no verdict on them.
        unspecified = op != "GetVideo" and video_id in self.scenario.failed
        return live and only_the_id and not unspecified

    def release(self) -> None:
        """Cancel a reservation whose step never reached its call (a bound stopped it)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def summary(self) -> dict[str, Any]:
        """What the stateful run did, for every stateful check's details."""
        return {
            "scenarios": self.scenarios,
            "steps": self.steps,
            "polls": self.polls,
            "jobs_created": self.jobs,
            "max_jobs": self.max_jobs,
            "stopped": self.stop_reason,
        }


def _video_id(case: Case) -> str | None:
    value = (case.path_parameters or {}).get("video_id")
    return value if isinstance(value, str) else None


def _poll_interval(answer: requests.Response) -> float:
    # The SDK's own rule (api §5.3): the vendor's hint in milliseconds, else a default; bounded
    # so that a silly hint cannot stall the run.
    hint = answer.headers.get("openai-poll-after-ms")
    try:
        seconds = int(hint) / 1000 if hint is not None else _POLL_DEFAULT_S
    except ValueError:
        seconds = _POLL_DEFAULT_S
    return min(max(seconds, 0.05), _POLL_MAX_S)


def job_allowance(state: PhaseState) -> int:
    """Jobs the stateful run may create: its own cap, and no more than the budget has left."""
    budget = state.ctx.budget
    return max(0, min(MAX_JOBS, budget.limits.max_jobs - budget.jobs_created))


__all__ = [
    "MAX_JOBS",
    "MAX_STEPS",
    "REMIX_MIN_JOBS",
    "SCENARIOS",
    "SKIP_REASON",
    "StatefulRun",
    "job_allowance",
]

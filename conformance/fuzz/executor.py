"""Sends one generated case under the run's rules and feeds every applicable check.

The rules: billable operations reserve budget before sending; the phase's time bound is
honoured before every request; the engine's checks run one at a time so each failure lands on
its own ``PROP-`` id; failures are recorded, never raised, so generation goes on (no shrinking:
the first failing example is the one reported, and the time bound stays predictable).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import requests
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
)

from conformance import contract
from conformance.budget import Reservation
from conformance.fuzz import catalog as cat
from conformance.fuzz import checks as own
from conformance.fuzz.cases import is_negative, json_field, operation_id, valid_as_sent
from conformance.fuzz.evidence import first_failure, flat_headers
from conformance.fuzz.findings import Findings
from conformance.live import events
from conformance.redact import redact_text

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.core.transport import Response

    from conformance.fuzz.context import PropertyContext

ENGINE_CHECKS: dict[str, Callable[..., Any]] = {
    cat.SERVER_ERROR.suffix: not_a_server_error,
    cat.CONTENT_TYPE.suffix: content_type_conformance,
    cat.RESPONSE_SCHEMA.suffix: response_schema_conformance,
    cat.RESPONSE_HEADERS.suffix: response_headers_conformance,
    cat.NEGATIVE_REJECTION.suffix: negative_data_rejection,
}
CONTRACT_SECONDS = {seconds: int(seconds) for seconds in contract.SECONDS}
# A lax vendor may bill an invalid duration as anything; the longest contract duration is the
# honest guess for the reservation (the meter then never under-counts a contract-sized job).
WORST_CASE_SECONDS = 12
REMIX_SECONDS = 4
"""A remix inherits its source's duration; for an unknown source, the contract default."""
PINNED_SLOTS = 2
"""Retrieve and content also run against the completed job (see ``phase.PINNED_OPERATIONS``)."""
HAND_BUILT_SLOTS = 1
"""The hand-built invalid creates (``conformance.fuzz.explicit``) get their own time share."""
STATEFUL_SLOTS = 1
"""The stateful run (``conformance.fuzz.stateful``), when billable generation is on."""
_AUTH_REJECTIONS = (401, 403)


@dataclass
class PhaseState:
    """Shared by every case of one property session."""

    ctx: PropertyContext
    seed: int
    findings: Findings = field(default_factory=Findings)
    requests_per_operation: dict[str, int] = field(default_factory=dict)
    created_video_ids: list[str] = field(default_factory=list)
    billable_jobs: int = 0
    dropped_valid_as_sent: int = 0
    started: float = field(default_factory=time.monotonic)
    _operation_deadlines: dict[str, float] = field(default_factory=dict)
    _auth_probed: set[str] = field(default_factory=set)
    _hand_built: set[int] = field(default_factory=set)
    session: requests.Session = field(default_factory=requests.Session)
    slots_left: int = len(cat.OPERATION_KINDS) + PINNED_SLOTS + HAND_BUILT_SLOTS

    def __post_init__(self) -> None:
        if self.ctx.billable_positive:
            self.slots_left += STATEFUL_SLOTS

    # --- bounds ------------------------------------------------------------------------
    def deadline(self, slot: str) -> float:
        """When ``slot`` (an operation, a pinned run, the stateful run) must stop sending."""
        # Each operation (and each pinned run of one) gets a fair share of what is left when
        # its first case arrives, so an operation with slow answers cannot starve later ones.
        if slot not in self._operation_deadlines:
            end = self.started + self.ctx.time_budget_s
            share = max(0.0, end - time.monotonic()) / max(1, self.slots_left)
            self.slots_left = max(1, self.slots_left - 1)
            self._operation_deadlines[slot] = min(end, time.monotonic() + share)
        return self._operation_deadlines[slot]

    def _stop(self, op: str, reason: str) -> None:
        self.findings.stop_reasons.setdefault(op, reason)
        # pytest's Skipped passes through Hypothesis untouched: it ends this operation's
        # generation at once (shown as a skipped subtest) and the session moves on.
        pytest.skip(reason)

    def reserve_billable(
        self, op: str, case: Case, purpose: str = "property phase"
    ) -> Reservation | None:
        """Room in the run's budget for ``case`` of a billable operation, or ``None``."""
        if op == "createVideo":
            body = case.body if isinstance(case.body, dict) else {}
            seconds = CONTRACT_SECONDS.get(
                str(body.get("seconds", contract.DEFAULT_SECONDS)), WORST_CASE_SECONDS
            )
        else:
            seconds = REMIX_SECONDS
        return self.ctx.budget.reserve(seconds, f"{purpose}: {case.operation.label}")

    # --- one case ----------------------------------------------------------------------
    def run_case(self, case: Case, *, pinned: bool, hand_built_negative: bool = False) -> None:
        """Send ``case`` (unless a bound says stop) and run every check that applies.

        ``hand_built_negative`` marks a case built by us to be invalid (no engine metadata).
        """
        if hand_built_negative:
            self._hand_built.add(id(case))
        op = operation_id(case)
        if op not in cat.OPERATION_KINDS:
            return
        slot = f"{op}:pinned" if pinned else f"{op}:hand-built" if hand_built_negative else op
        remaining = self.deadline(slot) - time.monotonic()
        if remaining <= 0:
            self._stop(op, f"its share of the {self.ctx.time_budget_s:g}s time budget was spent")
        billable = op in cat.BILLABLE_OPERATIONS
        if billable and is_negative(case) and valid_as_sent(case, self.ctx.auth_headers):
            # The engine's negative case becomes valid on the wire (e.g. prompt=false sent as
            # the multipart text "false" next to a file part, schemathesis notes §2.7): a
            # correct vendor would accept and bill it. Not sending it keeps negative mode free.
            self.dropped_valid_as_sent += 1
            return
        reservation = self.reserve_billable(op, case) if billable else None
        if billable and reservation is None:
            self._stop(op, "budget exhausted: no room for another billable request")
        timeout = max(1.0, min(self.ctx.request_timeout_s, remaining + 1.0))
        try:
            response = case.call(
                headers=dict(self.ctx.auth_headers), session=self.session, timeout=timeout
            )
        except requests.RequestException as exc:
            if reservation is not None:
                # No answer: the vendor may still have accepted it; count it to stay safe.
                reservation.confirm(None)
                self.billable_jobs += 1
            self.findings.network_errors.setdefault(op, []).append(
                redact_text(f"{case.operation.label}: {type(exc).__name__}: {exc}")
            )
            return
        self.requests_per_operation[op] = self.requests_per_operation.get(op, 0) + 1
        events().fuzz_progress(sum(self.requests_per_operation.values()), self.findings.count())
        sent = redact_text(str(response.request.url))
        events().exchange(case.method, sent, response.status_code, response.elapsed * 1000)
        billed_invalid = False
        if reservation is not None:
            billed_invalid = self._settle(op, case, response, reservation, pinned=pinned)
        self._check(op, case, response, pinned=pinned)
        if billed_invalid:
            # The finding is made; every further case of this operation could only bill again.
            self._stop(op, "stopped after the first invalid request that started a billable job")

    def _settle(
        self, op: str, case: Case, response: Response, reservation: Reservation, *, pinned: bool
    ) -> bool:
        """Confirm or cancel the reservation; whether an invalid request started a job."""
        if not 200 <= response.status_code < 300:
            reservation.cancel()
            return False
        video_id = json_field(response.content, "id")
        reservation.confirm(video_id)
        self.billable_jobs += 1
        if video_id:
            self.created_video_ids.append(video_id)
        if op == "createVideo" and self._negative(case):
            self._fail(
                cat.check_id(op, cat.INVALID_ACCEPTED),
                case,
                response,
                f"invalid create accepted with {response.status_code}: a billable job "
                f"({video_id or 'no id'}) was started",
            )
            return True
        # A remix of a generated id (UNKNOWN-ID reports it) or a negative remix.
        return op == "CreateVideoRemix" and (not pinned or self._negative(case))

    def _negative(self, case: Case) -> bool:
        return is_negative(case) or id(case) in self._hand_built

    # --- checks ------------------------------------------------------------------------
    def _check(self, op: str, case: Case, response: Response, *, pinned: bool) -> None:
        kinds = cat.OPERATION_KINDS[op][1]
        status = response.status_code
        headers = flat_headers(response)
        content = response.content or b""
        # A "multipart" body that is not a form at all (the engine serialises a negative
        # non-object body as raw bytes) is refused by the vendor's HTTP framework before the
        # API code sees it; such bytes never come from a real client, so the framework's own
        # error format (often text/plain) says nothing about the API's error contract.
        framework_rejection = (
            status >= 400
            and (case.media_type or "").startswith("multipart/")
            and not isinstance(case.body, dict)
        )
        for kind in kinds:
            cid = cat.check_id(op, kind)
            engine_check = ENGINE_CHECKS.get(kind.suffix)
            if engine_check is not None:
                # The engine judges negative cases by its own metadata, which hand-built ones lack.
                if kind is cat.NEGATIVE_REJECTION and not is_negative(case):
                    continue
                if kind is cat.CONTENT_TYPE and framework_rejection:
                    continue
                self.findings.applied(cid)
                try:
                    case.validate_response(
                        response, checks=[engine_check], headers=dict(self.ctx.auth_headers)
                    )
                except FailureGroup as group:
                    text = "; ".join(
                        f"{f.code} {f.title}: {f.message}".strip() for f in group.exceptions
                    )
                    self._fail(cid, case, response, text)
                continue
            problem: str | None = None
            if kind is cat.ERROR_ENVELOPE:
                if status < 400 or framework_rejection:
                    continue
                problem = own.error_envelope_problem(status, headers, content)
            elif kind is cat.UNKNOWN_ID:
                if pinned:
                    continue
                problem = own.unknown_id_problem(status)
            elif kind is cat.CONTENT_BYTES:
                if status != 200:
                    continue
                problem = own.content_bytes_problem(status, headers, content)
            elif kind is cat.IGNORED_AUTH:
                if not 200 <= status < 300 or op in self._auth_probed:
                    continue
                self._auth_probed.add(op)
                problem = self._auth_probe(response)
            elif kind is cat.INVALID_ACCEPTED and not self._negative(case):
                # Only invalid creates apply; their failure is recorded when the job is settled.
                continue
            self.findings.applied(cid)
            if problem:
                self._fail(cid, case, response, problem)

    def _auth_probe(self, response: Response) -> str | None:
        # Our own probe instead of the engine's ignored_auth: the engine only strips the
        # credentials the spec declares (Authorization: Bearer), while a profile may also
        # authenticate with x-api-key; a vendor accepting that leftover key is not ignoring auth.
        sent = response.request
        credential_names = {k.lower() for k in self.ctx.auth_headers}
        base = {k: v for k, v in sent.headers.items() if k.lower() not in credential_names}
        wrong = {**base, **{k: "wrong-key-" + ("x" * 16) for k in self.ctx.auth_headers}}
        for label, headers in (("without a key", base), ("with a wrong key", wrong)):
            probe = requests.Request(
                sent.method or "GET", sent.url, headers=headers, data=sent.body
            ).prepare()
            try:
                answer = self.session.send(probe, timeout=self.ctx.request_timeout_s)
            except requests.RequestException as exc:
                return redact_text(f"the probe {label} got no answer: {exc}")
            if answer.status_code not in _AUTH_REJECTIONS:
                return f"the same request {label} answered {answer.status_code} instead of 401/403"
        return None

    # --- reporting ---------------------------------------------------------------------
    def _fail(self, cid: str, case: Case, response: Response, problem: str) -> None:
        self.record_failure(cid, case, response, problem)

    def record_failure(
        self,
        cid: str,
        case: Case,
        response: Response,
        problem: str,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Record a failure of ``cid``: the first in full (example, curl), later ones counted."""
        tally = self.findings.tallies[cid]
        if tally.first_failure is not None:
            self.findings.failed(cid, tally.first_failure)
            return
        failure = first_failure(case, response, problem, self.ctx.auth_headers, self.seed, extra)
        self.findings.failed(cid, failure)


__all__ = ["PhaseState"]

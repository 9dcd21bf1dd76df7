"""What the property phase observed, per check: how often it applied, its first failure, why not.

Turned into exactly one ``CheckResult`` per ``PROP-`` id at the end of the phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.fuzz.catalog import FEATURE, PROPERTY_CHECKS
from conformance.report.model import CheckResult, Exchange, Outcome


@dataclass
class Failure:
    """The first failing example of one check, ready for the report (already redacted)."""

    message: str
    details: dict[str, Any]
    evidence: list[Exchange]


@dataclass
class CheckTally:
    """Counts for one check id."""

    applied: int = 0
    failures: int = 0
    first_failure: Failure | None = None


@dataclass
class Findings:
    """Everything the phase records while cases run."""

    tallies: dict[str, CheckTally] = field(
        default_factory=lambda: {cid: CheckTally() for cid in PROPERTY_CHECKS}
    )
    stop_reasons: dict[str, str] = field(default_factory=dict)
    """Operation id -> why generation stopped early (budget, time)."""
    not_applicable: dict[str, str] = field(default_factory=dict)
    """Check id -> why it had nothing to look at (set before the run, e.g. no completed video)."""
    network_errors: dict[str, list[str]] = field(default_factory=dict)
    harness_errors: list[str] = field(default_factory=list)

    def applied(self, check_id: str) -> None:
        """``check_id`` looked at one more response."""
        self.tallies[check_id].applied += 1

    def failed(self, check_id: str, failure: Failure) -> None:
        """``check_id`` found a problem; the first example is kept, later ones are counted."""
        tally = self.tallies[check_id]
        tally.failures += 1
        if tally.first_failure is None:
            tally.first_failure = failure

    def count(self) -> int:
        """Property checks with at least one failure so far."""
        return sum(1 for tally in self.tallies.values() if tally.failures)

    def results(self, operation_of: dict[str, str]) -> list[CheckResult]:
        """One ``CheckResult`` per property check, in catalogue order."""
        out: list[CheckResult] = []
        for cid, check in PROPERTY_CHECKS.items():
            tally = self.tallies[cid]
            operation = operation_of[cid]
            stop = self.stop_reasons.get(operation)
            details: dict[str, Any] = {"operation": operation, "responses_checked": tally.applied}
            if stop:
                details["stopped_early"] = stop
            errors = self.network_errors.get(operation)
            if errors:
                details["network_errors"] = errors[:5]
            outcome: Outcome
            evidence: list[Exchange] = []
            if tally.first_failure is not None:
                outcome = "failed"
                message = tally.first_failure.message
                if tally.failures > 1:
                    message += f"\n({tally.failures} failing requests in total)"
                details.update(tally.first_failure.details)
                details["failing_requests"] = tally.failures
                evidence = tally.first_failure.evidence
            elif tally.applied:
                outcome = "passed"
                message = f"{tally.applied} generated requests checked"
                if stop:
                    message += f" (generation stopped early: {stop})"
            elif errors and not self.harness_errors:
                outcome = "error"
                message = f"no response to check: {errors[0]}"
            elif self.harness_errors and not stop:
                outcome = "error"
                message = f"the property session broke: {self.harness_errors[0]}"
            else:
                outcome = "skipped"
                message = self.not_applicable.get(cid) or (
                    f"not run: {stop}" if stop else "no generated response this check applies to"
                )
            out.append(
                CheckResult(
                    id=cid,
                    title=check.title,
                    level=check.level,
                    feature=FEATURE,
                    outcome=outcome,
                    message=message,
                    reference=check.reference,
                    core=check.core,
                    evidence=evidence,
                    details=details,
                )
            )
        return out

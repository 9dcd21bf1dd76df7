"""The canonical report model. ``report.json`` is this, serialised; every view derives from it.

Checks and the property phase produce ``CheckResult``s; the runner assembles a ``Report``.
Nothing in here may hold a secret: transcripts are redacted before they become ``Exchange``s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypedDict

from conformance.report.results import (
    LEVELS,
    OUTCOMES,
    CheckResult,
    Exchange,
    Kind,
    Level,
    Outcome,
)

REPORT_FORMAT = 1
"""Version of the report.json layout (independent of the suite version)."""

Verdict = Literal["conformant", "partial", "nonconformant", "error"]

SEVERITY: dict[Outcome, int] = {
    "failed": 4,
    "error": 3,
    "skipped": 2,
    "unsupported": 1,
    "passed": 0,
}
"""How bad an outcome is, when one check has several results (several tests for one id, or a
check reported twice) and one must stand for all.

``passed`` is the least severe: a check passes only when every part of it passed, because a
part that was skipped or unsupported was not exercised, and "evidence or no verdict" forbids
reporting what was not seen as a pass. A finding (``failed``) outranks a harness ``error`` (a
violation seen is a fact even if another part broke); ``skipped`` (no verdict: a
prerequisite was missing) outranks ``unsupported`` (a verdict: the feature is not offered).
The suite's plugin combined results with ``passed`` above ``skipped`` and ``unsupported`` once,
which let a half-run check pass while the gate, reading the same results, did not."""


class DeferredCheck(TypedDict, total=False):
    """A check waiting on a later run (expiry), as report.json's ``deferred`` lists it."""

    id: str
    video_id: str | None
    target: str | None
    due_at: str | None
    recorded_at: str | None


@dataclass
class Billing:
    """What the run created and may have been billed for, and the limits in force."""

    jobs_created: int = 0
    billable_seconds: float = 0
    estimated_cost: float | None = None
    """``None``: no price set in the profile."""
    max_jobs: int | None = None
    max_video_seconds: float | None = None
    refused_by_budget: list[str] | None = None
    """Purposes of the requests the budget refused, when the run recorded them."""
    cleanup: list[str] | None = None
    """Notes of the end-of-run clean-up (what it deleted, kept or could not delete)."""

    def to_dict(self) -> dict[str, Any]:
        """The report.json form: the counts always, the optional facts when known."""
        data: dict[str, Any] = {
            "jobs_created": self.jobs_created,
            "billable_seconds": self.billable_seconds,
            "estimated_cost": self.estimated_cost,
            "max_jobs": self.max_jobs,
            "max_video_seconds": self.max_video_seconds,
        }
        if self.refused_by_budget is not None:
            data["refused_by_budget"] = self.refused_by_budget
        if self.cleanup is not None:
            data["cleanup"] = self.cleanup
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Billing:
        """Read report.json's ``billing`` (older reports may lack any key)."""
        return cls(
            jobs_created=data.get("jobs_created", 0),
            billable_seconds=data.get("billable_seconds", 0),
            estimated_cost=data.get("estimated_cost"),
            max_jobs=data.get("max_jobs"),
            max_video_seconds=data.get("max_video_seconds"),
            refused_by_budget=data.get("refused_by_budget"),
            cleanup=data.get("cleanup"),
        )


_FUZZ_FIELDS = ("seed", "requests_per_operation", "billable_jobs", "duration_s", "skipped")


@dataclass
class FuzzSection:
    """The property phase's facts; ``skipped`` says why it did not run."""

    seed: int | None = None
    requests_per_operation: dict[str, int] | None = None
    billable_jobs: int | None = None
    duration_s: float | None = None
    skipped: str | None = None
    """Why the phase did not run (``--no-fuzz``, a replay, inside pytest)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys this version does not know (a newer tool's report), kept so they round-trip."""

    @property
    def empty(self) -> bool:
        """Nothing is known of the phase."""
        return not self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """The report.json form: the facts that are known, then the unknown keys."""
        data = {name: getattr(self, name) for name in _FUZZ_FIELDS}
        return {**{k: v for k, v in data.items() if v is not None}, **self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FuzzSection:
        """Read report.json's ``fuzz`` (any object: older reports and other tools differ)."""
        known = {k: data[k] for k in _FUZZ_FIELDS if k in data}
        return cls(**known, extra={k: v for k, v in data.items() if k not in _FUZZ_FIELDS})


@dataclass
class StatusSample:
    """One observation of a job while polling."""

    t: float
    """Seconds since the job was created (client clock)."""
    status: Any
    progress: Any


@dataclass
class JobRecord:
    """One billable job the run created, with its timeline and a poster frame."""

    video_id: str | None
    purpose: str
    request: dict[str, Any]
    final_status: str | None = None
    seconds: int = 0
    timeline: list[StatusSample] = field(default_factory=list)
    poster_png_base64: str | None = None
    duration_s: float | None = None
    deleted: bool | None = None
    note: str = ""


@dataclass
class Report:
    """Everything one run found. Serialised as ``report.json``."""

    tool: dict[str, str]
    """``{"name": ..., "version": ..., "suite_version": ..., "spec_version": ...}``."""
    target: dict[str, Any]
    """Redacted: name, base_url, profile, auth style, model; never a key."""
    started_at: str
    duration_s: float
    checks: list[CheckResult]
    jobs: list[JobRecord] = field(default_factory=list)
    billing: Billing = field(default_factory=Billing)
    """``jobs_created``, ``billable_seconds``, ``estimated_cost`` and the limits in force."""
    fuzz: FuzzSection = field(default_factory=FuzzSection)
    """Property phase facts: seed, requests per operation, billable jobs caused."""
    deferred: list[DeferredCheck] = field(default_factory=list)
    """Checks waiting on a later run (expiry), as recorded in the report dir's state file."""
    harness_errors: list[str] = field(default_factory=list)
    flow_control: dict[str, int] = field(default_factory=dict)
    """``throttled`` (429/503 answers waited out) and ``retries`` (requests sent again) of the
    checker's own client: flow control is reported, never judged."""
    features: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per extended feature: ``state`` (declared, detected, absent, denied, untested) and the
    answer that decided it (``evidence``)."""
    format: int = REPORT_FORMAT
    complete: bool = True
    """False when the run was cut short; a truncated report never gates green."""
    rejudged_from: dict[str, Any] | None = None
    """Set on a re-judgement (``rejudge``): the recording it replayed and what recorded it."""

    def summary(self) -> dict[str, Any]:
        """Counts per outcome, and per level and outcome."""
        by_outcome = {o: 0 for o in OUTCOMES}
        by_level = {lvl: {o: 0 for o in OUTCOMES} for lvl in LEVELS}
        for c in self.checks:
            by_outcome[c.outcome] += 1
            by_level[c.level][c.outcome] += 1
        return {"total": len(self.checks), "by_outcome": by_outcome, "by_level": by_level}

    def verdict(self) -> Verdict:
        """conformant / partial / nonconformant, from the checks alone (no baseline).

        - ``error``: the run is incomplete or nothing ran; no claim either way.
        - ``nonconformant``: a MUST violation failed.
        - ``partial``: a SHOULD violation failed (and no MUST one).
        - ``conformant``: no MUST or SHOULD violation failed. What was not exercised (skipped,
          unsupported, error) does not lower the verdict: "partially tested" is not "partially
          conforms"; ``coverage()`` says how much was exercised.
        """
        if not self.complete or not self.checks:
            return "error"
        violations = [c for c in self.checks if c.outcome == "failed" and c.kind == "violation"]
        if any(c.level == "MUST" for c in violations):
            return "nonconformant"
        if any(c.level == "SHOULD" for c in violations):
            return "partial"
        return "conformant"

    def coverage(self) -> dict[str, Any]:
        """How many checks reached a verdict of their own (passed or failed), and which did not."""
        exercised = [c for c in self.checks if c.outcome in ("passed", "failed")]
        not_exercised = [
            f"{c.id} ({c.outcome})" for c in self.checks if c.outcome not in ("passed", "failed")
        ]
        return {
            "exercised": len(exercised),
            "total": len(self.checks),
            "not_exercised": not_exercised,
        }

    def clients(self) -> list[dict[str, Any]]:
        """Per client class (openai-python, strict, openai-node, typed, http): works, breaks
        (with the failed checks and what the user sees) or not judged; see ``conformance.impact``.
        """
        # imported here: impact reads the catalogues, which import this module
        from conformance.impact import clients_section

        return clients_section(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "tool": self.tool,
            "target": self.target,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "complete": self.complete,
            "verdict": self.verdict(),
            "coverage": self.coverage(),
            "clients": self.clients(),
            "summary": self.summary(),
            "billing": self.billing.to_dict(),
            "fuzz": self.fuzz.to_dict(),
            "deferred": self.deferred,
            "harness_errors": self.harness_errors,
            "features": self.features,
            "flow_control": self.flow_control,
            "checks": [c.to_dict() for c in self.checks],
            "jobs": [asdict(j) for j in self.jobs],
            **({"rejudged_from": self.rejudged_from} if self.rejudged_from is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Rebuild a report from its JSON form (validate it against the schema first)."""
        checks = [
            CheckResult(
                **{
                    **{k: v for k, v in c.items() if k != "evidence"},
                    "evidence": [Exchange(**e) for e in c.get("evidence", [])],
                }
            )
            for c in data["checks"]
        ]
        jobs = [
            JobRecord(
                **{
                    **{k: v for k, v in j.items() if k != "timeline"},
                    "timeline": [StatusSample(**s) for s in j.get("timeline", [])],
                }
            )
            for j in data.get("jobs", [])
        ]
        return cls(
            tool=data["tool"],
            target=data["target"],
            started_at=data["started_at"],
            duration_s=data["duration_s"],
            checks=checks,
            jobs=jobs,
            billing=Billing.from_dict(data.get("billing", {})),
            fuzz=FuzzSection.from_dict(data.get("fuzz", {})),
            deferred=data.get("deferred", []),
            harness_errors=data.get("harness_errors", []),
            features=data.get("features", {}),
            flow_control=data.get("flow_control", {}),
            format=data.get("format", REPORT_FORMAT),
            complete=data.get("complete", True),
            rejudged_from=data.get("rejudged_from"),
        )


__all__ = [
    "LEVELS",
    "OUTCOMES",
    "REPORT_FORMAT",
    "SEVERITY",
    "Billing",
    "CheckResult",
    "DeferredCheck",
    "Exchange",
    "FuzzSection",
    "JobRecord",
    "Kind",
    "Level",
    "Outcome",
    "Report",
    "StatusSample",
    "Verdict",
]

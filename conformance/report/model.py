"""The canonical report model. ``report.json`` is this, serialised; every view derives from it.

Checks and the property phase produce ``CheckResult``s; the runner assembles a ``Report``.
Nothing in here may hold a secret: transcripts are redacted before they become ``Exchange``s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["passed", "failed", "unsupported", "skipped", "error"]
Level = Literal["MUST", "SHOULD", "MAY"]
Verdict = Literal["conformant", "partial", "nonconformant", "error"]
Kind = Literal["violation", "extension", "note"]

OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "unsupported", "skipped", "error")
LEVELS: tuple[Level, ...] = ("MUST", "SHOULD", "MAY")

REPORT_FORMAT = 1
"""Version of the report.json layout (independent of the suite version)."""


@dataclass
class Exchange:
    """One HTTP request and its response, redacted, with bodies truncated for the report."""

    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    elapsed_ms: float | None = None
    error: str | None = None
    """Set when no response arrived (connection refused, timeout)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckResult:
    """The outcome of one check in one run."""

    id: str
    title: str
    level: Level
    feature: str
    outcome: Outcome
    message: str = ""
    reference: str = ""
    core: bool = False
    kind: Kind = "violation"
    """``extension``: the vendor accepts more than the contract; reported, never failed.
    ``note``: a pass with an observation that is legal but worth knowing (content served from
    another origin, an unknown model accepted); reported under "Notes", never gates."""
    evidence: list[Exchange] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    """Free-form structured facts (failing example, curl command, observed values)."""
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = [e.to_dict() for e in self.evidence]
        return data


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
    billing: dict[str, Any] = field(default_factory=dict)
    """``jobs_created``, ``billable_seconds``, ``estimated_cost`` and the limits in force."""
    fuzz: dict[str, Any] = field(default_factory=dict)
    """Property phase facts: seed, requests per operation, billable jobs caused."""
    deferred: list[dict[str, Any]] = field(default_factory=list)
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
            "billing": self.billing,
            "fuzz": self.fuzz,
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
            billing=data.get("billing", {}),
            fuzz=data.get("fuzz", {}),
            deferred=data.get("deferred", []),
            harness_errors=data.get("harness_errors", []),
            features=data.get("features", {}),
            flow_control=data.get("flow_control", {}),
            format=data.get("format", REPORT_FORMAT),
            complete=data.get("complete", True),
            rejudged_from=data.get("rejudged_from"),
        )

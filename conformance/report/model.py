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
Kind = Literal["violation", "extension"]

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
    """``extension``: the vendor accepts more than the contract; reported, never failed."""
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
    format: int = REPORT_FORMAT
    complete: bool = True
    """False when the run was cut short; a truncated report never gates green."""

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
        - ``partial``: a SHOULD violation failed, or a core check did not pass (skipped, error,
          unsupported), so conformance cannot be claimed.
        - ``conformant``: every core check passed and no MUST/SHOULD violation failed.
        """
        if not self.complete or not self.checks:
            return "error"
        violations = [c for c in self.checks if c.outcome == "failed" and c.kind == "violation"]
        if any(c.level == "MUST" for c in violations):
            return "nonconformant"
        if any(c.level == "SHOULD" for c in violations):
            return "partial"
        if any(c.core and c.outcome != "passed" for c in self.checks):
            return "partial"
        return "conformant"

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
            "clients": self.clients(),
            "summary": self.summary(),
            "billing": self.billing,
            "fuzz": self.fuzz,
            "deferred": self.deferred,
            "harness_errors": self.harness_errors,
            "checks": [c.to_dict() for c in self.checks],
            "jobs": [asdict(j) for j in self.jobs],
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
            format=data.get("format", REPORT_FORMAT),
            complete=data.get("complete", True),
        )

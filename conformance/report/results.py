"""The results of checks: outcomes, levels, exchanges and ``CheckResult``.

The lowest layer of the report: the catalogues build ``CheckResult``s from here, and
``report.model`` (the whole ``Report``) builds on it. It imports nothing of the package, so
everything may import it without a cycle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["passed", "failed", "unsupported", "skipped", "error"]
Level = Literal["MUST", "SHOULD", "MAY"]
Kind = Literal["violation", "extension", "note"]

OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "unsupported", "skipped", "error")
LEVELS: tuple[Level, ...] = ("MUST", "SHOULD", "MAY")


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

"""Facts every view shares, derived from a ``Report``: verdict sentence, feature roll-up, order.

The HTML report, the Markdown summary, JUnit and the vendor matrix all read these, so a
feature or a verdict reads the same wherever a person looks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance import catalog
from conformance.redact import redact_text
from conformance.report.model import LEVELS, OUTCOMES, Billing, CheckResult, Outcome, Report

FeatureStatus = Literal["passed", "failing", "error", "unsupported", "not run", "partly verified"]

VERDICT_LABELS = {
    "conformant": "Conformant",
    "partial": "Partially conformant",
    "nonconformant": "Not conformant",
    "error": "No verdict",
}

_LEVEL_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}
_NEVER_REDACTED = frozenset({"poster_png_base64"})
"""Base64 payloads: a short secret could occur in them by chance and corrupt the image."""


@dataclass
class FeatureRollup:
    """One feature's checks and what they add up to."""

    feature: str
    status: FeatureStatus
    core: bool
    counts: dict[Outcome, int]
    checks: list[CheckResult] = field(default_factory=list)


def redacted_copy(report: Report) -> Report:
    """A copy of ``report`` with every registered secret scrubbed from every string in it.

    Checks redact their transcripts already; this is the second line of defence, so that no
    view can ever carry a key even when a check forgot to.
    """
    return Report.from_dict(redacted_dict(report))


def redacted_dict(report: Report) -> dict[str, Any]:
    """``report.to_dict()`` with every registered secret scrubbed (see ``redacted_copy``)."""
    data: dict[str, Any] = _redact_tree(report.to_dict())
    return data


def _redact_tree(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return value if key in _NEVER_REDACTED else redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_tree(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_tree(v, key) for v in value]
    return value


def is_violation_failure(check: CheckResult) -> bool:
    """A failed rule of the contract (extensions are reported, never failures)."""
    return check.outcome == "failed" and check.kind == "violation"


def gating_failures(report: Report) -> list[CheckResult]:
    """Failed MUST/SHOULD violations: what makes a vendor nonconformant or partial."""
    return [c for c in report.checks if is_violation_failure(c) and c.level in ("MUST", "SHOULD")]


def problems_first(report: Report) -> list[CheckResult]:
    """Failed violations (MUST, SHOULD, MAY), then harness errors: what a reader looks at first."""
    failed = sorted(
        (c for c in report.checks if is_violation_failure(c)),
        key=lambda c: (_LEVEL_RANK[c.level], c.id),
    )
    errors = sorted((c for c in report.checks if c.outcome == "error"), key=lambda c: c.id)
    return failed + errors


def why(check_id: str) -> str:
    """What breaks for a client when this check fails (the catalogue's ``why``)."""
    entry = catalog.CHECKS.get(check_id)
    return entry.why if entry else ""


def _ids(checks: Iterable[CheckResult], limit: int = 4) -> str:
    ids = [c.id for c in checks]
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def verdict_reason(report: Report) -> str:
    """The verdict explained in one sentence."""
    verdict = report.verdict()
    if verdict == "error":
        if not report.complete:
            return "The run was cut short, so this report makes no claim either way."
        return "No check ran, so this report makes no claim either way."
    failures = gating_failures(report)
    must = [c for c in failures if c.level == "MUST"]
    should = [c for c in failures if c.level == "SHOULD"]
    if verdict == "nonconformant":
        return f"{_plural(len(must), 'MUST rule')} of the contract failed: {_ids(must)}."
    if should:
        return (
            f"No MUST rule failed, but {_plural(len(should), 'SHOULD rule')} did: {_ids(should)}."
        )
    coverage = report.coverage()
    skipped = coverage["not_exercised"]
    tail = f"; not exercised: {', '.join(skipped[:8])}{' …' if len(skipped) > 8 else ''}"
    return (
        f"No MUST or SHOULD rule failed; {coverage['exercised']} of {coverage['total']} checks "
        f"exercised{tail if skipped else ''}."
    )


def feature_status(checks: list[CheckResult]) -> FeatureStatus:
    """One word for a feature. A feature none of whose checks passed never reads as passing."""
    outcomes = {c.outcome for c in checks if not (c.kind == "extension" and c.outcome == "failed")}
    if any(is_violation_failure(c) for c in checks):
        return "failing"
    if "error" in outcomes:
        return "error"
    if checks and outcomes == {"unsupported"}:
        return "unsupported"
    if "passed" not in outcomes:
        return "not run"
    if outcomes == {"passed"}:
        return "passed"
    return "partly verified"


def feature_rollup(report: Report) -> list[FeatureRollup]:
    """Every catalogue feature (ran or not) plus any other feature in the report, in order."""
    by_feature: dict[str, list[CheckResult]] = {}
    for c in report.checks:
        by_feature.setdefault(c.feature, []).append(c)
    order = list(catalog.FEATURES) + sorted(set(by_feature) - set(catalog.FEATURES))
    rollups = []
    for feature in order:
        checks = sorted(by_feature.get(feature, []), key=lambda c: c.id)
        counts: dict[Outcome, int] = {o: 0 for o in OUTCOMES}
        for c in checks:
            counts[c.outcome] += 1
        rollups.append(
            FeatureRollup(
                feature=feature,
                status=feature_status(checks),
                core=feature in catalog.CORE_FEATURES,
                counts=counts,
                checks=checks,
            )
        )
    return rollups


SdkDropIn = Literal["yes", "no", "not verified"]
SDK_CHECKS = ("VID-SDK-001", "VID-SDK-002")


def sdk_drop_in(report: Report) -> SdkDropIn:
    """``yes`` when the official SDK drove the vendor end to end (VID-SDK-001 and -002 passed)."""
    outcomes = {c.id: c.outcome for c in report.checks if c.id in SDK_CHECKS}
    if all(outcomes.get(i) == "passed" for i in SDK_CHECKS):
        return "yes"
    if any(outcomes.get(i) == "failed" for i in SDK_CHECKS):
        return "no"
    return "not verified"


def format_cost(billing: Billing) -> str:
    """The estimated cost of a run, or why there is none."""
    cost = billing.estimated_cost
    if isinstance(cost, int | float):
        return f"${cost:,.2f}"
    return "no price set"


def target_name(report: Report) -> str:
    """The vendor's display name: the target's name, else its profile, else its host."""
    for key in ("name", "profile", "base_url"):
        value = report.target.get(key)
        if isinstance(value, str) and value:
            return value
    return "unnamed target"

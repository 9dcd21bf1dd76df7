"""The gate: a report (and an optional per-vendor baseline) in, an exit code and its reasons out.

Rules, in order:

1. a failed MUST or SHOULD violation that is not baselined → exit 1;
2. a baselined check that now passed (stale entry: remove it) → exit 1;
3. otherwise an incomplete report, a report where nothing ran, a harness error, or an ``error``
   outcome that is not baselined → exit 3 (no claim either way);
4. else 0.

MAY failures, ``extension`` and ``note`` results never gate. A baselined check that was skipped,
unsupported, errored or absent is tolerated and listed as "not verified".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conformance.errors import EXIT_HARNESS, EXIT_NONCONFORMANT, EXIT_OK, UsageError
from conformance.redact import redact_text
from conformance.report.baseline import Baseline, load_baseline
from conformance.report.model import SEVERITY, CheckResult, Report
from conformance.report.views import target_name


@dataclass
class GateResult:
    """What the gate decided and why."""

    exit_code: int
    lines: list[str] = field(default_factory=list)
    """A human summary, one finding per line, the decision last."""
    unexpected: list[str] = field(default_factory=list)
    """Failed MUST/SHOULD violations the baseline does not list."""
    expected: list[str] = field(default_factory=list)
    """Baselined checks that failed again, as recorded."""
    stale: list[str] = field(default_factory=list)
    """Baselined checks that passed this run."""
    not_verified: list[str] = field(default_factory=list)
    """Baselined checks that did not run to a verdict (skipped, unsupported, error, absent)."""
    errors: list[str] = field(default_factory=list)
    """Checks with outcome ``error`` that the baseline does not list."""


def _collapse(checks: list[CheckResult]) -> dict[str, CheckResult]:
    """Per check id, its most severe result (``report.model.SEVERITY``)."""
    worst: dict[str, CheckResult] = {}
    for c in checks:
        seen = worst.get(c.id)
        if seen is None or SEVERITY[c.outcome] > SEVERITY[seen.outcome]:
            worst[c.id] = c
    return worst


def _gates(check: CheckResult) -> bool:
    return check.outcome == "failed" and check.kind == "violation" and check.level != "MAY"


def evaluate(report: Report, baseline: Path | None) -> GateResult:
    """Apply the gate rules to ``report``; ``baseline`` is a per-vendor YAML file or ``None``.

    A baseline written for another suite version is a ``UsageError`` (ids may mean other things).
    """
    known = load_baseline(baseline) if baseline is not None else None
    if known is not None:
        _check_suite_version(known, report, baseline)
    return decide(report, known, str(baseline) if baseline is not None else "")


def _check_suite_version(known: Baseline, report: Report, path: Path | None) -> None:
    suite = str(report.tool.get("suite_version", ""))
    if known.suite_version != suite:
        raise UsageError(
            f"baseline {path} is for suite version {known.suite_version}, the report is suite "
            f"version {suite}: re-record it with `video-conformance baseline`"
        )


def decide(report: Report, known: Baseline | None, source: str = "the baseline") -> GateResult:
    """The gate decision for an already loaded baseline (see the module docstring)."""
    checks = _collapse(report.checks)
    baselined = known.ids if known else set()
    result = GateResult(exit_code=EXIT_OK)
    for check_id, c in sorted(checks.items()):
        if _gates(c) and check_id not in baselined:
            result.unexpected.append(check_id)
        elif c.outcome == "error" and check_id not in baselined:
            result.errors.append(check_id)
    for check_id in sorted(baselined):
        found = checks.get(check_id)
        if found is None or found.outcome in ("skipped", "unsupported", "error"):
            result.not_verified.append(check_id)
        elif found.outcome == "passed":
            result.stale.append(check_id)
        else:
            result.expected.append(check_id)

    lines = result.lines
    if known is not None and known.vendor != target_name(report):
        lines.append(
            f"note: the baseline is for vendor {known.vendor!r}, the report for "
            f"{target_name(report)!r}"
        )
    for check_id in result.unexpected:
        c = checks[check_id]
        lines.append(f"FAIL {check_id} ({c.level}) {c.title}: {_one_line(c.message)}")
    for check_id in result.stale:
        lines.append(f"STALE {check_id}: baselined but passed; remove it from {source}")
    for check_id in result.errors:
        lines.append(f"ERROR {check_id}: {_one_line(checks[check_id].message)}")
    for message in report.harness_errors:
        lines.append(f"HARNESS {_one_line(message)}")
    if result.expected:
        lines.append(f"known failures (baselined): {', '.join(result.expected)}")
    if result.not_verified:
        lines.append(f"baselined but not verified this run: {', '.join(result.not_verified)}")

    if result.unexpected or result.stale:
        result.exit_code = EXIT_NONCONFORMANT
        parts = []
        if result.unexpected:
            parts.append(f"{len(result.unexpected)} unexpected failure(s)")
        if result.stale:
            parts.append(
                f"{len(result.stale)} stale baseline entr{'y' if len(result.stale) == 1 else 'ies'}"
            )
        lines.append(f"gate: FAILED (exit 1): {' and '.join(parts)}")
    elif not report.complete or not report.checks or result.errors or report.harness_errors:
        result.exit_code = EXIT_HARNESS
        if not report.complete:
            why = "the run was cut short"
        elif not report.checks:
            why = "no check ran"
        elif result.errors:
            why = f"{len(result.errors)} check(s) could not run to a verdict"
        else:
            why = f"{len(report.harness_errors)} harness error(s)"
        lines.append(f"gate: NO VERDICT (exit 3): {why}")
    else:
        lines.append(
            "gate: passed (exit 0)"
            + (f", {len(result.expected)} known failure(s) baselined" if result.expected else "")
        )
    return result


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(redact_text(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

"""``summary.md``: the run in Markdown, for CI job summaries and pull-request comments."""

from __future__ import annotations

from conformance.impact import ClientResult, client_results
from conformance.report.model import LEVELS, OUTCOMES, Report
from conformance.report.views import (
    VERDICT_LABELS,
    feature_rollup,
    format_cost,
    problems_first,
    sdk_drop_in,
    target_name,
    verdict_reason,
    why,
)

VERDICT_MARKS = {
    "conformant": "✅",
    "partial": "🟡",
    "nonconformant": "❌",
    "error": "⚠️",
}
CLIENT_MARKS = {
    "works": "✅ works",
    "breaks": "❌ breaks",
    "not judged": "⬜ not judged",
}
FEATURE_MARKS = {
    "passed": "✅ passed",
    "failing": "❌ failing",
    "error": "⚠️ error",
    "unsupported": "⚪ unsupported",
    "not run": "⬜ not run",
    "partly verified": "🟡 partly verified",
}


def cell(text: object, limit: int = 160) -> str:
    """Text made safe for one Markdown table cell: one line, pipes and markup escaped."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    for char in ("\\", "|", "<", ">", "`", "*", "_", "[", "]"):
        flat = flat.replace(char, "\\" + char)
    return flat


def client_detail(result: ClientResult, limit: int = 3) -> str:
    """What a client's user sees (its first breaking checks), or why it was not judged."""
    if result.verdict == "breaks":
        shown = [f"{b.check_id}: {b.sees}" for b in result.breakages[:limit]]
        more = len(result.breakages) - limit
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    return result.reason


def render_clients(results: list[ClientResult]) -> list[str]:
    """The "will my code work?" table: one row per client class."""
    out = [
        "### Will my code work?",
        "",
        "| client | verdict | what you would see |",
        "|---|---|---|",
    ]
    for r in results:
        out.append(
            f"| {cell(r.client.label)} | {CLIENT_MARKS[r.verdict]} | "
            f"{cell(client_detail(r), 400)} |"
        )
    return out


def render_summary(report: Report, *, html_link: str | None = "report.html") -> str:
    """The Markdown summary of ``report`` (verdict, counts, failures, features, billing)."""
    verdict = report.verdict()
    tool = report.tool
    out = [
        f"## {VERDICT_MARKS[verdict]} {cell(target_name(report))}: {VERDICT_LABELS[verdict]}",
        "",
        cell(verdict_reason(report), limit=400),
        "",
        f"video-conformance {cell(tool.get('version', '?'))}, suite "
        f"{cell(tool.get('suite_version', '?'))}, spec {cell(tool.get('spec_version', '?'))}; "
        f"target {cell(report.target.get('base_url', '?'))}; started {cell(report.started_at)}, "
        f"took {report.duration_s:.1f} s. SDK drop-in: **{sdk_drop_in(report)}**.",
        "",
        *render_clients(client_results(report)),
        "",
        "| level | " + " | ".join(OUTCOMES) + " |",
        "|---|" + "---:|" * len(OUTCOMES),
    ]
    by_level = report.summary()["by_level"]
    for level in LEVELS:
        out.append(f"| {level} | " + " | ".join(str(by_level[level][o]) for o in OUTCOMES) + " |")
    totals = report.summary()["by_outcome"]
    out.append("| **all** | " + " | ".join(f"**{totals[o]}**" for o in OUTCOMES) + " |")

    problems = problems_first(report)
    if problems:
        out += [
            "",
            "### Failures and errors",
            "",
            "| check | level | outcome | what happened | why it matters |",
        ]
        out.append("|---|---|---|---|---|")
        for c in problems:
            out.append(
                f"| {cell(c.id)} {cell(c.title, 80)} | {c.level} | {c.outcome} | "
                f"{cell(c.message)} | {cell(why(c.id), 120)} |"
            )
    out += [
        "",
        "### Features",
        "",
        "| feature | status | passed | failed | other |",
        "|---|---|---:|---:|---:|",
    ]
    for f in feature_rollup(report):
        other = sum(f.counts.values()) - f.counts["passed"] - f.counts["failed"]
        core = " (core)" if f.core else ""
        out.append(
            f"| {cell(f.feature)}{core} | {FEATURE_MARKS[f.status]} | {f.counts['passed']} | "
            f"{f.counts['failed']} | {other} |"
        )
    if report.features:
        found = "; ".join(
            f"{name} {entry['state']}"
            + (f" ({cell(entry['evidence'], 80)})" if entry["evidence"] else "")
            for name, entry in report.features.items()
        )
        out += ["", f"**Extended features:** {found}."]
    flow = report.flow_control
    if flow.get("throttled"):
        out += [
            "",
            f"**Flow control:** {flow['throttled']} answer(s) were 429/503 and waited out "
            f"({flow.get('retries', 0)} request(s) sent again); flow control is never a finding.",
        ]
    notes = [c for c in report.checks if c.kind == "note"]
    if notes:
        out += ["", "### Notes", "", "Legal behaviour worth knowing; never a failure.", ""]
        out += [f"- {cell(c.id)} {cell(c.title, 80)}: {cell(c.message, 300)}" for c in notes]
    billing = report.billing
    out += [
        "",
        f"**Billing:** {billing.jobs_created} job(s) created, "
        f"{billing.billable_seconds} billable second(s), "
        f"estimated cost {format_cost(billing)}.",
    ]
    if report.harness_errors:
        out += ["", "**Harness errors:**", ""]
        out += [f"- {cell(e, 300)}" for e in report.harness_errors]
    if html_link:
        out += ["", f"Full report with evidence: `{html_link}`."]
    return "\n".join(out) + "\n"

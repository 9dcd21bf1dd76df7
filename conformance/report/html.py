"""``report.html``: the self-contained page a person opens to understand one run."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from conformance.impact import client_results
from conformance.report import references
from conformance.report.model import LEVELS, OUTCOMES, CheckResult, JobRecord, Report
from conformance.report.svg import STATUS_COLOURS, timeline_svg
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

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every HTML view: autoescaped and strict."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty"] = _pretty
    env.filters["setting"] = setting_text
    env.filters["json_text"] = json_text
    # Globals, so the macros (imported without the page's context) can use them.
    env.globals["cite"] = references.parse
    env.globals["why"] = why
    return env


PROPERTY_PREFIX = "PROP-"
"""Ids of the property phase's checks (generated from the contract, not hand-written)."""


@dataclass(frozen=True)
class ProblemGroup:
    """A heading of the failures section and the checks under it."""

    title: str
    intro: str
    checks: list[CheckResult]


@dataclass(frozen=True)
class Finding:
    """A property-phase failure, collapsed to its first failing example."""

    check: CheckResult
    first: str
    curl: str
    count: int


def is_property(check: CheckResult) -> bool:
    """Whether the property phase produced ``check``."""
    return check.id.startswith(PROPERTY_PREFIX)


def problem_groups(report: Report) -> list[ProblemGroup]:
    """Hand-written failures by level (MUST, SHOULD, MAY), then hand-written errors."""
    problems = [c for c in problems_first(report) if not is_property(c)]
    failed = [c for c in problems if c.outcome == "failed"]
    groups = [
        ProblemGroup(
            f"{level} failures",
            {
                "MUST": "The contract requires these; a client breaks on them.",
                "SHOULD": "Recommended by the contract; a careful client works around them.",
                "MAY": "Optional behaviour the vendor got wrong.",
            }[level],
            [c for c in failed if c.level == level],
        )
        for level in LEVELS
    ]
    groups.append(
        ProblemGroup(
            "Errors",
            "The harness or the network broke, not the vendor: these make no claim either way.",
            [c for c in problems if c.outcome == "error"],
        )
    )
    return groups


def _first_line(message: str, limit: int = 400) -> str:
    # The engine's explanation follows the first line (and can run to pages); the curl line
    # is shown on its own.
    first = message.split("\nReproduce with:")[0].strip().splitlines()
    text = first[0] if first else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def property_findings(report: Report) -> list[Finding]:
    """Failed and errored property checks, MUST first, each collapsed to its first example."""
    problems = [c for c in problems_first(report) if is_property(c)]
    return [
        Finding(
            check=c,
            first=_first_line(c.message),
            curl=str(c.details.get("curl", "")),
            count=int(c.details.get("failing_requests", 1) or 1),
        )
        for c in problems
    ]


def json_text(value: Any) -> str:
    """A value as the vendor would have written it: strings as they are, everything else as
    JSON (``null``, ``true``, ``["a"]``), never a Python repr (``None``, ``True``, ``['a']``)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def setting_text(value: Any) -> str:
    """One target setting as a person reads it: lists joined, tables as ``key value``, no
    Python reprs; an empty setting is ``""`` (the template leaves it out)."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(setting_text(v) for v in value)
    if isinstance(value, dict):
        parts = [f"{k} {text}" for k, v in value.items() if (text := setting_text(v))]
        return "; ".join(parts)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def poster_src(job: JobRecord) -> str | None:
    """A ``data:`` URL for the job's poster frame, only if it really is a PNG."""
    if not job.poster_png_base64:
        return None
    try:
        raw = base64.b64decode(job.poster_png_base64, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(_PNG_SIGNATURE):
        return None
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def render_html(report: Report, pytest_html: str | None = None) -> str:
    """The HTML report of ``report`` (inline CSS and script, no external assets).

    Pass a report that went through ``views.redacted_copy`` (``write_all`` does).
    ``pytest_html``: the relative link of the suite session's pytest-html page, if written.
    """
    summary = report.summary()
    verdict = report.verdict()
    jobs = [{"job": j, "poster": poster_src(j), "timeline": timeline_svg(j)} for j in report.jobs]
    must_failed = summary["by_level"]["MUST"]["failed"]
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            name=target_name(report),
            verdict=verdict,
            verdict_label=VERDICT_LABELS[verdict],
            verdict_reason=verdict_reason(report),
            summary=summary,
            outcomes=OUTCOMES,
            levels=LEVELS,
            problems=problems_first(report),
            groups=problem_groups(report),
            findings=property_findings(report),
            appendix=references.appendix(
                [text for c in problems_first(report) for text in (c.reference, why(c.id))]
            ),
            documents=references.DOCUMENTS,
            pytest_html=pytest_html,
            extensions=[c for c in report.checks if c.kind == "extension"],
            notes=[c for c in report.checks if c.kind == "note"],
            features=feature_rollup(report),
            jobs=jobs,
            status_colours=STATUS_COLOURS,
            cost=format_cost(report.billing),
            sdk=sdk_drop_in(report),
            clients=client_results(report),
            must_failed=must_failed,
            checks=sorted(report.checks, key=lambda c: c.id),
        )
    )

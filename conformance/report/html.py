"""``report.html``: the self-contained page a person opens to understand one run."""

from __future__ import annotations

import base64
import binascii
import json
from functools import cache
from typing import Any

import jinja2

from conformance.impact import client_results
from conformance.report.model import LEVELS, OUTCOMES, JobRecord, Report
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
    return env


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


def render_html(report: Report) -> str:
    """The HTML report of ``report`` (inline CSS and script, no external assets).

    Pass a report that went through ``views.redacted_copy`` (``write_all`` does).
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
            extensions=[c for c in report.checks if c.kind == "extension"],
            notes=[c for c in report.checks if c.kind == "note"],
            features=feature_rollup(report),
            jobs=jobs,
            status_colours=STATUS_COLOURS,
            cost=format_cost(report.billing),
            sdk=sdk_drop_in(report),
            clients=client_results(report),
            must_failed=must_failed,
            why=why,
            checks=sorted(report.checks, key=lambda c: c.id),
        )
    )

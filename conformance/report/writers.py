"""Write every artifact of one run: report.json (canonical) and the views derived from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.errors import HarnessError
from conformance.report.atomic import write_text_atomic
from conformance.report.html import render_html
from conformance.report.junit import render_junit
from conformance.report.markdown import render_summary
from conformance.report.model import Report
from conformance.report.schema import validate
from conformance.report.views import redacted_dict

ARTIFACTS = ("report.json", "report.html", "junit.xml", "summary.md")


def prepare() -> None:
    """Do ahead of time what writing any report needs: compile the HTML templates and build
    the schema validator (together a third of a second, otherwise spent after the last job).
    Safe to call from another thread while a run goes on; calling it is never required."""
    from conformance.report.html import environment
    from conformance.report.schema import validator

    env = environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)
    validator()


def render_json(report: Report) -> str:
    """``report.json`` text, checked against the published schema first."""
    return _json_text(report.to_dict())


def _json_text(data: dict[str, Any]) -> str:
    problems = validate(data)
    if problems:
        # Our own model broke its schema: refuse to publish it rather than ship a bad file.
        raise HarnessError(f"report does not match its schema: {problems[0]}")
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_all(report: Report, report_dir: Path) -> dict[str, Path]:
    """Write report.json, report.html, junit.xml and summary.md into ``report_dir``.

    Every view is rendered from a redacted copy of the report before anything is written, so a
    rendering error leaves the previous files untouched, and each file is replaced atomically.
    Returns the path of each artifact by file name.
    """
    try:
        data = redacted_dict(report)
        safe = Report.from_dict(data)
        texts = {"report.json": _json_text(data)}
    except (KeyError, TypeError, ValueError) as exc:
        # A check produced a value the model cannot represent (an unknown outcome or level).
        raise HarnessError(
            f"report does not match its schema: {type(exc).__name__}: {exc}"
        ) from None
    # The check session's pytest-html page (conformance.plugin.PYTEST_HTML), when it ran.
    pytest_page = "pytest.html" if (Path(report_dir) / "pytest.html").is_file() else None
    texts["report.html"] = render_html(safe, pytest_html=pytest_page)
    texts["junit.xml"] = render_junit(safe)
    texts["summary.md"] = render_summary(safe)
    report_dir = Path(report_dir)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        return {name: write_text_atomic(report_dir / name, text) for name, text in texts.items()}
    except OSError as exc:
        raise HarnessError(
            f"cannot write the report to {report_dir}: {exc.strerror or exc}"
        ) from None

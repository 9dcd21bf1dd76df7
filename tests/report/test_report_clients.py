"""The per-client verdict in every view: report.json, summary.md, report.html, the matrix."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.report.compare import client_rows, write_matrix
from conformance.report.html import render_html
from conformance.report.markdown import render_summary
from conformance.report.model import Report
from conformance.report.schema import validate
from conformance.report.writers import render_json

from .factories import make_report, passing_checks, realistic_report, replace, result


def _nullable_keys_omitted() -> Report:
    checks = replace(
        passing_checks(),
        result("VID-OBJ-001", "failed", "completed_at is missing"),
        result("VID-SDK-002", "failed", "APIResponseValidationError: completed_at"),
    )
    return make_report(checks, name="lax-vendor")


def test_report_json_carries_a_valid_clients_section() -> None:
    data = json.loads(render_json(_nullable_keys_omitted()))
    assert validate(data) == []
    verdicts = {c["client"]: c["verdict"] for c in data["clients"]}
    assert verdicts == {
        "openai-python": "works",
        "openai-python-strict": "breaks",
        "openai-node": "works",
        "typed": "breaks",
        "http": "works",
    }


def test_a_report_round_trips_with_its_clients_section() -> None:
    data = realistic_report().to_dict()
    assert Report.from_dict(data).to_dict()["clients"] == data["clients"]


def test_schema_refuses_an_unknown_client_verdict() -> None:
    data = make_report().to_dict()
    data["clients"][0]["verdict"] = "probably"
    assert validate(data)


def test_summary_md_shows_the_clients_before_the_counts() -> None:
    text = render_summary(_nullable_keys_omitted())
    assert text.index("Will my code work?") < text.index("| level |")
    strict_row = next(line for line in text.splitlines() if "openai-python (strict)" in line)
    assert "❌ breaks" in strict_row
    assert "VID-OBJ-001" in strict_row
    python_row = next(line for line in text.splitlines() if line.startswith("| openai-python |"))
    assert "✅ works" in python_row


def test_report_html_shows_the_clients_before_the_results() -> None:
    html = render_html(_nullable_keys_omitted())
    assert html.index('id="clients"') < html.index("<h2>Results</h2>")
    typed = html[html.index('id="client-typed"') :]
    typed = typed[: typed.index("</tr>")]
    assert "breaks" in typed
    assert 'href="#fail-VID-OBJ-001"' in typed


def test_matrix_has_a_row_per_client_and_a_cell_per_vendor(written, tmp_path: Path) -> None:
    paths = [
        written(make_report(name="reference"), "reference"),
        written(_nullable_keys_omitted(), "lax-vendor"),
    ]
    matrix, files = write_matrix(paths, tmp_path)
    rows = {r.client.name: [c.verdict for c in r.cells] for r in client_rows(matrix.columns)}
    names = [c.name for c in matrix.columns]
    assert rows["typed"][names.index("lax-vendor")] == "breaks"
    assert rows["typed"][names.index("reference")] == "works"
    assert rows["openai-python"] == ["works", "works"]
    markdown = files["matrix.md"].read_text()
    assert markdown.index("Will my code work?") < markdown.index("## Verdicts")
    typed_line = next(line for line in markdown.splitlines() if line.startswith("| typed"))
    assert "❌ breaks: VID-OBJ-001, VID-SDK-002" in typed_line
    assert 'id="clients"' in files["matrix.html"].read_text()

"""The vendor matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import UsageError
from conformance.report.compare import build_matrix, write_matrix
from conformance.report.views import sdk_drop_in

from .factories import make_report, passing_checks, realistic_report, replace, result


@pytest.fixture
def three_vendors(written) -> list[Path]:
    partial = make_report(
        replace(passing_checks(), result("VID-CREATE-003", "failed", "answered 201")), name="apiyi"
    )
    return [
        written(realistic_report("sciforium"), "sciforium"),
        written(make_report(name="reference"), "reference"),
        written(partial, "apiyi"),
    ]


def test_the_matrix_names_every_vendor_with_its_verdict(tmp_path: Path, three_vendors) -> None:
    matrix, paths = write_matrix(three_vendors, tmp_path)
    assert [(c.name, c.verdict) for c in matrix.columns] == [
        ("reference", "conformant"),
        ("apiyi", "partial"),
        ("sciforium", "nonconformant"),
    ]
    html = paths["matrix.html"].read_text()
    markdown = paths["matrix.md"].read_text()
    for text in (html, markdown):
        for vendor in ("reference", "apiyi", "sciforium"):
            assert vendor in text
        for label in ("Conformant", "Partially conformant", "Not conformant"):
            assert label in text
        assert "$1.20" in text  # the cost of each run


def test_links_to_each_report_are_relative(tmp_path: Path, three_vendors) -> None:
    matrix, paths = write_matrix(three_vendors, tmp_path)
    assert sorted(str(c.link) for c in matrix.columns) == [
        "apiyi/report.html",
        "reference/report.html",
        "sciforium/report.html",
    ]
    assert 'href="sciforium/report.html"' in paths["matrix.html"].read_text()
    elsewhere, _ = write_matrix(three_vendors, tmp_path / "out" / "matrix")
    assert {c.link for c in elsewhere.columns} >= {"../../sciforium/report.html"}


def test_sdk_drop_in_column(tmp_path: Path, three_vendors) -> None:
    matrix = build_matrix(three_vendors, tmp_path)
    assert {c.name: sdk_drop_in(c.report) for c in matrix.columns} == {
        "reference": "yes",
        "apiyi": "yes",
        "sciforium": "no",
    }


def test_checks_are_grouped_by_feature_and_missing_ones_shown_as_not_run(
    tmp_path: Path, written
) -> None:
    lean = make_report([c for c in passing_checks() if c.feature != "remix"], name="lean")
    matrix = build_matrix(
        [written(lean, "lean"), written(make_report(name="full"), "full")], tmp_path
    )
    remix = next(g for g in matrix.groups if g.feature == "remix")
    statuses = {c.name: r.status for c, r in zip(matrix.columns, remix.rollups, strict=True)}
    assert statuses == {"full": "passed", "lean": "not run"}
    assert all(
        row.cells[[c.name for c in matrix.columns].index("lean")] is None for row in remix.rows
    )


def test_mixed_suite_versions_are_refused_unless_allowed(tmp_path: Path, written) -> None:
    paths = [
        written(make_report(name="a"), "a"),
        written(make_report(name="b", suite_version="0"), "b"),
    ]
    with pytest.raises(UsageError, match="different suite versions"):
        build_matrix(paths, tmp_path)
    _, out = write_matrix(paths, tmp_path, allow_suite_mismatch=True)
    assert "WARNING" in out["matrix.html"].read_text() and "WARNING" in out["matrix.md"].read_text()


def test_two_runs_of_one_vendor_are_told_apart(tmp_path: Path, written) -> None:
    paths = [
        written(make_report(name="acme"), "monday"),
        written(make_report(name="acme"), "tuesday"),
    ]
    assert [c.name for c in build_matrix(paths, tmp_path).columns] == [
        "acme (monday)",
        "acme (tuesday)",
    ]


def test_the_matrix_escapes_vendor_text(tmp_path: Path, written) -> None:
    hostile = make_report(
        replace(passing_checks(), result("VID-OBJ-001", "failed", "<b>x</b>")), name="<i>evil</i>"
    )
    _, out = write_matrix([written(hostile, "evil")], tmp_path)
    html = out["matrix.html"].read_text()
    assert "<i>evil</i>" not in html and "&lt;i&gt;evil&lt;/i&gt;" in html
    assert "<b>x</b>" not in html


def test_the_matrix_marks_notes(tmp_path: Path, written) -> None:
    note = result("VID-VAL-010", "passed", "an unknown model was accepted", kind="note")
    _, out = write_matrix([written(make_report(replace(passing_checks(), note)), "acme")], tmp_path)
    html = out["matrix.html"].read_text()
    assert 'title="note: an unknown model was accepted">✓ note</td>' in html
    row = next(line for line in out["matrix.md"].read_text().splitlines() if "VID-VAL-010" in line)
    assert row.endswith(" note |")

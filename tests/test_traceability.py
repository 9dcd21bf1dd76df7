"""Every real-world deviation row is traced to checks that exist, or says why it cannot be.

The deviation catalogue (real-world-deviations.md) is not shipped with the repository, so its
rows are kept as data in ``conformance/deviations.toml``; this test holds that data to the
catalogue's numbering (A1..H3, 46 rows) and to the check catalogue.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.commands.checks import catalogue
from conformance.traceability import DeviationRow, render_markdown, rows

SECTIONS = {"A": 10, "B": 4, "C": 3, "D": 8, "E": 5, "F": 9, "G": 4, "H": 3}
"""Rows per section of real-world-deviations.md (46 in all)."""
EXPECTED_IDS = [f"{s}{n}" for s, count in SECTIONS.items() for n in range(1, count + 1)]
KNOWN = {c.id for c in catalogue()}


def test_every_row_is_present_once_in_order() -> None:
    assert [r.id for r in rows()] == EXPECTED_IDS
    assert len(EXPECTED_IDS) == 46


@pytest.mark.parametrize("row", rows(), ids=lambda r: r.id)
def test_row_has_checks_or_a_reason(row: DeviationRow) -> None:
    assert row.title, "give the row its short title"
    assert row.checks or row.reason, "name the checks that catch it, or say why none can"
    assert len(set(row.checks)) == len(row.checks), "a check is cited twice"


def test_every_cited_check_exists() -> None:
    unknown = {(r.id, c) for r in rows() for c in r.checks if c not in KNOWN}
    assert not unknown


def test_rendered_table_marks_unknown_ids() -> None:
    lines = render_markdown(KNOWN - {"VID-LIFE-001"})
    a1 = next(line for line in lines if line.startswith("| A1 |"))
    assert "VID-LIFE-001 (unknown)" in a1


def test_rows_match_the_reference_catalogue_when_at_hand() -> None:
    """Against the real file, where it is available next to the checkout."""
    root = Path(__file__).resolve().parents[1]
    candidates = [
        root.parent / "shared" / "reference" / "real-world-deviations.md",
        root.parents[1] / "shared" / "reference" / "real-world-deviations.md",
    ]
    source = next((p for p in candidates if p.is_file()), None)
    if source is None:
        pytest.skip("real-world-deviations.md is not next to the checkout")
    text = source.read_text(encoding="utf-8")
    found = re.findall(r"^\| ([A-H]\d+) \|", text, flags=re.MULTILINE)
    assert found == EXPECTED_IDS

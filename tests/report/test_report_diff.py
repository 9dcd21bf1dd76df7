"""Run-to-run diff: categories, suite-version refusal, formats, exit codes."""

from __future__ import annotations

import json

import pytest

from conformance.errors import UsageError
from conformance.report.diff import FORMATS, diff_reports

from .factories import make_report, passing_checks, replace, result


def two_runs():
    base = replace(
        passing_checks(),
        result("VID-CREATE-003", "failed"),
        result("VID-REMIX-001", "unsupported"),
        result("VID-LIST-001", "error"),
    )
    old = make_report([c for c in base if c.id != "VID-SDK-003"])
    new_checks = replace(
        base,
        result("VID-LIFE-004", "failed", "progress went from 60 to 40"),  # regressed
        result("VID-OBJ-002", "error", "timeout"),  # regressed (to error)
        result("VID-CREATE-003", "passed"),  # fixed
        result("VID-LIST-001", "passed"),  # fixed (from error)
        result("VID-REMIX-001", "failed"),  # other change
        result("VID-EXP-001", "skipped"),  # other change
    )
    new = make_report([c for c in new_checks if c.id != "VID-AUTH-003"])  # vanished
    return old, new


def test_every_category() -> None:
    d = diff_reports(*two_runs())
    ids = {name: [c.id for c in changes] for name, changes in d.categories().items()}
    assert ids == {
        "regressed": ["VID-LIFE-004", "VID-OBJ-002"],
        "vanished": ["VID-AUTH-003"],
        "fixed": ["VID-CREATE-003", "VID-LIST-001"],
        "new": ["VID-SDK-003"],
        "changed": ["VID-EXP-001", "VID-REMIX-001"],
    }
    assert d.exit_code == 1


def test_identical_runs_exit_0() -> None:
    d = diff_reports(make_report(), make_report())
    assert d.exit_code == 0 and not any(d.categories().values())


def test_only_fixes_and_new_checks_exit_0() -> None:
    old = make_report(replace(passing_checks(), result("VID-CREATE-003", "failed")))
    new = make_report()
    assert diff_reports(old, new).exit_code == 0


def test_a_vanished_check_alone_exits_1() -> None:
    old = make_report()
    new = make_report([c for c in passing_checks() if c.id != "VID-OBJ-001"])
    assert diff_reports(old, new).exit_code == 1


def test_different_suite_versions_are_refused() -> None:
    with pytest.raises(UsageError, match="different suite versions"):
        diff_reports(make_report(suite_version="1"), make_report(suite_version="2"))


def test_different_suite_versions_when_allowed_say_so_in_every_format() -> None:
    d = diff_reports(
        make_report(suite_version="1"), make_report(suite_version="2"), allow_suite_mismatch=True
    )
    assert d.warnings and "WARNING" in d.warnings[0]
    for render in FORMATS.values():
        assert "WARNING" in render(d)


def test_formats() -> None:
    d = diff_reports(*two_runs())
    data = json.loads(FORMATS["json"](d))
    assert [c["id"] for c in data["regressed"]] == ["VID-LIFE-004", "VID-OBJ-002"]
    assert data["regressed"][0] == {
        "id": "VID-LIFE-004",
        "title": "progress never decreases",
        "old": "passed",
        "new": "failed",
        "message": "progress went from 60 to 40",
    }
    assert data["exit_code"] == 1
    text = FORMATS["text"](d)
    assert "VID-AUTH-003 passed → absent" in text
    assert text.rstrip().endswith("REGRESSION: 2 regressed, 1 vanished")
    markdown = FORMATS["markdown"](d)
    assert "**regressed** (2)" in markdown and "| VID-SDK-003" in markdown


def test_json_names_both_runs() -> None:
    old, new = two_runs()
    data = json.loads(FORMATS["json"](diff_reports(old, make_report(new.checks, name="beta"))))
    assert data["runs"]["old"]["name"] == "acme"
    assert data["runs"]["new"]["name"] == "beta"
    assert [c["id"] for c in data["new"]] == ["VID-SDK-003"]


def test_different_targets_warn_in_every_format() -> None:
    d = diff_reports(make_report(name="acme"), make_report(name="beta"))
    assert any("different targets (acme and beta)" in w for w in d.warnings)
    for render in FORMATS.values():
        assert "different targets" in render(d)


def test_same_target_has_no_target_warning() -> None:
    assert not diff_reports(*two_runs()).warnings

"""compare, diff and baseline on the command line: results, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .factories import make_report, passing_checks, realistic_report, replace, result


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("command", ["compare", "diff", "baseline"])
def test_a_missing_file_is_a_one_line_usage_error(
    tmp_path: Path, run_cli, capsys, command: str
) -> None:
    missing = tmp_path / "nope" / "report.json"
    argv = [command, missing] + ([missing] if command == "diff" else [])
    assert run_cli(*argv) == 2
    assert "no such file" in one_line_error(capsys)


@pytest.mark.parametrize("content", ["{oops", '{"name": "left-pad"}', "[]", ""])
@pytest.mark.parametrize("command", ["compare", "diff", "baseline"])
def test_an_invalid_file_is_a_one_line_usage_error(
    tmp_path: Path, run_cli, capsys, command: str, content: str
) -> None:
    bad = tmp_path / "report.json"
    bad.write_text(content)
    argv = [command, bad] + ([bad] if command == "diff" else [])
    assert run_cli(*argv) == 2
    one_line_error(capsys)


def test_missing_arguments_are_a_one_line_usage_error(run_cli, capsys) -> None:
    assert run_cli("diff", "only-one.json") == 2
    one_line_error(capsys)


def test_diff_exits_1_on_a_regression_and_0_otherwise(written, run_cli, capsys) -> None:
    good = written(make_report(), "good")
    bad = written(make_report(replace(passing_checks(), result("VID-OBJ-001", "failed"))), "bad")
    assert run_cli("diff", good, bad) == 1
    assert "VID-OBJ-001 passed → failed" in capsys.readouterr().out
    assert run_cli("diff", bad, good, "--format", "json") == 0
    assert [c["id"] for c in json.loads(capsys.readouterr().out)["fixed"]] == ["VID-OBJ-001"]


def test_diff_refuses_mixed_suites_unless_allowed(written, run_cli, capsys) -> None:
    old = written(make_report(suite_version="1"), "old")
    new = written(make_report(suite_version="2"), "new")
    assert run_cli("diff", old, new) == 2
    assert "--allow-suite-mismatch" in one_line_error(capsys)
    assert run_cli("diff", old, new, "--allow-suite-mismatch") == 0
    assert "WARNING" in capsys.readouterr().err


def test_compare_writes_the_matrix(tmp_path: Path, written, run_cli, capsys) -> None:
    reports = [
        written(make_report(name="reference"), "reference"),
        written(realistic_report(), "sciforium"),
    ]
    assert run_cli("compare", *reports, "-o", tmp_path / "out") == 0
    out = capsys.readouterr().out
    assert "reference: conformant" in out and "sciforium: nonconformant" in out
    assert (tmp_path / "out" / "matrix.html").is_file() and (
        tmp_path / "out" / "matrix.md"
    ).is_file()


def test_baseline_writes_a_file_and_never_overwrites_one_silently(
    tmp_path: Path, written, run_cli, capsys
) -> None:
    report = written(realistic_report(), "sciforium")
    target = tmp_path / "sciforium.baseline.yaml"
    assert run_cli("baseline", report, "-o", target, "--reason", "vendor ticket 12") == 0
    assert target.read_text().count('reason: "vendor ticket 12"') == 4
    capsys.readouterr()
    assert run_cli("baseline", report, "-o", target) == 2
    assert "--force" in one_line_error(capsys)
    assert run_cli("baseline", report, "-o", target, "--force") == 0
    assert 'reason: "TODO: explain"' in target.read_text()
    assert "TODO: explain" in capsys.readouterr().err


def test_baseline_check_gates_a_stored_report(tmp_path: Path, written, run_cli, capsys) -> None:
    checks = replace(passing_checks(), result("VID-CREATE-003", "failed", "answered 201"))
    report = written(make_report(checks), "acme")
    baseline = tmp_path / "acme.yaml"
    assert run_cli("baseline", report, "-o", baseline, "--reason", "documented 201") == 0
    assert run_cli("baseline", report, "--check", baseline) == 0
    assert "gate: passed (exit 0), 1 known failure(s) baselined" in capsys.readouterr().out
    fixed = written(make_report(), "acme-fixed")
    assert run_cli("baseline", fixed, "--check", baseline) == 1
    assert "STALE VID-CREATE-003" in capsys.readouterr().out


def test_baseline_check_with_a_broken_baseline_is_a_usage_error(
    tmp_path: Path, written, run_cli, capsys
) -> None:
    report = written(make_report(), "acme")
    broken = tmp_path / "b.yaml"
    broken.write_text("vendor: acme\nsuite_version: '1'\nentries:\n  - id: VID-X\n")
    assert run_cli("baseline", report, "--check", broken) == 2
    assert "reason" in one_line_error(capsys)

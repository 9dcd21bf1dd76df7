"""``annotate``: a run's junit.xml as GitHub Actions workflow commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import cli
from conformance.commands.annotate import workflow_commands
from conformance.report.writers import write_all

from .factories import make_report, passing_checks, replace, result


def _junit(tmp_path: Path, *checks) -> Path:
    write_all(make_report(replace(passing_checks(), *checks)), tmp_path)
    return tmp_path / "junit.xml"


def test_failures_become_annotations_must_as_error(tmp_path: Path) -> None:
    from conformance import catalog

    must = next(c.id for c in catalog.CHECKS.values() if c.level == "MUST")
    should = next(c.id for c in catalog.CHECKS.values() if c.level == "SHOULD")
    junit = _junit(
        tmp_path,
        result(must, "failed", "status was 'processing',\nnot in_progress: 100%"),
        result(should, "failed", "no Retry-After"),
        result("VID-LIST-001", "error", "timeout"),
    )
    lines = workflow_commands(junit)
    assert len(lines) == 3
    (error,) = [line for line in lines if line.startswith("::error ")]
    assert f"MUST failure%3A {must}" in error
    # workflow-command escaping: a message stays on one line, % is escaped
    assert "'processing',%0Anot in_progress: 100%25" in error
    assert sum(line.startswith("::warning ") for line in lines) == 2


def test_a_passing_run_prints_nothing_and_the_cap_holds(tmp_path: Path) -> None:
    assert workflow_commands(_junit(tmp_path)) == []
    from conformance import catalog

    failing = [result(c.id, "failed", "x") for c in list(catalog.CHECKS.values())[:5]]
    lines = workflow_commands(_junit(tmp_path, *failing), limit=2)
    assert len(lines) == 3 and lines[-1].startswith("::notice::3 more failure(s)")


def test_a_bad_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "junit.xml"
    bad.write_text("<not xml", encoding="utf-8")
    assert cli.main(["annotate", str(bad)]) == 2
    assert "is not JUnit XML" in capsys.readouterr().err

"""The gate: every rule, with and without a baseline."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import SUITE_VERSION
from conformance.errors import UsageError
from conformance.report.baseline import (
    baseline_from_report,
    dump_baseline,
    load_baseline,
)
from conformance.report.gate import evaluate
from conformance.report.model import Level

from .factories import make_report, passing_checks, realistic_report, replace, result


def write_baseline(tmp_path: Path, *ids: str, suite: str = SUITE_VERSION) -> Path:
    path = tmp_path / "baseline.yaml"
    entries = "".join(f"  - id: {i}\n    reason: documented deviation\n" for i in ids)
    path.write_text(f'vendor: acme\nsuite_version: "{suite}"\nentries:\n{entries or "  []"}\n')
    return path


def with_results(*updated) -> list:
    return replace(passing_checks(), *updated)


def test_a_clean_run_passes_without_baseline() -> None:
    gate = evaluate(make_report(), None)
    assert gate.exit_code == 0
    assert gate.lines[-1].startswith("gate: passed")


@pytest.mark.parametrize("check_id", ["VID-LIFE-001", "VID-CREATE-003"])  # MUST, SHOULD
def test_an_unexpected_failure_fails_the_gate(check_id: str) -> None:
    gate = evaluate(make_report(with_results(result(check_id, "failed", "broken"))), None)
    assert gate.exit_code == 1
    assert gate.unexpected == [check_id]
    assert any(line.startswith(f"FAIL {check_id}") for line in gate.lines)


def test_a_baselined_failure_passes(tmp_path: Path) -> None:
    report = make_report(with_results(result("VID-CREATE-003", "failed", "answered 201")))
    gate = evaluate(report, write_baseline(tmp_path, "VID-CREATE-003"))
    assert (gate.exit_code, gate.expected, gate.unexpected) == (0, ["VID-CREATE-003"], [])


def test_an_unexpected_failure_next_to_a_baselined_one_still_fails(tmp_path: Path) -> None:
    report = make_report(
        with_results(result("VID-CREATE-003", "failed"), result("VID-LIFE-004", "failed"))
    )
    gate = evaluate(report, write_baseline(tmp_path, "VID-CREATE-003"))
    assert (gate.exit_code, gate.unexpected) == (1, ["VID-LIFE-004"])


def test_a_stale_entry_fails_the_gate(tmp_path: Path) -> None:
    gate = evaluate(make_report(), write_baseline(tmp_path, "VID-CREATE-003"))
    assert (gate.exit_code, gate.stale) == (1, ["VID-CREATE-003"])
    assert any("STALE VID-CREATE-003" in line and "remove" in line for line in gate.lines)


@pytest.mark.parametrize("outcome", ["skipped", "unsupported", "error", None])
def test_a_baselined_check_that_did_not_run_is_tolerated(tmp_path: Path, outcome) -> None:
    checks = passing_checks()
    checks = (
        [c for c in checks if c.id != "VID-REMIX-001"]
        if outcome is None
        else replace(checks, result("VID-REMIX-001", outcome))
    )
    gate = evaluate(make_report(checks), write_baseline(tmp_path, "VID-REMIX-001"))
    assert (gate.exit_code, gate.not_verified) == (0, ["VID-REMIX-001"])
    assert any("not verified" in line for line in gate.lines)


def test_an_error_outcome_gives_no_verdict() -> None:
    gate = evaluate(make_report(with_results(result("VID-ERR-001", "error", "timeout"))), None)
    assert (gate.exit_code, gate.errors) == (3, ["VID-ERR-001"])


def test_a_failure_outranks_an_error() -> None:
    report = make_report(
        with_results(result("VID-ERR-001", "error"), result("VID-OBJ-001", "failed"))
    )
    assert evaluate(report, None).exit_code == 1


@pytest.mark.parametrize(
    "report",
    [
        make_report(complete=False),
        make_report([]),
        make_report(harness_errors=["the provider stopped answering during clean-up"]),
    ],
    ids=["incomplete", "nothing ran", "harness error"],
)
def test_a_run_that_cannot_be_trusted_gives_no_verdict(report) -> None:
    gate = evaluate(report, None)
    assert gate.exit_code == 3
    assert gate.lines[-1].startswith("gate: NO VERDICT")


def test_may_failures_and_extensions_never_gate() -> None:
    report = make_report(
        with_results(
            result("VID-EXT-001", "failed", "extra duration rejected"),
            result("VID-VAL-001", "failed", "accepted seconds 5", kind="extension"),
        )
    )
    gate = evaluate(report, None)
    assert (gate.exit_code, gate.unexpected) == (0, [])


def test_notes_never_gate() -> None:
    report = make_report(
        with_results(result("VID-VAL-010", "passed", "an unknown model was accepted", kind="note"))
    )
    gate = evaluate(report, None)
    assert (gate.exit_code, gate.unexpected) == (0, [])
    assert report.verdict() == "conformant"


def test_a_baseline_for_another_suite_version_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="suite version 0"):
        evaluate(make_report(), write_baseline(tmp_path, "VID-CREATE-003", suite="0"))


def test_wrong_suite_version_exits_2_through_the_cli(
    tmp_path: Path, run_cli: Callable[..., int], written, capsys: pytest.CaptureFixture[str]
) -> None:
    report_json = written(make_report(), "acme")
    baseline = write_baseline(tmp_path, "VID-CREATE-003", suite="0")
    assert run_cli("baseline", report_json, "--check", baseline) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "suite version" in err


def test_the_cli_gate_gives_the_gate_exit_code(tmp_path: Path, run_cli, written) -> None:
    report_json = written(realistic_report(), "sciforium")
    assert run_cli("baseline", report_json, "--check", write_baseline(tmp_path)) == 1


# --- the baseline file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "vendor: a\nsuite_version: '1'\nentries:\n"
            "  - id: X\n    reason: r\n  - id: X\n    reason: s\n",
            "duplicate",
        ),
        (
            "vendor: a\nsuite_version: '1'\nentries:\n  - id: X\n    reason: '  '\n",
            "non-empty 'reason'",
        ),
        ("vendor: a\nsuite_version: '1'\nentries:\n  - id: X\n", "non-empty 'reason'"),
        (
            "vendor: a\nsuite_version: '1'\nentries:\n  - id: X\n    reason: 'TODO: explain'\n",
            "TODO: explain",
        ),
        ("vendor: a\nsuite_version: '1'\nentries:\n  - id: X\n    reasons: r\n", "unknown key"),
        ("vendor: a\nentries: []\n", "suite_version"),
        ("vendor: a\nsuite_version: '1'\nentries: {}\n", "must be a list"),
        ("- just\n- a list\n", "expected a mapping"),
        ("vendor: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_baselines_are_refused_in_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(text)
    with pytest.raises(UsageError, match="baseline") as caught:
        load_baseline(path)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unquoted_suite_version_reads_as_text(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("vendor: a\nsuite_version: 1\nentries: []\n")
    assert load_baseline(path).suite_version == "1"


def test_a_written_baseline_reads_back_and_silences_exactly_the_gating_failures(
    tmp_path: Path,
) -> None:
    report = realistic_report()
    baseline = baseline_from_report(report, "known: vendor ticket 12")
    path = tmp_path / "b.yaml"
    path.write_text(dump_baseline(baseline, report))
    loaded = load_baseline(path)
    assert loaded == baseline
    # MUST/SHOULD failures only: the MAY failure and the extension are not recorded.
    assert loaded.ids == {"VID-LIFE-001", "VID-CONTENT-005", "VID-CREATE-003", "VID-SDK-001"}
    report.harness_errors = []
    gate = evaluate(report, path)
    assert gate.unexpected == [] and gate.stale == []


def test_a_baseline_written_without_reason_is_marked_and_refused_until_explained(
    tmp_path: Path,
) -> None:
    report = realistic_report()
    text = dump_baseline(baseline_from_report(report), report)
    assert text.count('reason: "TODO: explain"') == 4
    path = tmp_path / "b.yaml"
    path.write_text(text)
    with pytest.raises(UsageError, match="4 entries still say"):
        load_baseline(path)


def test_what_was_not_exercised_never_lowers_the_verdict() -> None:
    # "Partially tested" is not "partially conforms": a core check that was skipped (no
    # failing prompt in the profile) or unsupported leaves a clean run conformant.
    report = make_report(
        with_results(
            result("VID-LIFE-007", "skipped", "no job failed"),
            result("VID-CREATE-001", "unsupported", "JSON not declared"),
        )
    )
    assert report.verdict() == "conformant"
    coverage = report.coverage()
    assert coverage["total"] == len(report.checks)
    assert coverage["exercised"] == len(report.checks) - 2
    assert coverage["not_exercised"] == ["VID-CREATE-001 (unsupported)", "VID-LIFE-007 (skipped)"]
    assert report.to_dict()["coverage"] == coverage


@pytest.mark.parametrize(
    ("level", "verdict"), [("MUST", "nonconformant"), ("SHOULD", "partial"), ("MAY", "conformant")]
)
def test_only_failures_decide_the_verdict(level: Level, verdict: str) -> None:
    failing = dataclasses.replace(result("VID-OBJ-001", "failed", "bad"), level=level)
    assert make_report(with_results(failing)).verdict() == verdict

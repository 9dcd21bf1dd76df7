"""Every check fails against a provider that breaks exactly its rule, and only it fails.

Each case names a fault switch of the reference provider (``conformance/provider/faults.py``)
and the EXACT set of checks it must fail (the checks whose catalogue entry names it in
``Check.faults``), judged over every catalogue check but expiry (which
waits for ``expires_at`` and has runs of its own in ``test_extended_runs.py``). Where one
misbehaviour inherently breaks two related rules (a status word outside the enum also violates
the Video schema, and openai-python's poll returns early on it), all of them are listed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.catalog import CHECKS
from conformance.provider.faults import FAULTS
from tests.suite.conftest import FAST_RENDER_S, SUITE_SCOPE, outcomes, run_reference

OWN_RUNS = {
    # the bundled provider then takes only x-api-key: a profile saying so is needed
    "auth-x-api-key-only": "test_bearer_refused_fails_auth_003 below",
    # expiry waits for expires_at: tests/suite/test_extended_runs.py
    "expiry-not-enforced": "tests/suite/test_extended_runs.py",
}
"""Catalogue faults shown failing by runs of their own, not by the matrix below."""


def _failing_sets() -> dict[str, set[str]]:
    """Each fault switch the catalogue names (``Check.faults``) and the checks naming it."""
    cases: dict[str, set[str]] = {}
    for check in CHECKS.values():
        for fault in check.faults:
            cases.setdefault(fault, set()).add(check.id)
    return cases


CASES: dict[str, set[str]] = {f: ids for f, ids in _failing_sets().items() if f not in OWN_RUNS}
"""The matrix: each fault switch and the EXACT set of checks it must fail, from the catalogue.
Where one misbehaviour inherently breaks related rules, every check it breaks names it (an
accepted out-of-contract size shows in the list, which the object checks and a strict SDK
listing judge; a status word outside the enum also breaks the schema and openai-python's poll;
a foreign-keyed redirect breaks every download, the SDK's too)."""


NOT_IN_THE_MATRIX = ["VID-SDK-004"]
"""The openai-node oracle needs node and the npm package, which this matrix does not assume,
and makes two jobs of its own per run; it is shown failing by its own runs
(``tests/node_oracle/``), here only left out."""


NOTES: dict[str, str] = {
    # a redirect the client follows to bytes served without the key is legal (api §5.8)
    "content-redirect": "VID-CONTENT-006",
    # model is an open string in the contract (api §2.1, §9.6)
    "accept-unknown-model": "VID-VAL-010",
}
"""Faults that are legal but worth knowing: no check fails, the named one passes as a note."""


SLOW_RENDER: dict[str, float] = {
    "status-regress": 2.0,
    "progress-regress": 2.0,
    "status-processing": 1.0,
    "poll-after-not-integer": 1.0,
}
"""Faults that show only across several in_progress polls: renders long enough to see them."""


def test_every_fault_switch_is_accounted_for() -> None:
    """Every fault the catalogue names exists, and every fault of the provider shows a check
    failing (the catalogue), passing as a note (``NOTES``) or is judged by a run of its own."""
    named = set(_failing_sets())
    assert named <= set(FAULTS), f"unknown fault switches in the catalogue: {named - set(FAULTS)}"
    unaccounted = set(FAULTS) - named - set(NOTES)
    assert not unaccounted, f"fault switches no check names: {sorted(unaccounted)}"
    assert set(OWN_RUNS) <= named
    # the matrix is as strict as ever: a real set of checks for every fault
    assert len(CASES) >= 50 and all(CASES.values())


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CASES))
def test_fault_fails_exactly_its_checks(fault: str, tmp_path: Path) -> None:
    render = SLOW_RENDER.get(fault, FAST_RENDER_S)
    result = run_reference(
        tmp_path,
        faults=[fault],
        only=SUITE_SCOPE,
        skip=NOT_IN_THE_MATRIX,
        render_seconds=render,
    )
    failed = outcomes(result, "failed")
    errors = {c.id: c.message for c in result.report.checks if c.outcome == "error"}
    messages = {c.id: c.message for c in result.report.checks if c.outcome == "failed"}
    assert failed == CASES[fault], messages
    assert not errors
    assert result.exit_code == 1


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(NOTES))
def test_legal_fault_is_a_note_and_fails_nothing(fault: str, tmp_path: Path) -> None:
    result = run_reference(tmp_path, faults=[fault], only=SUITE_SCOPE, skip=NOT_IN_THE_MATRIX)
    messages = {c.id: c.message for c in result.report.checks if c.outcome == "failed"}
    assert not messages
    notes = {c.id for c in result.report.checks if c.kind == "note"}
    assert notes == {NOTES[fault]}
    note = next(c for c in result.report.checks if c.id == NOTES[fault])
    assert note.outcome == "passed" and note.message
    assert result.exit_code == 0


@pytest.mark.slow
def test_bearer_refused_fails_auth_003(tmp_path: Path) -> None:
    """A provider that takes only x-api-key, checked with a profile that says so."""
    profile = tmp_path / "xkey.toml"
    profile.write_text(
        'name = "xkey"\nbundled = true\nauth = "x-api-key"\nmodel = "sora-2"\n'
        'features = ["list", "delete", "remix", "variants"]\n'
        'failing_prompt = "A job that fails on purpose [[fail]]"\n',
        encoding="utf-8",
    )
    result = run_reference(
        tmp_path,
        faults=["auth-x-api-key-only"],
        only=SUITE_SCOPE,
        skip=NOT_IN_THE_MATRIX,
        profile=str(profile),
    )
    assert outcomes(result, "failed") == _failing_sets()["auth-x-api-key-only"] == {"VID-AUTH-003"}


@pytest.mark.slow
def test_a_declared_extra_size_is_a_note_of_strict_sdk_parsing(tmp_path: Path) -> None:
    """A job of a documented extra size echoes it; the SDK's strict size literal rejects that."""
    profile = tmp_path / "extra-size.toml"
    profile.write_text(
        'name = "extra-size"\nbundled = true\nmodel = "sora-2"\nfeatures = ["list"]\n'
        '[extensions]\nsizes = ["640x480"]\n',
        encoding="utf-8",
    )
    sizes = ["720x1280", "1280x720", "1024x1792", "1792x1024", "640x480"]
    result = run_reference(
        tmp_path,
        only=["VID-EXT-002", "VID-SDK-002", "VID-CREATE-002"],
        profile=str(profile),
        overrides={"sizes_allowed": sizes},
    )
    checks = {c.id: c for c in result.report.checks}
    assert checks["VID-EXT-002"].kind == "extension" and checks["VID-EXT-002"].outcome == "passed"
    sdk = checks["VID-SDK-002"]
    assert (sdk.outcome, sdk.kind) == ("passed", "note"), sdk.message
    assert "640x480" in sdk.message


@pytest.mark.slow
def test_stuck_jobs_fail_life_008(tmp_path: Path) -> None:
    """Jobs that never finish within the job timeout (A9, A10)."""
    result = run_reference(
        tmp_path, only=["VID-LIFE-008", "VID-CREATE-001"], job_timeout_s=1.0, render_seconds=30.0
    )
    assert outcomes(result, "failed") == {"VID-LIFE-008"}
    life = next(c for c in result.report.checks if c.id == "VID-LIFE-008")
    assert "job timeout" in life.message


def test_every_check_has_a_fault() -> None:
    """Every catalogue check is shown to fail somewhere: here, or in ``test_extended_runs``."""
    from conformance.catalog import CHECKS

    elsewhere = {"VID-AUTH-003", "VID-LIFE-008", "VID-EXP-001", "VID-EXT-001", "VID-EXT-002"}
    covered = set().union(*CASES.values()) | elsewhere | set(NOT_IN_THE_MATRIX)
    assert set(CHECKS) - covered == set()


def test_every_fault_case_names_a_known_fault() -> None:
    from conformance.provider.faults import FAULTS

    assert set(CASES) | set(NOTES) <= set(FAULTS)

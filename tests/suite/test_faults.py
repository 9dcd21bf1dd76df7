"""Every core check fails against a provider that breaks exactly its rule, and only it fails.

Each case names a fault switch of the reference provider (``conformance/provider/faults.py``)
and the EXACT set of checks it must fail. Where one misbehaviour inherently breaks two related
rules (a status word outside the enum also violates the Video schema), both are listed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.suite.conftest import CORE_SCOPE, FAST_RENDER_S, outcomes, run_reference

CASES: dict[str, set[str]] = {
    # create
    "json-create-refused": {"VID-CREATE-001"},
    "multipart-create-refused": {"VID-CREATE-002"},
    "create-201": {"VID-CREATE-003"},
    "default-seconds-8": {"VID-CREATE-004"},
    # every job reports the wrong size, the one created with the default size included
    "size-echo-wrong": {"VID-CREATE-004", "VID-CREATE-005"},
    # object
    "omit-prompt": {"VID-OBJ-001"},
    "created-at-ms": {"VID-OBJ-002"},
    "id-changes-on-retrieve": {"VID-OBJ-003"},
    "id-base64": {"VID-OBJ-004"},
    # lifecycle (a value outside the schema's enum or type also fails VID-OBJ-001)
    "status-processing": {"VID-LIFE-001", "VID-OBJ-001"},
    "status-regress": {"VID-LIFE-002"},
    "progress-fraction": {"VID-LIFE-003", "VID-LIFE-005", "VID-OBJ-001"},
    "progress-regress": {"VID-LIFE-004"},
    "progress-99-when-completed": {"VID-LIFE-005"},
    "completed-at-early": {"VID-LIFE-006"},
    "failed-error-message-only": {"VID-LIFE-007", "VID-OBJ-001"},
    "poll-after-not-integer": {"VID-LIFE-009"},
    # content
    "content-type-octet": {"VID-CONTENT-001"},
    "content-corrupt": {"VID-CONTENT-002"},
    "content-wrong-duration": {"VID-CONTENT-003"},
    "content-wrong-size": {"VID-CONTENT-004"},
    "content-200-before-ready": {"VID-CONTENT-005"},
    "content-redirect": {"VID-CONTENT-006"},
    "variant-ignored": {"VID-CONTENT-007", "VID-CONTENT-008"},
    # validation
    "accept-seconds-5": {"VID-VAL-001"},
    "accept-seconds-10": {"VID-VAL-002"},
    "accept-seconds-integer": {"VID-VAL-003"},
    "accept-seconds-abc": {"VID-VAL-004"},
    "accept-size-999": {"VID-VAL-005"},
    "accept-size-ratio": {"VID-VAL-006"},
    "accept-any-size": {"VID-VAL-005", "VID-VAL-006"},
    "accept-missing-prompt": {"VID-VAL-007"},
    "accept-empty-prompt": {"VID-VAL-008"},
    "accept-long-prompt": {"VID-VAL-009"},
    "accept-unknown-model": {"VID-VAL-010"},
    "error-param-null": {"VID-VAL-011"},
    "rejected-create-bills": {"VID-VAL-012"},
    # errors (one status knob covers the four routes; the envelope fault also hides error.param)
    "unknown-id-500": {"VID-ERR-001", "VID-ERR-002", "VID-ERR-003", "VID-ERR-004"},
    "error-no-envelope": {"VID-ERR-005", "VID-VAL-011"},
    # auth (an unchecked route accepts a missing key and a wrong key alike)
    "auth-ignored": {"VID-AUTH-001", "VID-AUTH-002"},
}


SLOW_RENDER: dict[str, float] = {
    "status-regress": 2.0,
    "progress-regress": 2.0,
    "status-processing": 1.0,
    "poll-after-not-integer": 1.0,
}
"""Faults that show only across several in_progress polls: renders long enough to see them."""


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CASES))
def test_fault_fails_exactly_its_checks(fault: str, tmp_path: Path) -> None:
    render = SLOW_RENDER.get(fault, FAST_RENDER_S)
    result = run_reference(tmp_path, faults=[fault], only=CORE_SCOPE, render_seconds=render)
    failed = outcomes(result, "failed")
    errors = {c.id: c.message for c in result.report.checks if c.outcome == "error"}
    messages = {c.id: c.message for c in result.report.checks if c.outcome == "failed"}
    assert failed == CASES[fault], messages
    assert not errors
    assert result.exit_code == 1


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
        tmp_path, faults=["auth-x-api-key-only"], only=CORE_SCOPE, profile=str(profile)
    )
    assert outcomes(result, "failed") == {"VID-AUTH-003"}


@pytest.mark.slow
def test_stuck_jobs_fail_life_008(tmp_path: Path) -> None:
    """Jobs that never finish within the job timeout (A9, A10)."""
    result = run_reference(
        tmp_path, only=["VID-LIFE-008", "VID-CREATE-001"], job_timeout_s=1.0, render_seconds=30.0
    )
    assert outcomes(result, "failed") == {"VID-LIFE-008"}
    life = next(c for c in result.report.checks if c.id == "VID-LIFE-008")
    assert "job timeout" in life.message


def test_every_core_check_has_a_fault() -> None:
    from conformance.catalog import CHECKS, CORE_FEATURES

    covered = set().union(*CASES.values()) | {"VID-AUTH-003", "VID-LIFE-008"}
    core = {c.id for c in CHECKS.values() if c.feature in CORE_FEATURES or c.feature == "variants"}
    assert core - covered == set()

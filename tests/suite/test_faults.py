"""Every check fails against a provider that breaks exactly its rule, and only it fails.

Each case names a fault switch of the reference provider (``conformance/provider/faults.py``)
and the EXACT set of checks it must fail, judged over every catalogue check but expiry (which
waits for ``expires_at`` and has runs of its own in ``test_extended_runs.py``). Where one
misbehaviour inherently breaks two related rules (a status word outside the enum also violates
the Video schema, and openai-python's poll returns early on it), all of them are listed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.suite.conftest import FAST_RENDER_S, SUITE_SCOPE, outcomes, run_reference

ACCEPTED_SIZE_LISTED = {"VID-OBJ-001", "VID-SDK-002"}
"""An accepted out-of-contract size shows up in the list as the job's size: a schema violation
for the object checks and a parse failure for a strict SDK client listing."""

CASES: dict[str, set[str]] = {
    # create
    # the knob covers remix too, which openai-python sends as JSON; the remix is of the (JSON)
    # main job, which is refused, so no remix is sent and VID-SDK-003 judges list and delete
    # the main job falls back to multipart, so the remix of it is sent, as openai-python sends
    # it, in JSON: refused, which openai-python's remix step of VID-SDK-003 meets
    "json-create-refused": {"VID-CREATE-001", "VID-SDK-003"},
    # openai-python always sends multipart; so is the image-to-video create
    "multipart-create-refused": {"VID-CREATE-002", "VID-I2V-001", "VID-SDK-001"},
    "create-201": {"VID-CREATE-003"},
    "default-seconds-8": {"VID-CREATE-004"},
    # the defaults job is resent with the model, so only the model check fails
    "model-required": {"VID-CREATE-006"},
    # every job reports the wrong size, the one created with the default size included
    "size-echo-wrong": {"VID-CREATE-004", "VID-CREATE-005"},
    # object
    "omit-prompt": {"VID-OBJ-001"},
    "created-at-ms": {"VID-OBJ-002"},
    "id-changes-on-retrieve": {"VID-OBJ-003", "VID-SDK-001"},  # the polled id 404s
    "id-base64": {"VID-OBJ-004"},
    # lifecycle (a value outside the schema's enum or type also fails VID-OBJ-001)
    "status-processing": {"VID-LIFE-001", "VID-OBJ-001", "VID-SDK-001", "VID-SDK-002"},
    "status-regress": {"VID-LIFE-002"},
    "progress-fraction": {"VID-LIFE-003", "VID-LIFE-005", "VID-OBJ-001", "VID-SDK-002"},
    "progress-regress": {"VID-LIFE-004"},
    "progress-99-when-completed": {"VID-LIFE-005"},
    "completed-at-early": {"VID-LIFE-006"},
    "failed-error-message-only": {"VID-LIFE-007", "VID-OBJ-001", "VID-SDK-002"},
    "poll-after-not-integer": {"VID-LIFE-009", "VID-SDK-001"},  # the SDK int()s it
    # content
    "content-type-octet": {"VID-CONTENT-001"},
    # every video is corrupt: the remix, the image job and the SDK download too
    "content-corrupt": {"VID-CONTENT-002", "VID-I2V-001", "VID-REMIX-002", "VID-SDK-001"},
    "content-wrong-duration": {"VID-CONTENT-003"},
    "content-wrong-size": {"VID-CONTENT-004"},
    "content-200-before-ready": {"VID-CONTENT-005"},
    # the SDK and the checker drop the key across origins: every download fails
    "content-redirect-foreign-keyed": {
        "VID-CONTENT-001",
        "VID-CONTENT-006",
        "VID-CONTENT-007",
        "VID-CONTENT-008",
        "VID-I2V-001",
        "VID-REMIX-002",
        "VID-SDK-001",
    },
    "variant-ignored": {"VID-CONTENT-007", "VID-CONTENT-008"},
    # validation
    "accept-seconds-5": {"VID-VAL-001"},
    "accept-seconds-10": {"VID-VAL-002"},
    "accept-seconds-integer": {"VID-VAL-003"},
    "accept-seconds-abc": {"VID-VAL-004"},
    "accept-size-999": {"VID-VAL-005", *ACCEPTED_SIZE_LISTED},
    "accept-size-ratio": {"VID-VAL-006", *ACCEPTED_SIZE_LISTED},
    "accept-any-size": {"VID-VAL-005", "VID-VAL-006", *ACCEPTED_SIZE_LISTED},
    "accept-missing-prompt": {"VID-VAL-007"},
    "accept-empty-prompt": {"VID-VAL-008"},
    "accept-long-prompt": {"VID-VAL-009"},
    "unknown-model-500": {"VID-VAL-010"},
    "error-param-null": {"VID-VAL-011"},
    "rejected-create-bills": {"VID-VAL-012"},
    # errors (one status knob covers the four routes; the envelope fault also hides error.param)
    # a deleted video is an unknown one: it answers 500 too
    "unknown-id-500": {"VID-ERR-001", "VID-ERR-002", "VID-ERR-003", "VID-ERR-004", "VID-DEL-002"},
    "error-no-envelope": {"VID-ERR-005", "VID-VAL-011"},
    # auth (an unchecked route accepts a missing key and a wrong key alike)
    "auth-ignored": {"VID-AUTH-001", "VID-AUTH-002"},
    # list (G3, G4); a declared route that is missing fails, and so do the probes of its auth
    "list-no-cursor-fields": {"VID-LIST-001", "VID-LIST-003"},
    "list-lagging": {"VID-LIST-002", "VID-SDK-003"},
    "list-limit-ignored": {"VID-LIST-003"},
    "list-order-ignored": {"VID-LIST-004"},
    "list-route-missing": {
        "VID-LIST-001",
        "VID-LIST-002",
        "VID-LIST-003",
        "VID-LIST-004",
        "VID-AUTH-001",
        "VID-AUTH-002",
        "VID-SDK-003",
    },
    # delete (G4): the SDK reads .deleted as None, and a strict client rejects the body
    "delete-returns-video": {"VID-DEL-001", "VID-SDK-002", "VID-SDK-003"},
    "delete-noop": {"VID-DEL-002"},
    "delete-rejects-sdk": {"VID-SDK-003"},
    # remix, image to video
    "remix-unlinked": {"VID-REMIX-001", "VID-SDK-003"},
    "remix-jobs-fail": {"VID-REMIX-002"},
    "input-reference-refused": {"VID-I2V-001"},
}


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
    assert outcomes(result, "failed") == {"VID-AUTH-003"}


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

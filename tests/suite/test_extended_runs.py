"""The extended checks that need more than one fault switch: declared extensions, undeclared
features, expiry (waited for within a run, and deferred to a later run)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from conformance.client import Client
from conformance.provider.behaviour import CONTRACT_SECONDS, CONTRACT_SIZES
from conformance.report.model import CheckResult
from conformance.runner import RunOptions, RunResult, execute
from conformance.suite.test_expiry import EXPIRY_GRACE_S
from tests.suite.conftest import external_provider, outcomes, run_reference

BASE_PROFILE = (
    'bundled = true\nauth = "bearer"\nmodel = "sora-2"\n'
    'failing_prompt = "A job that fails on purpose [[fail]]"\n'
)
EXTENSIONS = '\n[extensions]\nseconds = ["2"]\nsizes = ["640x480"]\n'
PROVIDER_EXTENSIONS = {
    "seconds_allowed": [*CONTRACT_SECONDS, "2"],
    "sizes_allowed": [*CONTRACT_SIZES, "640x480"],
}


def _profile(tmp_path: Path, name: str, features: list[str], extra: str = "") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\n{BASE_PROFILE}features = {json.dumps(features)}\n{extra}',
        encoding="utf-8",
    )
    return str(path)


def _check(result: RunResult, check_id: str) -> CheckResult:
    return next(c for c in result.report.checks if c.id == check_id)


@pytest.mark.slow
def test_declared_extensions_that_work_are_reported_as_extensions(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "extended", ["list"], EXTENSIONS)
    result = run_reference(
        tmp_path, profile=profile, only=["extensions"], overrides=PROVIDER_EXTENSIONS
    )
    for check_id in ("VID-EXT-001", "VID-EXT-002"):
        check = _check(result, check_id)
        assert (check.outcome, check.kind) == ("passed", "extension"), check.message
    assert result.exit_code == 0


@pytest.mark.slow
def test_declared_extensions_that_are_refused_fail(tmp_path: Path) -> None:
    """The profile documents seconds "2" and size 640x480; the provider keeps to the contract."""
    profile = _profile(tmp_path, "overclaimed", ["list"], EXTENSIONS)
    result = run_reference(tmp_path, profile=profile, only=["extensions", "validation"])
    assert outcomes(result, "failed") == {"VID-EXT-001", "VID-EXT-002"}
    assert 'seconds "2" was rejected' in _check(result, "VID-EXT-001").message


@pytest.mark.slow
def test_features_declared_absent_are_unsupported_not_failed(tmp_path: Path) -> None:
    absent = '["list", "delete", "remix", "image_to_video", "variants"]'
    profile = _profile(tmp_path, "bare", [], f"absent_features = {absent}\n")
    extended = ["list", "delete", "remix", "image_to_video", "extensions", "sdk", "VID-ERR"]
    result = run_reference(tmp_path, profile=profile, only=extended)
    unsupported = outcomes(result, "unsupported")
    assert outcomes(result, "failed") == set()
    assert {
        "VID-LIST-001",
        "VID-LIST-004",
        "VID-DEL-001",
        "VID-DEL-002",
        "VID-REMIX-001",
        "VID-REMIX-002",
        "VID-I2V-001",
        "VID-EXT-001",
        "VID-EXT-002",
        "VID-SDK-003",
        "VID-ERR-003",
        "VID-ERR-004",
    } <= unsupported
    assert {f["state"] for f in result.report.features.values()} == {"denied"}
    # the SDK's core lifecycle needs no extended feature
    assert {"VID-SDK-001", "VID-SDK-002"} <= outcomes(result, "passed")


@pytest.mark.slow
def test_features_nobody_mentioned_are_found_and_judged(tmp_path: Path) -> None:
    # A profile that says nothing of the extended features (as a bare --base-url): the run
    # tries each, and the reference provider offers them all, so they are judged and pass.
    profile = _profile(tmp_path, "bare", [])
    result = run_reference(tmp_path, profile=profile, only=["list", "delete", "remix", "VID-I2V"])
    assert outcomes(result, "failed") == set()
    assert {
        "VID-LIST-001",
        "VID-LIST-003",
        "VID-DEL-001",
        "VID-DEL-002",
        "VID-REMIX-001",
        "VID-REMIX-002",
        "VID-I2V-001",
    } <= outcomes(result, "passed")
    states = {name: f["state"] for name, f in result.report.features.items()}
    assert states["list"] == states["delete"] == states["remix"] == "detected"
    assert states["image_to_video"] == "detected"


@pytest.mark.slow
def test_expiry_checked_within_the_run_fails_when_content_outlives_it(tmp_path: Path) -> None:
    result = run_reference(
        tmp_path, faults=["expiry-not-enforced"], only=["VID-EXP-001", "VID-CONTENT-001"]
    )
    assert outcomes(result, "failed") == {"VID-EXP-001"}
    assert "after its expires_at" in _check(result, "VID-EXP-001").message


@pytest.mark.slow
def test_expiry_without_expires_at_is_skipped(tmp_path: Path) -> None:
    result = run_reference(tmp_path, only=["VID-EXP-001"], overrides={"omit_keys": ["expires_at"]})
    check = _check(result, "VID-EXP-001")
    assert check.outcome == "skipped"
    assert "expires_at is null" in check.message


@pytest.mark.slow
@pytest.mark.parametrize(
    ("faults", "verdict"), [((), "passed"), (("expiry-not-enforced",), "failed")]
)
def test_expiry_beyond_the_wait_is_deferred_to_a_later_run(
    tmp_path: Path, faults: tuple[str, ...], verdict: str
) -> None:
    report_dir = tmp_path / "report"
    with external_provider(tmp_path, ttl_seconds=1, faults=faults) as target:
        impatient = dataclasses.replace(target, expiry_wait_s=0.0)
        options = RunOptions(report_dir=report_dir, only=["VID-EXP-001"], fuzz=False)

        first = execute(impatient, options)
        check = _check(first, "VID-EXP-001")
        assert check.outcome == "skipped"
        assert check.message.startswith("deferred:")
        [entry] = first.report.deferred
        video_id = entry["video_id"]
        assert video_id is not None
        state = json.loads((report_dir / "state.json").read_text(encoding="utf-8"))
        assert [e["video_id"] for e in state["deferred"]] == [video_id]
        with Client(target) as client:  # kept out of the clean-up: a deleted video proves nothing
            assert client.retrieve(video_id).status == 200
        due = state["deferred"][0]["expires_at"] + EXPIRY_GRACE_S + 0.1
        time.sleep(max(0.0, due - time.time()))

        second = execute(impatient, options)
        check = _check(second, "VID-EXP-001")
        assert check.outcome == verdict, check.message
        assert video_id in check.message
        state = json.loads((report_dir / "state.json").read_text(encoding="utf-8"))
        assert video_id not in [e["video_id"] for e in state["deferred"]]

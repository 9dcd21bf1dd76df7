"""A recorded run of the bundled provider, re-judged offline: same verdicts, a report that
says what it re-judged, ``diff`` against the original, deterministic replays."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.commands.rejudge import FUZZ_NOT_REPLAYED, rejudge
from conformance.config import Overrides, resolve_target
from conformance.node_oracle.driver import unavailable
from conformance.runner import RunOptions, RunResult, execute

pytestmark = pytest.mark.slow

VOLATILE_KEYS = {"started_at", "duration_s", "elapsed_ms", "t"}
"""Timestamps and durations: the only fields two replays may disagree on."""
NODE = unavailable() is None
"""node and the pinned openai package are installed: the run drives openai-node."""
_BOUNDARY = re.compile(r"boundary=[0-9a-f]+")


def _stable(value: Any) -> Any:
    """``value`` without timestamps and durations; multipart boundaries (random per request,
    drawn by httpx as it sends) replaced."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str):
        return _BOUNDARY.sub("boundary=*", value)
    return value


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult]:
    report_dir = tmp_path_factory.mktemp("recorded")
    target = resolve_target(Overrides(profile="reference", job_timeout_s=30.0), env={})
    result = execute(target, RunOptions(report_dir=report_dir, fuzz=False, render_seconds=0.25))
    return report_dir, result


def test_a_run_writes_a_redacted_har(recorded: tuple[Path, RunResult]) -> None:
    report_dir, result = recorded
    assert result.paths["har"] == report_dir / "transcript.har"
    text = (report_dir / "transcript.har").read_text()
    log = json.loads(text)["log"]
    clients = {e["_vc"]["client"] for e in log["entries"]}
    # openai-node's requests come through the run's proxy when node can run here
    assert clients == {"ours", "sdk"} | ({"node"} if NODE else set())
    assert any(e["response"]["content"].get("encoding") == "base64" for e in log["entries"])
    # The bundled provider's key was drawn for the run and registered; it never reaches the file.
    assert "Bearer vc-" not in text
    assert all(
        h["value"] == "Bearer [REDACTED]"
        for e in log["entries"]
        for h in e["request"]["headers"]
        if h["name"].lower() == "authorization"
    )


def test_rejudge_keeps_every_verdict_and_says_what_it_replayed(
    recorded: tuple[Path, RunResult], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_dir, original = recorded
    out = tmp_path / "rejudged"
    code = cli.main(["rejudge", str(report_dir), "--report-dir", str(out), "--quiet"])
    assert code == original.exit_code
    new = json.loads((out / "report.json").read_text())
    old = json.loads((report_dir / "report.json").read_text())
    assert new["verdict"] == old["verdict"]
    node = next(c for c in new["checks"] if c["id"] == "VID-SDK-004")
    if NODE:  # recorded through the run's proxy, and judged again from the recording
        assert node["outcome"] == "passed", node["message"]
    else:  # a run without node recorded none of its traffic
        assert node["outcome"] == "skipped" and "not in the recording" in node["message"]
    outcomes_old = {c["id"]: c["outcome"] for c in old["checks"] if c["id"] != "VID-SDK-004"}
    outcomes_new = {c["id"]: c["outcome"] for c in new["checks"] if c["id"] != "VID-SDK-004"}
    assert outcomes_new == outcomes_old  # the property phase was off in the recording too
    rejudged = new["rejudged_from"]
    assert rejudged["recording"].endswith("transcript.har")
    assert rejudged["recorded_by"]["suite_version"] == old["tool"]["suite_version"]
    assert rejudged["unused_answers"] == 0
    assert "rejudged_from" not in old
    capsys.readouterr()
    assert cli.main(["diff", str(report_dir / "report.json"), str(out / "report.json")]) == 0
    assert "regressed: 0" in capsys.readouterr().out


def test_replays_are_deterministic(recorded: tuple[Path, RunResult], tmp_path: Path) -> None:
    report_dir, _ = recorded
    first, _, _ = rejudge(report_dir, tmp_path / "one")
    rejudge(report_dir, tmp_path / "two")
    a = json.loads((tmp_path / "one" / "report.json").read_text())
    b = json.loads((tmp_path / "two" / "report.json").read_text())
    assert _stable(a) == _stable(b)
    fuzz = [c for c in first.checks if c.id.startswith("PROP-")]
    assert fuzz and all(c.outcome == "skipped" and c.message == FUZZ_NOT_REPLAYED for c in fuzz)


def test_a_request_missing_from_the_recording_skips_its_check(
    recorded: tuple[Path, RunResult], tmp_path: Path
) -> None:
    report_dir, _ = recorded
    har = json.loads((report_dir / "transcript.har").read_text())
    # Drop every answer to the list route: the list checks can no longer be judged.
    har["log"]["entries"] = [
        e
        for e in har["log"]["entries"]
        if not e["_vc"]["key"].split(" ")[2].endswith("/videos") or e["request"]["method"] != "GET"
    ]
    path = tmp_path / "cut.har"
    path.write_text(json.dumps(har))
    report, _, _ = rejudge(path, tmp_path / "out")
    by_id = {c.id: c for c in report.checks}
    listed = [c for c in report.checks if c.feature == "list" and c.outcome != "passed"]
    assert listed, "no list check noticed the missing answers"
    for check in listed:
        assert check.outcome == "skipped", (check.id, check.outcome, check.message)
        assert "not in the recording" in check.message
    assert by_id["VID-LIFE-001"].outcome == "passed"


def test_a_job_missing_from_the_recording_skips_what_needed_it(
    recorded: tuple[Path, RunResult], tmp_path: Path
) -> None:
    report_dir, _ = recorded
    har = json.loads((report_dir / "transcript.har").read_text())
    # Without openai-python's answers its job (and the remix it sends) cannot be replayed.
    har["log"]["entries"] = [e for e in har["log"]["entries"] if e["_vc"]["client"] != "sdk"]
    path = tmp_path / "no-sdk.har"
    path.write_text(json.dumps(har))
    report, _, _ = rejudge(path, tmp_path / "out")
    errors = {c.id: c.message for c in report.checks if c.outcome == "error"}
    assert not errors
    # openai-node's traffic (VID-SDK-004) is its own, still in the recording
    sdk_checks = [c for c in report.checks if c.feature == "sdk" and c.id != "VID-SDK-004"]
    assert sdk_checks
    for check in sdk_checks:
        assert check.outcome == "skipped", (check.id, check.outcome, check.message)
    # The check that needed the job says why; those after it point to it.
    by_id = {c.id: c for c in report.checks}
    assert "not in the recording" in by_id["VID-SDK-001"].message

"""A run with the openai-node oracle, recorded and re-judged offline: same report, node included.

Needs node and the pinned package; skipped with that reason otherwise.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.commands.rejudge import rejudge
from conformance.config import Overrides, resolve_target
from conformance.node_oracle import driver
from conformance.node_oracle.driver import unavailable
from conformance.runner import RunOptions, RunResult, execute
from tests.suite.conftest import run_reference

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(unavailable() is not None, reason=f"{unavailable()}"),
]

ONLY = ["VID-SDK-004", "VID-LIFE-001", "VID-LIST-001"]
VOLATILE_KEYS = {"started_at", "duration_s", "elapsed_ms", "t"}
"""Timestamps and durations: all a replay may change."""
_BOUNDARY = re.compile(r"boundary=[0-9a-f]+")


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str):
        return _BOUNDARY.sub("boundary=*", value)
    return value


def _replay_only(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what only a replay says (what it re-judged, the unreplayed phase)."""
    out = {k: v for k, v in report.items() if k not in ("rejudged_from", "fuzz")}
    out["checks"] = [c for c in report["checks"] if not c["id"].startswith("PROP-")]
    return out


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult]:
    report_dir = tmp_path_factory.mktemp("node-recorded")
    target = resolve_target(Overrides(profile="reference", job_timeout_s=30.0), env={})
    options = RunOptions(report_dir=report_dir, only=ONLY, fuzz=False, render_seconds=0.25)
    return report_dir, execute(target, options)


def test_node_traffic_is_recorded_without_the_key(recorded: tuple[Path, RunResult]) -> None:
    report_dir, result = recorded
    [check] = [c for c in result.report.checks if c.id == "VID-SDK-004"]
    assert check.outcome == "passed", check.message
    text = (report_dir / "transcript.har").read_text()
    assert "Bearer vc-" not in text  # the run's drawn key never reaches the file
    node = [e for e in json.loads(text)["log"]["entries"] if e["_vc"]["client"] == "node"]
    routes = [e["_vc"]["route"] for e in node]
    assert "POST /v1/videos" in routes and "GET /v1/videos" in routes
    assert any(r.endswith("/remix") for r in routes) and any(r.endswith("/content") for r in routes)
    assert all(
        h["value"] == "Bearer [REDACTED]"
        for e in node
        for h in e["request"]["headers"]
        if h["name"].lower() == "authorization"
    )


def test_rejudge_reproduces_the_report_node_included(
    recorded: tuple[Path, RunResult], tmp_path: Path
) -> None:
    report_dir, _ = recorded
    rejudged, _, _ = rejudge(report_dir, tmp_path / "rejudged")
    old = json.loads((report_dir / "report.json").read_text())
    new = json.loads((tmp_path / "rejudged" / "report.json").read_text())
    assert _stable(_replay_only(new)) == _stable(_replay_only(old))
    node = next(c for c in new["checks"] if c["id"] == "VID-SDK-004")
    assert node["outcome"] == "passed" and node["details"]["calls"]
    assert new["rejudged_from"]["unused_answers"] == 0
    assert rejudged.billing.jobs_created == old["billing"]["jobs_created"]


def test_without_node_at_rejudge_time_the_check_says_why(
    recorded: tuple[Path, RunResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_dir, _ = recorded
    monkeypatch.setenv(driver.NODE_DIR_ENV, str(tmp_path / "empty"))
    report, _, _ = rejudge(report_dir, tmp_path / "rejudged")
    [check] = [c for c in report.checks if c.id == "VID-SDK-004"]
    assert check.outcome == "skipped" and "setup-node" in check.message
    assert {c.id: c.outcome for c in report.checks}["VID-LIFE-001"] == "passed"


def test_a_recording_without_node_traffic_skips_the_check(
    recorded: tuple[Path, RunResult], tmp_path: Path
) -> None:
    report_dir, _ = recorded
    har = json.loads((report_dir / "transcript.har").read_text())
    har["log"]["entries"] = [e for e in har["log"]["entries"] if e["_vc"]["client"] != "node"]
    path = tmp_path / "no-node.har"
    path.write_text(json.dumps(har))
    report, _, _ = rejudge(path, tmp_path / "out")
    [check] = [c for c in report.checks if c.id == "VID-SDK-004"]
    assert check.outcome == "skipped" and "not in the recording" in check.message


def test_a_recording_missing_one_node_answer_skips_the_check(
    recorded: tuple[Path, RunResult], tmp_path: Path
) -> None:
    report_dir, _ = recorded
    har = json.loads((report_dir / "transcript.har").read_text())
    har["log"]["entries"] = [
        e
        for e in har["log"]["entries"]
        if not (e["_vc"]["client"] == "node" and e["_vc"]["route"].endswith("/remix"))
    ]
    path = tmp_path / "no-remix.har"
    path.write_text(json.dumps(har))
    report, _, _ = rejudge(path, tmp_path / "out")
    [check] = [c for c in report.checks if c.id == "VID-SDK-004"]
    assert check.outcome == "skipped" and "not in the recording" in check.message


def test_a_dying_oracle_leaves_its_job_to_the_runs_cleanup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in oracle: creates a job through the proxy the way node would, then crashes.
    script = tmp_path / "dying.mjs"
    script.write_text(
        "import { readFileSync } from 'node:fs';\n"
        "const plan = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const form = new FormData();\n"
        "for (const [k, v] of Object.entries(plan.create)) form.append(k, v);\n"
        "await fetch(plan.base_url + '/videos', { method: 'POST', body: form,\n"
        "  headers: { authorization: 'Bearer ' + process.env.VIDEO_CONFORMANCE_API_KEY } });\n"
        "process.stderr.write('crashed on purpose\\n');\n"
        "process.exit(3);\n"
    )
    monkeypatch.setattr(driver, "SCRIPT", script)
    target = resolve_target(Overrides(profile="reference", job_timeout_s=30.0), env={})
    options = RunOptions(
        report_dir=tmp_path / "run", only=["VID-SDK-004"], fuzz=False, render_seconds=0.25
    )
    report = execute(target, options).report
    [check] = [c for c in report.checks if c.id == "VID-SDK-004"]
    assert check.outcome == "error" and "crashed on purpose" in check.message
    har = json.loads((tmp_path / "run" / "transcript.har").read_text())
    node = [e for e in har["log"]["entries"] if e["_vc"]["client"] == "node"]
    made = json.loads(node[0]["response"]["content"]["text"])["id"]
    # billed, and deleted by the run's clean-up (our client, after the suite)
    assert report.billing.jobs_created == len(report.jobs) + 1
    deletes = [
        e
        for e in har["log"]["entries"]
        if e["request"]["method"] == "DELETE" and made in e["request"]["url"]
    ]
    assert [e["_vc"]["client"] for e in deletes] == ["ours"]
    assert deletes[0]["response"]["status"] == 200


def test_a_cross_origin_redirect_is_followed_through_the_proxy_without_the_key(
    tmp_path: Path,
) -> None:
    # /content redirects to the other spelling of the loopback host, which wants the key:
    # node follows it through the proxy, the proxy sends it there without credentials, and
    # the hop is recorded and replayed like any other.
    result = run_reference(
        tmp_path,
        only=["VID-SDK-004"],
        faults=["content-redirect-foreign-keyed"],
        write_reports=True,
    )
    [check] = [c for c in result.report.checks if c.id == "VID-SDK-004"]
    assert check.outcome == "failed" and "AuthenticationError (401)" in check.message
    har = json.loads((tmp_path / "report" / "transcript.har").read_text())
    hops = [
        e
        for e in har["log"]["entries"]
        if e["_vc"]["client"] == "node" and "content" in e["request"]["url"]
    ]
    assert [e["response"]["status"] for e in hops] == [302, 401]
    assert hops[1]["request"]["url"].startswith("http://localhost:")
    credentials = {"authorization", "x-api-key"}
    assert not [h for h in hops[1]["request"]["headers"] if h["name"].lower() in credentials]
    report, _, _ = rejudge(tmp_path / "report", tmp_path / "rejudged")
    [again] = [c for c in report.checks if c.id == "VID-SDK-004"]
    assert (again.outcome, again.message) == (check.outcome, check.message)

"""The engine around the checks: selection, honest skips, CLI exit codes, generated docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance import catalog, cli
from conformance.commands.checks import render_markdown
from conformance.config import Overrides, resolve_target
from conformance.fuzz.catalog import PROPERTY_CHECKS
from conformance.node_oracle.session import oracle_jobs
from conformance.plugin import DESELECTED, NOT_IMPLEMENTED, ConformancePlugin
from tests.suite.conftest import outcomes, run_reference

ROOT = Path(__file__).resolve().parents[2]


def test_docs_checks_md_is_up_to_date() -> None:
    on_disk = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert on_disk.strip() == render_markdown().strip(), (
        "regenerate: video-conformance checks --format markdown > docs/checks.md"
    )


def test_checks_that_did_not_run_are_skipped_never_passed() -> None:
    ctx: Any = SimpleNamespace(selected={"VID-LIST-001"}, progress=None)
    results = {r.id: r for r in ConformancePlugin(ctx).results()}
    assert set(results) == set(catalog.CHECKS)
    assert results["VID-LIST-001"].outcome == "skipped"
    assert results["VID-LIST-001"].message == NOT_IMPLEMENTED
    assert results["VID-CREATE-001"].message == DESELECTED
    assert all(r.outcome == "skipped" for r in results.values())


@pytest.mark.slow
def test_only_runs_the_selected_checks(tmp_path: Path) -> None:
    result = run_reference(tmp_path, only=["VID-CREATE-001", "VID-ERR-001"])
    assert outcomes(result, "passed") == {"VID-CREATE-001", "VID-ERR-001"}
    others = [c for c in result.report.checks if c.id.startswith("VID-") and c.outcome != "passed"]
    assert all(c.outcome == "skipped" and c.message == DESELECTED for c in others)
    # only what the selection needs was created: the main job (JSON first)
    assert {j.purpose for j in result.report.jobs} == {"main"}


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["run", "--base-url", "ftp://x"], 2, "bad base URL"),
        (["run", "--profile", "no-such-profile"], 2, "not found"),
        (["run", "--only", "VID-NOPE"], 2, "matches no check"),
        (["run", "--base-url", "https://v.example/v1"], 2, "VIDEO_API_KEY"),
        (
            ["run", "--base-url", "http://127.0.0.1:9/v1", "--api-key", "sk-abcdefgh12345678"],
            3,
            "target unreachable",
        ),
    ],
)
def test_cli_errors_are_one_line(
    argv: list[str],
    code: int,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VIDEO_API_KEY", raising=False)
    assert cli.main(argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and "sk-abcdefgh12345678" not in err


def _node_jobs(profile: str) -> tuple[int, int]:
    """The openai-node oracle's jobs and seconds in a full run (none without node here)."""
    target = resolve_target(Overrides(profile=profile), env={}, require_key=False)
    jobs = oracle_jobs(target, catalog.select(None, None))
    return len(jobs), sum(job.billed_seconds for job in jobs)


def test_plan_prints_jobs_and_cost(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--profile", "openai"]) == 0
    out = capsys.readouterr().out
    # main, remix, image and the SDK job (the defaults are judged on it): 4 x 4 s at 0.10/s
    assert "main" in out and "remix" in out and "sdk" in out
    assert "4 job(s), 16 s of video, $1.60 USD (at 0.1 USD/s)" in out
    node, node_seconds = _node_jobs("openai")
    if node:  # openai-node's own job and remix, in a section of their own
        assert "openai-node oracle (VID-SDK-004" in out
        assert f"{node} job(s), {node_seconds} s of video, $0.80 USD" in out
    else:
        assert "openai-node" not in out
    # the property phase sends only invalid creates here: billed only if wrongly accepted,
    # at most one per operation and within what the profile's max_jobs = 8 leaves
    phase = min(3, 8 - 4 - node)
    assert f"could bill up to {phase} job(s)" in out
    assert f"at most {4 + node + phase} job(s)" in out


def test_plan_counts_the_property_phase_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    # The reference profile opts into billable generation: the phase may use the whole rest.
    assert cli.main(["plan", "--profile", "reference"]) == 0
    out = capsys.readouterr().out
    node, node_seconds = _node_jobs("reference")
    assert "5 job(s), 20 s of video, $0.00 USD" in out
    assert f"up to {35 - node} more job(s), {380 - node_seconds} s of video" in out
    assert "at most 40 job(s), 400 s of video in all" in out
    assert cli.main(["plan", "--profile", "reference", "--no-fuzz"]) == 0
    out = capsys.readouterr().out
    assert "property phase: off" in out
    assert f"at most {5 + node} job(s), {20 + node_seconds} s" in out


def test_run_help_groups_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = capsys.readouterr().out
    groups = ["target:", "budget and time:", "selection:", "output:", "property phase:"]
    positions = [out.index(f"\n{g}\n") for g in groups]
    assert positions == sorted(positions)
    flat = " ".join(out.split())
    assert "(default: 60.0)" in flat and "(default: 0.3)" in flat


def test_top_level_help_describes_the_tool(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "OpenAI-compatible video generation API" in out and "exit codes:" in out
    assert "dispatch" not in out


def test_checks_json_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["checks", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # every check a run can report: the hand-written ones, then the property phase's
    assert [c["id"] for c in data["checks"]] == [*catalog.CHECKS, *PROPERTY_CHECKS]


@pytest.mark.slow
def test_run_from_the_shell_exits_0(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--no-fuzz",
            "--quiet",
            "--report-dir",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict: " in done.stdout
    assert (tmp_path / "r" / "report.json").is_file()

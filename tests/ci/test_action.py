"""The composite action (``action.yml``), its ``run:`` steps executed for real.

The steps run as a GitHub runner runs them (see ``tests.ci.composite``) against the bundled
reference provider; the actions it ``uses:`` are stood in for: setup-python by a fresh
virtualenv put on ``PATH`` (as setup-python puts its Python there), upload-artifact by recording
what it would upload.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.ci.composite import SHELL, ActionRun, UsesCall, load_action, run_composite
from tests.ci.conftest import ROOT, fresh_venv, runner_path
from tests.ci.expressions import interpolate
from tests.ci.pins import pins

ACTION = ROOT / "action.yml"
STEPS = [
    ("uses", "actions/setup-python"),
    ("run", "Install video-conformance"),
    ("run", "Run the conformance suite"),
    ("run", "Job summary"),
    ("run", "Annotate failures"),
    ("uses", "actions/upload-artifact"),
    ("run", "Gate"),
]
# Quick runs: only the auth checks, no property phase (the whole suite has its own tests).
QUICK = "--no-fuzz --only auth --render-seconds 0.1"


def _steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = load_action(ACTION)["runs"]["steps"]
    return steps


def test_the_steps_are_the_documented_ones_in_order() -> None:
    found = [
        ("uses", str(s["uses"]).split("@")[0]) if "uses" in s else ("run", s.get("name"))
        for s in _steps()
    ]
    assert found == STEPS


def test_every_used_action_is_pinned_by_commit_with_its_version() -> None:
    found = pins(ACTION.read_text(encoding="utf-8"))
    assert [p.target for p in found] == [name for kind, name in STEPS if kind == "uses"]
    assert [p.problem() for p in found if p.problem()] == []


def test_inputs_reach_scripts_only_through_env() -> None:
    # An input interpolated into a script is a script injection (GitHub's hardening guide):
    # a `profile` of `x"; curl ...` would run. Inputs go through `env:` and are quoted there.
    for step in _steps():
        if "run" in step:
            assert step.get("shell") == "bash", step.get("name")
            assert "${{" not in step["run"], step.get("name")


@pytest.mark.parametrize(
    ("code", "fail_on", "exit_code", "warned"),
    [
        ("0", "true", 0, False),
        ("1", "true", 1, False),
        ("1", "false", 0, True),
        ("2", "false", 2, False),  # usage and harness errors fail whatever the input says
        ("3", "false", 3, False),
        ("", "false", 3, False),  # the run step never reported: a harness error
    ],
)
def test_the_gate_step_follows_the_run_and_the_input(
    code: str, fail_on: str, exit_code: int, warned: bool, tmp_path: Path
) -> None:
    gate = next(s for s in _steps() if s.get("name") == "Gate")
    contexts = {
        "steps": {"run": {"outputs": {"exit-code": code}}},
        "inputs": {"fail-on-nonconformance": fail_on},
    }
    env = {k: interpolate(str(v), contexts) for k, v in gate["env"].items()}
    script = tmp_path / "gate.sh"
    script.write_text(gate["run"], encoding="utf-8")
    done = subprocess.run(
        [*SHELL, str(script)], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
    )
    assert done.returncode == exit_code, done.stdout + done.stderr
    assert ("::warning::" in done.stdout) == warned
    assert ("::error::" in done.stdout) == (code == "")


FAKE_CHECKER = """#!/usr/bin/env bash
# Stands in for the checker: records its arguments, writes report.json as a run does.
printf '%s\\n' "$@" > "$FAKE_ARGS"
dir=""
while [ $# -gt 0 ]; do if [ "$1" = --report-dir ]; then dir=$2; fi; shift; done
if [ -n "$FAKE_VERDICT" ]; then
  mkdir -p "$dir" && printf '{"verdict": "%s"}' "$FAKE_VERDICT" > "$dir/report.json"
fi
exit "$FAKE_EXIT"
"""


@pytest.mark.parametrize(
    ("inputs", "argv", "outputs"),
    [
        ({}, ["--report-dir", "reports/reference"], ("reports/reference", "conformance-reference")),
        (
            {
                "profile": "profiles/acme.toml",
                "base-url": "https://acme.test/v1",
                "budget": "3",
                "max-video-seconds": "24",
                "args": "--no-fuzz  --only VID-AUTH-*",
            },
            [
                *("--profile", "profiles/acme.toml", "--base-url", "https://acme.test/v1"),
                *("--max-jobs", "3", "--max-video-seconds", "24"),
                *("--report-dir", "reports/acme", "--no-fuzz", "--only", "VID-AUTH-*"),
            ],
            ("reports/acme", "conformance-acme"),
        ),
        (
            {
                "profile": "sciforium",
                "baseline": "known.yaml",
                "report-dir": "out/x",
                "artifact-name": "mine",
            },
            ["--profile", "sciforium", "--baseline", "known.yaml", "--report-dir", "out/x"],
            ("out/x", "mine"),
        ),
    ],
)
@pytest.mark.parametrize(("exit_code", "verdict"), [("0", "conformant"), ("1", "nonconformant"),
                                                    ("2", "")])  # fmt: skip
def test_the_run_step_turns_inputs_into_flags_and_reports_outputs(
    inputs: dict[str, str],
    argv: list[str],
    outputs: tuple[str, str],
    exit_code: str,
    verdict: str,
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "known.yaml").write_text("checks: {}\n", encoding="utf-8")
    (workspace / "VID-AUTH-x").write_text("", encoding="utf-8")  # a glob would match this
    fake = tmp_path / "bin" / "video-conformance"
    fake.parent.mkdir()
    fake.write_text(FAKE_CHECKER, encoding="utf-8")
    fake.chmod(0o755)
    env = {"FAKE_ARGS": str(tmp_path / "args"), "FAKE_EXIT": exit_code, "FAKE_VERDICT": verdict}
    run = run_composite(
        ROOT,
        inputs=inputs,
        workspace=workspace,
        uses={},
        env=env,
        base_path=f"{fake.parent}:{Path(sys.executable).parent}:/usr/bin:/bin",
        only={"run"},
    )
    step = run.step("run")
    assert step.exit_code == 0, step.stderr  # the run step reports; the gate decides
    assert (tmp_path / "args").read_text(encoding="utf-8").splitlines() == ["run", *argv]
    assert step.outputs == {
        "exit-code": exit_code,
        "report-dir": outputs[0],
        "artifact": outputs[1],
        "verdict": verdict or "error",  # no report.json: no verdict
    }
    assert run.commands("notice") == []


def test_a_missing_baseline_is_a_notice_and_not_passed_on(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "video-conformance"
    fake.parent.mkdir()
    fake.write_text(FAKE_CHECKER, encoding="utf-8")
    fake.chmod(0o755)
    run = run_composite(
        ROOT,
        inputs={"baseline": "baselines/none.yaml"},
        workspace=tmp_path,
        uses={},
        env={"FAKE_ARGS": str(tmp_path / "args"), "FAKE_EXIT": "1", "FAKE_VERDICT": "partial"},
        base_path=f"{fake.parent}:{Path(sys.executable).parent}:/usr/bin:/bin",
        only={"run"},
    )
    assert "--baseline" not in (tmp_path / "args").read_text(encoding="utf-8").splitlines()
    assert run.commands("notice") == [
        "::notice::baseline baselines/none.yaml not found: every MUST/SHOULD failure gates this run"
    ]


class Uploads:
    """Stands in for actions/upload-artifact: records each upload's inputs."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []

    def __call__(self, call: UsesCall) -> None:
        self.calls.append(call.with_)


@pytest.fixture(scope="module")
def python_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """setup-python's Python: a fresh interpreter with nothing installed (the install step of
    the first run installs the checker and its dependencies into it)."""
    return fresh_venv(tmp_path_factory.mktemp("setup-python") / "python")


def _setup_python(python_bin: Path) -> Callable[[UsesCall], None]:
    def stand_in(call: UsesCall) -> None:
        wanted = call.with_["python-version"]
        have = f"{sys.version_info.major}.{sys.version_info.minor}"
        assert have == wanted or have.startswith(wanted + "."), (wanted, have)
        call.add_path.append(str(python_bin))

    return stand_in


def _run(
    python_bin: Path,
    repository: Path,
    workspace: Path,
    inputs: Mapping[str, str],
) -> tuple[ActionRun, Uploads]:
    workspace.mkdir(parents=True, exist_ok=True)
    uploads = Uploads()
    run = run_composite(
        repository,
        inputs=inputs,
        workspace=workspace,
        uses={
            "actions/setup-python": _setup_python(python_bin),
            "actions/upload-artifact": uploads,
        },
        base_path=runner_path(),
    )
    install = run.step("Install video-conformance")
    assert install.exit_code == 0, install.stdout[-2000:] + install.stderr[-2000:]
    return run, uploads


def _report(workspace: Path, run: ActionRun) -> dict[str, Any]:
    path = workspace / run.outputs["report-dir"] / "report.json"
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


@pytest.mark.slow
def test_a_conformant_run_passes_with_summary_outputs_and_upload(
    python_bin: Path, repository: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    run, uploads = _run(
        python_bin, repository, workspace, {"args": QUICK, "baseline": "baselines/none.yaml"}
    )
    assert not run.failed, [(s.name, s.exit_code, s.stderr[-500:]) for s in run.steps]
    assert all(step.ran for step in run.steps)
    assert run.outputs["exit-code"] == "0"
    assert run.outputs["report-dir"] == "reports/reference"
    report = _report(workspace, run)
    assert run.outputs["verdict"] == report["verdict"] == "conformant"
    summary = (workspace / "reports/reference/summary.md").read_text(encoding="utf-8")
    assert summary.strip() and run.summary == summary
    assert run.commands("error") == []
    assert run.commands("notice") == [
        "::notice::baseline baselines/none.yaml not found: every MUST/SHOULD failure gates this run"
    ]
    assert uploads.calls == [
        {
            "name": "conformance-reference",
            "path": "reports/reference",
            "if-no-files-found": "warn",
            "retention-days": "30",
        }
    ]


@pytest.mark.slow
def test_a_failing_provider_annotates_and_fails_the_gate_unless_baselined(
    python_bin: Path, repository: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    faulty = {
        "args": f"{QUICK} --provider-fault auth-ignored",
        "report-dir": "out/faulty",
        "artifact-name": "faulty",
        "upload": "false",
    }
    run, uploads = _run(python_bin, repository, workspace, faulty)
    assert run.failed
    assert run.step("Gate").exit_code == 1
    assert run.outputs == {"exit-code": "1", "verdict": "nonconformant", "report-dir": "out/faulty"}
    assert run.step("run").outputs["artifact"] == "faulty"
    errors = run.commands("error")
    # The fault fails exactly these two MUST checks (tests/suite/test_faults.py).
    assert len(errors) == 2, run.log
    for check in ("VID-AUTH-001", "VID-AUTH-002"):
        assert any(check in line and "MUST failure" in line for line in errors), errors
    summary = (workspace / "out/faulty/summary.md").read_text(encoding="utf-8")
    assert run.summary == summary and "VID-AUTH-001" in summary
    assert uploads.calls == []  # upload: false

    # The same failures, known and explained in a baseline, no longer fail the gate.
    baseline = workspace / "baselines/faulty.yaml"
    baseline.parent.mkdir()
    made = subprocess.run(
        [
            str(python_bin / "video-conformance"),
            "baseline",
            "out/faulty/report.json",
            "--reason",
            "the provider under test ignores the key",
            "-o",
            str(baseline),
        ],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    known, _ = _run(
        python_bin, repository, workspace, {**faulty, "baseline": "baselines/faulty.yaml"}
    )
    assert not known.failed, known.log
    assert known.outputs["exit-code"] == "0"
    assert known.commands("notice") == []


@pytest.mark.slow
def test_a_usage_error_fails_even_when_failures_are_tolerated(
    python_bin: Path, repository: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    run, _ = _run(
        python_bin,
        repository,
        workspace,
        {"profile": "no-such-vendor", "fail-on-nonconformance": "false"},
    )
    assert run.failed
    assert run.outputs["exit-code"] == "2" and run.outputs["verdict"] == "error"
    assert "No summary.md was written" in run.summary
    assert "Traceback" not in run.step("run").stderr
    assert run.step("Gate").exit_code == 2

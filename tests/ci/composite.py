"""Runs a composite action's steps the way a GitHub runner does, outside GitHub.

Each ``run:`` step is interpolated (``${{ }}`` in ``run``, ``env`` and ``if``), written to a
script and run with ``bash --noprofile --norc -eo pipefail`` (the runner's command for
``shell: bash``) in the workspace, with fresh ``GITHUB_OUTPUT``, ``GITHUB_ENV``,
``GITHUB_PATH`` and ``GITHUB_STEP_SUMMARY`` files whose contents are read back afterwards as the
runner reads them. Steps that ``uses:`` another action are given to a handler the caller supplies
per action (by name, without the ``@ref``): the caller decides what stands in for it (e.g. a
fresh Python on ``PATH`` for setup-python) and an action without a handler is an error.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.ci.expressions import Status, condition, interpolate, to_string

SHELL = ("bash", "--noprofile", "--norc", "-eo", "pipefail")
"""What the runner runs a ``shell: bash`` script with."""

_HEREDOC = re.compile(r"^([^=<\s]+)<<(.+)$")


@dataclass
class UsesCall:
    """A ``uses:`` step as the runner would start it: the evaluated ``with`` inputs."""

    uses: str
    with_: dict[str, str]
    env: dict[str, str]
    add_path: list[str] = field(default_factory=list)
    """Directories the stand-in puts on ``PATH`` for later steps (as ``GITHUB_PATH`` does)."""


UsesHandler = Callable[[UsesCall], Mapping[str, str] | None]
"""Stands in for another action; may return its outputs."""


@dataclass
class StepRun:
    """One step of the action: whether it ran and what it did."""

    id: str
    name: str
    ran: bool
    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    """The whole action: its steps, outputs and job summary, and whether it failed."""

    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str
    failed: bool
    env: dict[str, str]

    @property
    def log(self) -> str:
        """Every step's standard output, in order (where the runner reads workflow commands)."""
        return "".join(step.stdout for step in self.steps)

    def commands(self, kind: str) -> list[str]:
        """The ``::kind ...`` workflow command lines the steps printed."""
        return [
            line
            for line in self.log.splitlines()
            if line.startswith(f"::{kind} ") or line.startswith(f"::{kind}::")
        ]

    def step(self, step_id: str) -> StepRun:
        """The step with this id (or name)."""
        return next(s for s in self.steps if step_id in (s.id, s.name))


def load_action(path: Path) -> dict[str, Any]:
    """``action.yml`` parsed (PyYAML reads the ``on``-less file as written)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("runs", {}).get("using") != "composite":
        raise ValueError(f"{path} is not a composite action")
    return data


def parse_file_commands(text: str) -> dict[str, str]:
    """``GITHUB_OUTPUT``/``GITHUB_ENV`` content: ``name=value`` lines and ``name<<DELIM`` blocks."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        heredoc = _HEREDOC.match(line)
        if heredoc:
            name, delimiter = heredoc.groups()
            body: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index == len(lines):
                raise ValueError(f"unterminated {name}<<{delimiter}")
            index += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        elif line.strip():
            raise ValueError(f"invalid file command line {line!r}")
    return values


def _inputs(action: dict[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    declared = action.get("inputs") or {}
    unknown = set(given) - set(declared)
    if unknown:
        raise ValueError(f"inputs the action does not declare: {sorted(unknown)}")
    values = {name: to_string(spec.get("default", "")) for name, spec in declared.items()}
    values.update(given)
    return values


def run_composite(
    action_path: Path,
    *,
    inputs: Mapping[str, str],
    workspace: Path,
    uses: Mapping[str, UsesHandler],
    env: Mapping[str, str] | None = None,
    base_path: str | None = None,
    only: Collection[str] | None = None,
    timeout: float = 600,
) -> ActionRun:
    """Run the composite action in ``action_path`` (its ``action.yml``) with ``inputs``.

    ``env`` is the caller step's ``env:``; ``base_path`` the runner's ``PATH`` before any step;
    ``only`` the ids or names of the steps to run (the others are left out as if absent).
    """
    action = load_action(action_path / "action.yml")
    temp = workspace / ".runner"
    temp.mkdir(parents=True, exist_ok=True)
    job_env: dict[str, str] = {
        "PATH": base_path if base_path is not None else os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(temp)),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(action_path),
        "RUNNER_TEMP": str(temp),
        "RUNNER_OS": "Linux",
        **(env or {}),
    }
    contexts: dict[str, Any] = {
        "inputs": _inputs(action, inputs),
        "steps": {},
        "github": {"action_path": str(action_path), "workspace": str(workspace)},
        "runner": {"temp": str(temp), "os": "Linux"},
        "env": dict(env or {}),
    }
    status = Status()
    runs: list[StepRun] = []
    summary: list[str] = []
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id") or f"__step{index}"
        name = step.get("name") or step.get("uses") or step_id
        if only is not None and not {step_id, name} & set(only):
            continue
        if not condition(step.get("if"), contexts, status):
            runs.append(StepRun(step_id, name, ran=False))
            contexts["steps"][step_id] = {"outputs": {}, "outcome": "skipped"}
            continue
        step_env = {
            k: interpolate(to_string(v), contexts) for k, v in (step.get("env") or {}).items()
        }
        if "uses" in step:
            run = _uses_step(step, step_id, name, contexts, uses, job_env, step_env)
        else:
            run = _bash_step(
                step, step_id, name, contexts, job_env, step_env, temp, workspace, timeout, summary
            )
        runs.append(run)
        status.failed = status.failed or run.exit_code != 0
        contexts["steps"][step_id] = {
            "outputs": run.outputs,
            "outcome": "failure" if run.exit_code else "success",
        }
    outputs = {
        name: interpolate(to_string(spec.get("value", "")), contexts)
        for name, spec in (action.get("outputs") or {}).items()
    }
    return ActionRun(runs, outputs, "".join(summary), status.failed, job_env)


def _uses_step(
    step: dict[str, Any],
    step_id: str,
    name: str,
    contexts: dict[str, Any],
    handlers: Mapping[str, UsesHandler],
    job_env: dict[str, str],
    step_env: dict[str, str],
) -> StepRun:
    target = str(step["uses"]).split("@", 1)[0]
    if target not in handlers:
        raise ValueError(f"no stand-in for the action {target}")
    with_ = {k: interpolate(to_string(v), contexts) for k, v in (step.get("with") or {}).items()}
    call = UsesCall(str(step["uses"]), with_, {**job_env, **step_env})
    outputs = handlers[target](call) or {}
    if call.add_path:
        job_env["PATH"] = os.pathsep.join([*reversed(call.add_path), job_env["PATH"]])
    return StepRun(step_id, name, ran=True, outputs=dict(outputs))


def _bash_step(
    step: dict[str, Any],
    step_id: str,
    name: str,
    contexts: dict[str, Any],
    job_env: dict[str, str],
    step_env: dict[str, str],
    temp: Path,
    workspace: Path,
    timeout: float,
    summary: list[str],
) -> StepRun:
    if step.get("shell") != "bash":
        raise ValueError(f"step {name!r}: a composite run step needs shell: bash")
    files = {
        var: temp / f"{step_id}.{var.lower()}"
        for var in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
    }
    for path in files.values():
        path.write_text("", encoding="utf-8")
    script = temp / f"{step_id}.sh"
    script.write_text(interpolate(str(step["run"]), contexts), encoding="utf-8")
    cwd = workspace / interpolate(str(step.get("working-directory", ".")), contexts)
    done = subprocess.run(
        [*SHELL, str(script)],
        cwd=cwd,
        env={**job_env, **step_env, **{k: str(v) for k, v in files.items()}},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    # What later steps see, as the runner applies the file commands after the step.
    job_env.update(parse_file_commands(files["GITHUB_ENV"].read_text(encoding="utf-8")))
    added = [p for p in files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines() if p]
    if added:
        job_env["PATH"] = os.pathsep.join([*reversed(added), job_env["PATH"]])
    summary.append(files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"))
    outputs = parse_file_commands(files["GITHUB_OUTPUT"].read_text(encoding="utf-8"))
    return StepRun(step_id, name, True, done.returncode, done.stdout, done.stderr, outputs)

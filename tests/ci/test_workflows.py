"""The repository's workflows (.github/workflows): pins, concurrency, the vendor matrix, the
reports they consume and the Docker image job; the small shell steps are run for real."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.provider.dialects import available
from tests.ci.composite import SHELL, load_action, parse_file_commands
from tests.ci.conftest import ROOT
from tests.ci.expressions import evaluate, interpolate
from tests.ci.pins import pins

WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
PROFILES = sorted((ROOT / "conformance/profiles").glob("*.toml"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _workflow(name: str) -> dict[str, Any]:
    return _load(ROOT / ".github/workflows" / name)


def _vendors() -> list[str]:
    """Every profile of a real provider (the bundled reference provider is none)."""
    vendors = []
    for path in PROFILES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if not data.get("bundled", False):
            vendors.append(path.stem)
    return vendors


def _steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, spec in workflow["jobs"].items() for step in spec["steps"]]


def test_there_are_workflows_and_vendors() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "conformance.yml"}
    assert len(_vendors()) >= 2


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version(path: Path) -> None:
    found = pins(path.read_text(encoding="utf-8"))
    used = [step["uses"] for _, step in _steps(_load(path)) if "uses" in step]
    assert len(found) == len(used)  # every uses: line was read
    assert [p.problem() for p in found if p.problem()] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_has_a_concurrency_group(path: Path) -> None:
    concurrency = _load(path).get("concurrency")
    assert isinstance(concurrency, dict) and str(concurrency.get("group", "")).strip()
    assert "cancel-in-progress" in concurrency


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_scripts_take_expressions_through_env(path: Path) -> None:
    # An expression interpolated into a script is a script injection (GitHub's hardening
    # guide): values reach scripts as environment variables.
    for job, step in _steps(_load(path)):
        assert "${{" not in step.get("run", ""), (job, step.get("name"))


def _matrix(profile: str) -> list[str]:
    vendor = _workflow("conformance.yml")["jobs"]["vendor"]
    expression = str(vendor["strategy"]["matrix"]["profile"]).strip()
    assert expression.startswith("${{") and expression.endswith("}}")
    value = evaluate(expression[3:-2], {"inputs": {"profile": profile}})
    assert isinstance(value, list)
    return [str(v) for v in value]


def test_the_vendor_matrix_covers_every_vendor_profile() -> None:
    vendors = _vendors()
    assert sorted(_matrix("")) == vendors  # the schedule: no inputs
    assert sorted(_matrix("all")) == vendors
    for vendor in vendors:
        assert _matrix(vendor) == [vendor]
    triggers: dict[Any, Any] = _workflow("conformance.yml")
    dispatch = triggers[True]["workflow_dispatch"]  # YAML 1.1 reads the key on: as True
    assert sorted(dispatch["inputs"]["profile"]["options"]) == sorted(["all", *vendors])


def test_the_offline_matrix_covers_every_vendor_dialect() -> None:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    assigned = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "COMPARE_VENDORS" for t in node.targets)
    )
    assert sorted(ast.literal_eval(assigned)) == sorted(available())
    assert set(available()) <= set(_vendors())
    runs = [step.get("run", "") for _, step in _steps(_workflow("ci.yml"))]
    assert any("nox -s compare" in run for run in runs)


def _run_script(script: str, env: dict[str, str], cwd: Path, tmp_path: Path) -> dict[str, Any]:
    files = {name: tmp_path / name.lower() for name in ("GITHUB_OUTPUT", "GITHUB_ENV")}
    for file in files.values():
        file.write_text("", encoding="utf-8")
    path = tmp_path / "step.sh"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run(
        [*SHELL, str(path)],
        cwd=cwd,
        env={
            # setup-python's python: this one.
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            **env,
            **{k: str(v) for k, v in files.items()},
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return {
        "stdout": done.stdout,
        **{k: parse_file_commands(v.read_text(encoding="utf-8")) for k, v in files.items()},
    }


def _vendor_step(name: str) -> dict[str, Any]:
    steps = _workflow("conformance.yml")["jobs"]["vendor"]["steps"]
    step: dict[str, Any] = next(s for s in steps if s.get("id") == name)
    return step


@pytest.mark.parametrize("vendor", _vendors())
def test_each_vendor_resolves_its_key_and_is_checked_only_when_configured(
    vendor: str, tmp_path: Path
) -> None:
    data = tomllib.loads((ROOT / f"conformance/profiles/{vendor}.toml").read_text("utf-8"))
    contexts: dict[str, Any] = {"matrix": {"profile": vendor}, "inputs": {}, "vars": {}}
    names_step = _vendor_step("names")
    env = {k: interpolate(str(v), contexts) for k, v in names_step["env"].items()}
    names = _run_script(names_step["run"], env, ROOT, tmp_path)["GITHUB_OUTPUT"]
    key_env = data.get("api_key_env", "VIDEO_API_KEY")
    assert names["key_env"] == key_env
    assert names["has_url"] == ("true" if data.get("base_url") else "false")

    ready = _vendor_step("ready")
    contexts["steps"] = {"names": {"outputs": names}}
    for key, url, go in [("", "", "false"), ("k-123", "", names["has_url"]),
                         ("k-123", "https://vendor.test/v1", "true")]:  # fmt: skip
        contexts["secrets"] = {key_env: key} if key else {}
        contexts["inputs"] = {"base_url": url}
        env = {k: interpolate(str(v), contexts) for k, v in ready["env"].items()}
        out = _run_script(ready["run"], env, ROOT, tmp_path)
        assert out["GITHUB_OUTPUT"]["go"] == go, (key, url, out)
        if go == "true":
            assert out["GITHUB_ENV"] == {key_env: key}  # the key goes to the named variable only
        else:
            assert out["stdout"].startswith("::notice::") and key_env not in out["GITHUB_ENV"]
    checked = next(s for s in _workflow("conformance.yml")["jobs"]["vendor"]["steps"]
                   if s.get("uses") == "./")  # fmt: skip
    assert checked["if"] == "steps.ready.outputs.go == 'true'"
    assert checked["with"]["baseline"] == "baselines/${{ matrix.profile }}.yaml"


def test_the_checker_runs_through_the_action_which_consumes_junit() -> None:
    # Every job that checks a provider goes through the action; the action turns junit.xml
    # into annotations, and the CI job that exercises it checks that junit.xml was written.
    action = load_action(ROOT / "action.yml")
    annotate = next(s for s in action["runs"]["steps"] if s.get("name") == "Annotate failures")
    assert 'video-conformance annotate "$DIR/junit.xml"' in annotate["run"]
    for path in WORKFLOWS:
        for job, step in _steps(_load(path)):
            assert "video-conformance run" not in step.get("run", ""), (path.name, job)
    action_job = _workflow("ci.yml")["jobs"]["action"]["steps"]
    assert any(s.get("uses") == "./" for s in action_job)
    assert any("junit.xml" in s.get("run", "") for s in action_job)
    vendor_steps = _workflow("conformance.yml")["jobs"]["vendor"]["steps"]
    assert any(s.get("uses") == "./" for s in vendor_steps)


def test_the_docker_job_builds_the_image_and_smoke_tests_run_and_serve() -> None:
    jobs = _workflow("ci.yml")["jobs"]
    docker = [
        name
        for name, job in jobs.items()
        if any("docker build" in s.get("run", "") for s in job["steps"])
    ]
    assert len(docker) == 1, "no job (or more than one) builds the image"
    runs = [s.get("run", "") for s in jobs[docker[0]]["steps"]]
    tag = re.search(r"docker build -t (\S+) \.", "\n".join(runs))
    assert tag, runs
    image = re.escape(tag.group(1))
    script = "\n".join(runs).replace("\\\n", " ")
    assert re.search(rf"docker run [^\n]*{image}\s+run\b", script), "no smoke test of run"
    serve = re.search(
        rf"docker run [^\n]*-p (\d+):(\d+) {image}\s+serve [^\n]*--port (\d+)", script
    )
    assert serve, "no smoke test of serve"
    assert serve.group(2) == serve.group(3)
    assert re.search(rf"curl [^\n]*127\.0\.0\.1:{serve.group(1)}/v1/videos", script)
    exposed = re.findall(r"^EXPOSE (\d+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert serve.group(3) in exposed

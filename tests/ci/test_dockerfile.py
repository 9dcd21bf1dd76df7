"""The Dockerfile: read statically, and its image built and run.

With a Docker engine (``docker info`` answers) the real image is built and its ``run`` and
``serve`` commands are run. Without one, the recipe is run on this machine instead
(``tests.ci.dockerfile.build``: every stage's ``COPY`` and ``RUN`` in a fresh Python), and the
resulting entry point is run with the image's default command and with ``serve``.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.ci.conftest import ROOT, fresh_venv, runner_path
from tests.ci.dockerfile import BuiltStage, Stage, build, env_pairs, parse

DOCKERFILE = ROOT / "Dockerfile"
PINNED = re.compile(r"[^@:\s]+(?:@sha256:[0-9a-f]{64}|:\d+\.\d+[\w.-]*(?:@sha256:[0-9a-f]{64})?)")
"""An image pinned by digest, or by a tag that starts with a version number (not ``latest``)."""
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL", re.IGNORECASE)
KEY = "image-test-key-0123456789"


def _stages() -> list[Stage]:
    return parse(DOCKERFILE.read_text(encoding="utf-8"))


def _final() -> Stage:
    return _stages()[-1]


def test_every_base_image_is_pinned() -> None:
    stages = _stages()
    names = {s.name for s in stages if s.name}
    bases = [s.image for s in stages if s.image not in names]
    assert bases, "no FROM"
    for image in bases:
        assert PINNED.fullmatch(image), f"{image} is not pinned by version or digest"


def test_the_image_runs_the_checker_as_an_unprivileged_user() -> None:
    final = _final()
    user = final.last("USER")
    assert user is not None, "the image runs as root"
    assert user.args.split(":")[0] not in ("root", "0")
    # Everything after USER runs unprivileged; the install must come before it.
    assert all(i.line < user.line for i in final.all("RUN"))
    entrypoint, command = final.last("ENTRYPOINT"), final.last("CMD")
    assert entrypoint is not None and entrypoint.exec_form() == ["video-conformance"]
    assert command is not None and command.exec_form() == ["run"]


def test_serve_has_its_port_exposed() -> None:
    final = _final()
    exposed = {p.split("/")[0] for e in final.all("EXPOSE") for p in e.args.split()}
    assert exposed or final.last("HEALTHCHECK") is not None
    # The port the documented `serve` command line listens on is the exposed one.
    documented = re.findall(r"serve --host 0\.0\.0\.0 --port (\d+)", DOCKERFILE.read_text())
    assert documented and set(documented) <= exposed


def test_no_secret_is_baked_into_the_image() -> None:
    for stage in _stages():
        for instruction in stage.all("ENV") + stage.all("ARG"):
            names = (
                env_pairs(instruction)
                if instruction.keyword == "ENV"
                else {instruction.args.split("=")[0]: ""}
            )
            assert not any(SECRET_NAME.search(n) for n in names), instruction
        for instruction in stage.all("COPY"):
            # Only named sources: copying the whole context could take a local .env along.
            *sources, _ = [w for w in instruction.args.split() if not w.startswith("--")]
            assert not {".", "./"} & set(sources), instruction
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "reports"} <= set(ignored)


@contextmanager
def _serving(command: list[str], cwd: Path) -> Iterator[str]:
    """``command`` (a ``serve`` command line) running; yields the base URL it prints."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving http://127.0.0.1:"), line
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=30)


def _assert_answers(base_url: str) -> None:
    """/v1/videos answers: 401 without the key, the list object with it."""
    assert httpx.get(f"{base_url}/videos", timeout=30).status_code == 401
    listed = httpx.get(f"{base_url}/videos", headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    assert listed.status_code == 200 and listed.json()["object"] == "list"


@functools.cache
def _engine() -> bool:
    """Whether a Docker engine answers here."""
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0


@pytest.fixture
def recipe(
    repository: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[Stage], list[BuiltStage]]:
    """The Dockerfile's recipe run on this machine (the build context is the repository)."""
    if _engine():
        pytest.skip("a Docker engine is present: test_the_real_image_builds_runs_and_serves")
    stages = _stages()
    # A fresh venv of this Python stands for the base image's: only the same minor version
    # says anything about the image.
    have = f"python:{sys.version_info.major}.{sys.version_info.minor}"
    for stage in stages:
        if stage.image.startswith("python:") and not stage.image.startswith(have):
            pytest.skip(f"the image's {stage.image} is not this machine's {have}")
    built = build(
        stages,
        context=repository,
        workdir=tmp_path_factory.mktemp("image"),
        new_python=fresh_venv,
        base_path=runner_path(),
    )
    return stages, built


def _assert_installed_with_its_user(stages: list[Stage], built: list[BuiltStage]) -> None:
    image = built[-1]
    assert (image.bin / "video-conformance").is_file()
    assert not image.path("/wheels").exists()  # the wheels do not stay in the image
    user = stages[-1].last("USER")
    assert user is not None
    # The user USER names (by name or uid) is one the recipe creates, else the image runs as
    # a user without a home; and it owns WORKDIR, where the reports are written.
    names: set[str] = set()
    for record in image.recorded:
        if record[0] == "useradd":
            account = {record[-1]}
            if "--uid" in record:
                account.add(record[record.index("--uid") + 1])
            if user.args in account:
                names = account
    assert names, image.recorded
    workdir = str(image.path(image.workdir))
    owned = [r for r in image.recorded if r[0] == "chown" and r[-1] == workdir]
    assert any(r[-2].split(":")[0] in names for r in owned), image.recorded
    assert image.path(image.workdir).is_dir()


@pytest.mark.slow
def test_the_recipe_installs_the_checker_whose_entry_point_runs_and_serves(
    recipe: tuple[list[Stage], list[BuiltStage]],
) -> None:
    # One test, not one per aspect: the recipe takes minutes, and test workers would each
    # build it again.
    stages, built = recipe
    _assert_installed_with_its_user(stages, built)
    image, final = built[-1], stages[-1]
    entrypoint, command = final.last("ENTRYPOINT"), final.last("CMD")
    assert entrypoint is not None and command is not None
    argv = [*(entrypoint.exec_form() or []), *(command.exec_form() or [])]
    program = [str(image.bin / argv[0]), *argv[1:]]
    cwd = image.path(image.workdir)
    # `docker run IMAGE`: the default command, a whole run against the bundled provider.
    done = subprocess.run(program, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (cwd / "reports/reference/report.html").is_file()
    assert "verdict: conformant" in done.stdout
    # `docker run IMAGE serve ...`, on loopback here.
    serve = [program[0], "serve", "--host", "127.0.0.1", "--port", "0", "--api-key", KEY]
    with _serving(serve, cwd) as base_url:
        _assert_answers(base_url)


@pytest.mark.slow
def test_the_real_image_builds_runs_and_serves(repository: Path, tmp_path: Path) -> None:
    if not _engine():
        pytest.skip(
            "no Docker engine here (docker info fails): the image's recipe and command line "
            "were run without one by the recipe test of this module"
        )
    tag = f"video-conformance:test-{int(time.time())}"
    subprocess.run(["docker", "build", "-t", tag, str(repository)], check=True, timeout=1800)
    try:
        reports = tmp_path / "reports"
        reports.mkdir(mode=0o777)
        reports.chmod(0o777)  # the image's user is not this machine's
        done = subprocess.run(
            ["docker", "run", "--rm", "-v", f"{reports}:/work/reports", tag],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert (reports / "reference/report.html").is_file()
        name = f"vc-serve-{int(time.time())}"
        subprocess.run(
            [
                "docker",
                "run",
                "-d",
                "--name",
                name,
                "-p",
                "127.0.0.1::8000",
                tag,
                "serve",
                "--host",
                "0.0.0.0",
                "--port",
                "8000",
                "--api-key",
                KEY,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        try:
            port = (
                subprocess.run(
                    ["docker", "port", name, "8000"], capture_output=True, text=True, check=True
                )
                .stdout.split(":")[-1]
                .strip()
            )
            base_url = f"http://127.0.0.1:{port}/v1"
            for _ in range(60):
                try:
                    httpx.get(f"{base_url}/videos", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(1)
            _assert_answers(base_url)
        finally:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=120)
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=300)

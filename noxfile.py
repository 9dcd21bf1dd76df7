"""Developer sessions: tests, lint, typecheck (and compare, bench as the project grows)."""

from __future__ import annotations

import contextlib
import os
import secrets
import selectors
import shutil
import subprocess
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The project's own tests, against a non-editable install (so the shipped spec is used)."""
    session.install(".[test]")
    # -n 2: the machine has two cores; the integration tests mostly wait on renders.
    session.run("pytest", "-n", "2", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", "conformance", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "conformance", "tests", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy over the package."""
    session.install(".", "mypy>=1.13", "types-pyyaml>=6.0")
    session.run("mypy")


COMPARE_VENDORS = ("sciforium", "apiyi", "4all", "mintlify-sandbox", "task-gateway")
"""Vendors with both a profile and a dialect: each is served locally and checked as documented."""


@nox.session(python=PYTHON)
def compare(session: nox.Session) -> None:
    """The vendor matrix, offline: every dialect on loopback plus the plain reference provider.

    Each vendor's dialect is served by ``video-conformance serve --dialect`` and checked with the
    vendor's own profile (``--base-url`` pointed at loopback); the reference run uses the bundled
    provider. Reports go to ``reports/<target>/``, the matrix to ``reports/matrix.{html,md}``.
    Extra arguments go to every ``run`` (default ``--no-fuzz``, which keeps the session fast),
    e.g. ``nox -s compare -- --fuzz-budget-seconds 10``.
    """
    if session.venv_backend != "none":  # --no-venv: use the package already installed
        session.install(".")
    run_args = list(session.posargs) or ["--no-fuzz"]
    # Exit 1 means "nonconformant": for a vendor that is the finding, not a broken session.
    findings = [0, 1]
    reports = ["reports/reference/report.json"]
    session.run(
        "video-conformance", "run", "--profile", "reference",
        "--report-dir", "reports/reference", "--quiet", *run_args,
        success_codes=findings,
    )  # fmt: skip
    for vendor in COMPARE_VENDORS:
        profile = Path("conformance/profiles") / f"{vendor}.toml"
        key_env = tomllib.loads(profile.read_text(encoding="utf-8"))["api_key_env"]
        key = "vc-local-" + secrets.token_urlsafe(12)
        with _served_dialect(session, vendor, key) as base_url:
            session.run(
                "video-conformance", "run", "--profile", vendor, "--base-url", base_url,
                "--report-dir", f"reports/{vendor}", "--quiet", *run_args,
                env={key_env: key}, success_codes=findings,
            )  # fmt: skip
        reports.append(f"reports/{vendor}/report.json")
    session.run("video-conformance", "compare", *reports, "--output-dir", "reports")


@contextlib.contextmanager
def _served_dialect(session: nox.Session, dialect: str, api_key: str) -> Iterator[str]:
    """``video-conformance serve --dialect`` on a free loopback port; yields its base URL."""
    search = os.pathsep.join(session.bin_paths) if session.bin_paths else None
    executable = shutil.which("video-conformance", path=search) or "video-conformance"
    command = [
        executable, "serve", "--dialect", dialect,
        "--port", "0", "--api-key", api_key, "--render-seconds", "0.5", "--ttl", "3",
        "--max-concurrent", "8", "--queue-limit", "64",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield _announced_url(process, dialect)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _announced_url(process: subprocess.Popen[str], dialect: str, timeout_s: float = 30.0) -> str:
    """The URL of the provider's ``serving <base URL>`` line; an error if none comes in time."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if not selector.select(timeout=0.5):
            continue
        line = process.stdout.readline()
        if line.startswith("serving "):
            # Keep reading what the server prints, so a full pipe never blocks it.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return line.split(None, 1)[1].strip()
    raise RuntimeError(f"the {dialect} dialect did not start (no 'serving <url>' line)")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks of issue 6 (wall time, polling, billable jobs, provider throughput).

    Writes ``benchmarks/RESULTS.md``; see ``benchmarks/README.md``. Not a default session and
    not part of CI: it takes minutes and its numbers depend on the machine. Extra arguments go
    to ``python -m benchmarks``, e.g. ``nox -s bench -- --quick`` for a smoke run.
    """
    if session.venv_backend != "none":  # --no-venv: use what is already installed
        session.install(".")
    session.run("python", "-m", "benchmarks", *session.posargs)

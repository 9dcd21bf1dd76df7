"""Developer sessions: tests (with lint and typecheck), lint, typecheck, compare, bench.

``nox -s tests`` is the README's test command and what CI runs (``.ci/run``): ruff, mypy, then
pytest. ``nox -s tests -- -m "not slow"`` is the fast lane (no whole-checker runs).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
# Pinned: a new ruff or mypy release may add rules or errors; bump here and in pyproject's
# dev extra (and .pre-commit-config.yaml uses these same installs) in one commit.
RUFF = "ruff==0.17.6"
MYPY = ("mypy==2.4.1", "types-pyyaml==6.0.12.20261122")
LINTED = ("conformance", "tests", "benchmarks", "noxfile.py")


def _lint(session: nox.Session) -> None:
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Lint, typecheck and the project's tests: what CI runs (.ci/run).

    The tests run against a non-editable install, so the shipped spec is used. Lint and
    typecheck come first: they take seconds, the tests minutes.
    """
    session.install(".[test]", RUFF, *MYPY)
    _lint(session)
    session.run("mypy")
    if shutil.which("npm"):
        # the openai-node oracle's tests drive the pinned npm package openai (else skipped)
        node_dir = str(Path(session.virtualenv.location) / "node")
        session.run("video-conformance", "setup-node", "--dir", node_dir)
        session.env["VIDEO_CONFORMANCE_NODE_DIR"] = node_dir
    # -n 4 on two cores: the whole-checker tests mostly wait (on renders, deadlines, a
    # provider's Retry-After), so four workers keep both cores busy (10.5 min at -n 2, 7.5 min
    # at -n 4, measured on the 2-core machine).
    session.run("pytest", "-n", "4", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install(RUFF)
    _lint(session)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy over the package, the benchmarks and the tests."""
    session.install(".[test]", *MYPY)
    session.run("mypy")


COMPARE_VENDORS = ("sciforium", "apiyi", "4all", "mintlify-sandbox", "task-gateway")
"""Vendors with a profile and a dialect: each is simulated locally and checked as documented."""


@nox.session(python=PYTHON)
def compare(session: nox.Session) -> None:
    """The vendor matrix, offline: the reference provider and every vendor dialect.

    Each vendor's profile is checked against the bundled provider speaking that vendor's
    documented dialect (``run --provider-dialect``); reports go to ``reports/<target>/``, the
    matrix to ``reports/matrix.{html,md}``. Extra arguments go to every ``run`` (default
    ``--no-fuzz``, which keeps the session fast), e.g.
    ``nox -s compare -- --fuzz-budget-seconds 10``.
    """
    if session.venv_backend != "none":  # --no-venv: use the package already installed
        session.install(".")
    run_args = list(session.posargs) or ["--no-fuzz"]
    # Exit 1 means "nonconformant": for a vendor that is the finding, not a broken session.
    findings = [0, 1]
    reports = []
    for vendor in ("reference", *COMPARE_VENDORS):
        dialect = [] if vendor == "reference" else ["--provider-dialect", vendor]
        session.run(
            "video-conformance", "run", "--profile", vendor, *dialect,
            # Renders long enough that polls see every state a dialect names (e.g. queued).
            "--render-seconds", "1", "--report-dir", f"reports/{vendor}", "--quiet", *run_args,
            success_codes=findings,
        )  # fmt: skip
        reports.append(f"reports/{vendor}/report.json")
    session.run("video-conformance", "compare", *reports, "--output-dir", "reports")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (wall time, polling, billable jobs, provider throughput).

    Writes ``benchmarks/RESULTS.md``; see ``benchmarks/README.md``. Not a default session and
    not part of CI: it takes minutes and its numbers depend on the machine. Extra arguments go
    to ``python -m benchmarks``, e.g. ``nox -s bench -- --quick`` for a smoke run.
    """
    if session.venv_backend != "none":  # --no-venv: use what is already installed
        session.install(".")
    session.run("python", "-m", "benchmarks", *session.posargs)

"""Developer sessions: tests, lint, typecheck (and compare, bench as the project grows)."""

from __future__ import annotations

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

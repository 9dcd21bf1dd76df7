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

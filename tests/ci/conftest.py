"""Fixtures of the CI tests: a copy of the repository and a fresh Python without the checker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
"""The repository (the action's directory, the Docker build context)."""

_NOT_SOURCE = (
    ".git",
    ".venv",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "__pycache__",
    "reports",
    "build",
    "dist",
)


def copy_repository(dest: Path) -> Path:
    """The repository's files without virtualenvs, caches and reports, at ``dest``."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(*_NOT_SOURCE, "*.egg-info"))
    return dest


def fresh_venv(path: Path) -> Path:
    """A new virtualenv of this interpreter's Python with nothing installed; its ``bin``."""
    # The base interpreter, not this venv's: what a fresh machine or image has.
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(path)], check=True, timeout=300)
    return path / "bin"


def runner_path() -> str:
    """This machine's ``PATH`` without any directory that already holds the checker, so a step
    that finds ``video-conformance`` found the one it installed."""
    keep = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not (Path(entry) / "video-conformance").exists()
    ]
    return os.pathsep.join(keep)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository (steps that build or install from it never touch the tree)."""
    return copy_repository(tmp_path_factory.mktemp("repo") / "video-api-conformance")

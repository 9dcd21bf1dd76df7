"""Fixtures of the report tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import cli
from conformance.report.model import Report
from conformance.report.writers import write_all

MY_COMMANDS = ("compare", "diff", "baseline")


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``video-conformance`` through its real entry point, limited to the report commands.

    The other subcommands belong to other modules; limiting the table keeps these tests about
    the report commands whatever state the rest of the CLI is in.
    """
    monkeypatch.setattr(
        cli, "COMMANDS", {k: v for k, v in cli.COMMANDS.items() if k in MY_COMMANDS}
    )
    return lambda *argv: cli.main([str(a) for a in argv])


@pytest.fixture
def written(tmp_path: Path) -> Callable[[Report, str], Path]:
    """Write a report into ``tmp_path/<name>/`` and return its report.json path."""

    def write(report: Report, name: str) -> Path:
        return write_all(report, tmp_path / name)["report.json"]

    return write

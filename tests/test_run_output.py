"""What ``video-conformance run`` prints and writes, end to end against the bundled provider."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "conformance", "run", "--only", "auth", "--no-fuzz"),
            *("--report-dir", str(tmp_path / "out"), *args),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )


@pytest.mark.slow
def test_a_piped_run_logs_lines_and_writes_a_linked_pytest_page(tmp_path: Path) -> None:
    done = _run(tmp_path, "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "\x1b[" not in out  # not a terminal: plain lines, no redrawn panel
    assert "job main: creating" in out and "job main: completed after" in out
    assert "passed  VID-AUTH-001" in out
    assert "  GET http://127.0.0.1:" in out  # -v: each exchange
    assert "verdict: " in out
    report = tmp_path / "out" / "report.html"
    page = tmp_path / "out" / "pytest.html"
    assert page.is_file() and 'href="pytest.html"' in report.read_text(encoding="utf-8")
    assert "test_auth" in page.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_quiet_run_prints_only_the_outcome(tmp_path: Path) -> None:
    done = _run(tmp_path, "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("verdict: ") and len(lines) == 3

"""The whole checker against the hostile server: a run ends with a report, and the key is in
none of its files nor in what it printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .server import HostileServer

KEY = "hostile-run-key-0123456789abcdef"  # no sk- prefix: only registration hides it


@pytest.mark.slow
@pytest.mark.parametrize("behaviour", ["echo-key", "deep-json", "throttle-once"])
def test_a_run_ends_with_a_report_and_no_key(
    hostile: HostileServer, tmp_path: Path, behaviour: str
) -> None:
    # auth "both": the raw key travels in x-api-key too, so an echo of it is hidden only by
    # the key's registration, not by a pattern for bearer tokens.
    profile = tmp_path / "hostile.toml"
    profile.write_text(
        f'name = "hostile"\nbase_url = "{hostile.url(behaviour)}"\nauth = "both"\n',
        encoding="utf-8",
    )
    reports = tmp_path / "report"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--profile",
            str(profile),
            "--no-fuzz",
            "--job-timeout",
            "10",
            "--report-dir",
            str(reports),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "VIDEO_API_KEY": KEY},
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-1000:]
    assert (reports / "report.json").is_file()
    assert KEY not in result.stdout + result.stderr
    for path in reports.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8", errors="replace"), path.name

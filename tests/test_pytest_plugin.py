"""The pytest11 entry point: the suite runs inside a user's own pytest session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

USER_CHECK = """
from conformance.pytest_plugin import extra_check


@extra_check("ACME-001", title="Create answers within 30 s", level="SHOULD", feature="acme")
def test_create_is_fast(jobs):
    job = jobs.created("main")
    assert job.create.exchange.elapsed_ms < 30000, "create took longer than 30 s"


@extra_check("ACME-002", title="A check that fails", level="MAY", feature="acme")
def test_fails():
    assert False, "acme says no"


def test_unrelated():
    assert 1 + 1 == 2
"""


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_acme.py").write_text(USER_CHECK, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_options_the_plugin_does_nothing(tmp_path: Path) -> None:
    done = _pytest(tmp_path, "-q", "-k", "unrelated")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout and "video-conformance" not in done.stdout
    assert not (tmp_path / "reports").exists()


@pytest.mark.slow  # two pytest subprocesses
def test_options_are_listed_and_a_bad_profile_is_one_line(tmp_path: Path) -> None:
    assert "--vc-profile" in _pytest(tmp_path, "--help").stdout
    done = _pytest(tmp_path, "--vc-profile", "no-such-profile")
    assert done.returncode == 4
    assert "video-conformance: profile 'no-such-profile' not found" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # a pytest subprocess
def test_xdist_is_refused_so_jobs_are_not_billed_per_worker(tmp_path: Path) -> None:
    (tmp_path / "test_acme.py").write_text(USER_CHECK, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--vc-profile", "reference"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 4 and "runs in one process" in done.stderr


@pytest.mark.slow
def test_the_suite_and_a_user_check_run_in_the_users_session(tmp_path: Path) -> None:
    done = _pytest(
        tmp_path, "--vc-profile", "reference", "--vc-only", "auth", "--vc-report-dir", "out", "-q"
    )
    # ACME-002 fails on purpose: pytest says so, and so does the report
    assert done.returncode == 1, done.stdout + done.stderr
    assert "video-conformance: " in done.stdout and "out/report.html" in done.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    outcomes = {c["id"]: c["outcome"] for c in report["checks"]}
    assert outcomes["ACME-001"] == "passed"
    assert outcomes["ACME-002"] == "failed"
    assert {outcomes[i] for i in ("VID-AUTH-001", "VID-AUTH-002", "VID-AUTH-003")} == {"passed"}
    assert outcomes["VID-CREATE-001"] == "skipped"  # deselected by --vc-only
    assert all(outcomes[i] == "skipped" for i in outcomes if i.startswith("PROP-"))
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "ACME-002" in html and "acme says no" in html

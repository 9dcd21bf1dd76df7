"""Run the checker's command line against a base URL and read back its verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_TIMEOUT_S = 300.0


@dataclass
class Verdict:
    """What one ``video-conformance run`` said: exit code, report.json and console output."""

    exit_code: int
    report: dict[str, Any]
    output: str

    @property
    def verdict(self) -> str:
        return str(self.report.get("verdict"))

    def check(self, check_id: str) -> dict[str, Any]:
        """The report entry of ``check_id`` (AssertionError naming it when absent)."""
        for entry in self.report.get("checks", []):
            if entry.get("id") == check_id:
                return dict(entry)
        raise AssertionError(f"{check_id} is not in the report")

    def outcome(self, check_id: str) -> str:
        return str(self.check(check_id)["outcome"])

    def failed(self) -> dict[str, str]:
        """Every failed or errored check: id → message."""
        return {
            str(c["id"]): str(c.get("message", ""))
            for c in self.report.get("checks", [])
            if c.get("outcome") in ("failed", "error")
        }

    def describe(self) -> str:
        """A short summary for assertion messages: verdict, exit code, the failed checks."""
        lines = [f"exit {self.exit_code}, verdict {self.verdict}"]
        lines += [f"  {cid}: {msg[:300]}" for cid, msg in sorted(self.failed().items())]
        if not self.report:
            lines.append(self.output[-2000:])
        return "\n".join(lines)


def declaring_profile(
    path: Path, base_url: str, features: tuple[str, ...], failing_prompt: str = ""
) -> Path:
    """Write a profile for ``base_url`` declaring ``features`` (and a prompt that makes a job
    fail, when the provider has one); returns its path."""
    listed = ", ".join(f'"{f}"' for f in features)
    path.write_text(
        f'name = "foreign"\nbase_url = "{base_url}"\napi_key_env = "VIDEO_API_KEY"\n'
        f"features = [{listed}]\nfailing_prompt = {json.dumps(failing_prompt)}\n",
        encoding="utf-8",
    )
    return path


def run_checker(
    base_url: str, api_key: str, report_dir: Path, *, profile: Path | None = None
) -> Verdict:
    """``video-conformance run --base-url URL --no-fuzz`` with the key in ``VIDEO_API_KEY``.

    With ``profile`` the target comes from that profile instead of a bare base URL.
    """
    env = dict(os.environ, VIDEO_API_KEY=api_key)
    target = ["--profile", str(profile)] if profile else ["--base-url", base_url]
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        *target,
        "--no-fuzz",
        "--quiet",
        "--report-dir",
        str(report_dir),
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    report_path = report_dir / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    return Verdict(done.returncode, report, done.stdout + done.stderr)

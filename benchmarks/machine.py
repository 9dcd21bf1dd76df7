"""The machine and the versions a benchmark ran on (the header of RESULTS.md)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "video-api-conformance",
    "schemathesis",
    "hypothesis",
    "pytest",
    "httpx",
    "uvicorn",
    "starlette",
    "av",
)


def _proc_field(path: str, key: str) -> str | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def _git_commit(repo: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    dirty = ""
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if status.returncode == 0 and status.stdout.strip():
        dirty = " (with uncommitted changes)"
    return (out.stdout.strip() or "unknown") + dirty


def _source_version(name: str) -> str:
    # A development checkout imported through a .pth file has no distribution metadata.
    if name == "video-api-conformance":
        from conformance import __version__

        return f"{name} {__version__} (source tree)"
    return f"{name} (not installed)"


def describe(repo: Path) -> list[tuple[str, str]]:
    """(label, value) pairs: date, CPU, cores, memory, load, OS, Python, packages, commit."""
    memory = _proc_field("/proc/meminfo", "MemTotal") or "unknown"
    try:
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "unknown"
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(_source_version(name))
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"),
        ("cores (os.cpu_count)", str(os.cpu_count())),
        ("memory", memory),
        ("load average at start (1, 5, 15 min)", load),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("packages", "; ".join(versions)),
        ("commit", _git_commit(repo)),
    ]

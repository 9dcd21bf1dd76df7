"""Benchmark 6: the first report after a fresh install.

A new virtual environment (``python -m venv``), ``pip install <this checkout>`` into it (its
dependencies from whatever index pip is configured with), then ``video-conformance run`` with
no arguments in an empty directory: the bundled provider, the default property phase, the
report written, as a first-time user runs it. Nothing has run from that environment before, so
the first run pays every first-time cost (byte-code that pip did not compile, files the page
cache does not hold yet). The same command runs a second time right after, for scale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import markdown as md
from benchmarks.command import command_env
from benchmarks.common import Section, log
from benchmarks.stats import Target, ratio

REPO = Path(__file__).resolve().parent.parent
FIRST_REPORT_TARGET = Target("first report from a fresh install, `video-conformance run` (s)", 30)
INSTALL_CAP_S = 900.0
RUN_CAP_S = 300.0


def _timed(command: list[str], cwd: Path, env: dict[str, str], cap_s: float) -> tuple[int, float]:
    """(exit code, seconds) of ``command``; output discarded (it names the temp dirs)."""
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        timeout=cap_s, check=False,
    )  # fmt: skip
    return done.returncode, time.monotonic() - started


def run() -> Section:
    """Benchmark 6."""
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="vc-bench-fresh-") as scratch:
        root = Path(scratch)
        venv = root / "venv"
        tmp = root / "tmp"
        tmp.mkdir()
        env = command_env(None, tmp)
        env.pop("VIRTUAL_ENV", None)
        log("fresh install: python -m venv, pip install")
        code, took = _timed([sys.executable, "-m", "venv", str(venv)], root, env, 120)
        rows.append(["`python -m venv`", md.fmt_seconds(took, 1), str(code)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(REPO)]
        code, took = _timed(pip, root, env, INSTALL_CAP_S)
        rows.append(["`pip install <checkout>` (dependencies included)", md.fmt_seconds(took, 1),
                     str(code)])  # fmt: skip
        if code != 0:
            raise RuntimeError(f"pip install into a fresh venv failed (exit {code})")
        command = [str(venv / "bin" / "video-conformance"), "run"]
        times: list[float] = []
        for which in ("first", "second"):
            work = root / f"{which}-run"
            work.mkdir()
            log(f"fresh install: {which} `video-conformance run`")
            code, took = _timed(command, work, env, RUN_CAP_S)
            report = work / "reports" / "reference" / "report.json"
            times.append(took)
            rows.append(
                [
                    f"{which} `video-conformance run` (no arguments)",
                    md.fmt_seconds(took, 1),
                    f"{code}, report {'written' if report.is_file() else 'missing'}",
                ]
            )
    first = times[0] if times else None
    body = "\n\n".join(
        [
            "A new venv (`python -m venv`, this interpreter), `pip install` of this checkout "
            "into it, then `video-conformance run` with no arguments in an empty directory "
            "(the bundled provider, the default property phase, the report written), twice. "
            f"Load average before: {_load()}.",
            md.table(["step", "wall", "exit"], rows),
        ]
    )
    return Section(
        "6. First report from a fresh install",
        body,
        targets=[
            (
                FIRST_REPORT_TARGET.label,
                FIRST_REPORT_TARGET.describe(),
                md.fmt_number(first, 1),
                FIRST_REPORT_TARGET.verdict(first),
            ),
            (
                "first run / second run from the same fresh install",
                "report",
                md.fmt_ratio(ratio(first, times[1] if len(times) > 1 else None)),
                "—",
            ),
        ],
    )


def _load() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"

"""Benchmark 5: the checker's peak memory whatever the provider sends.

A whole ``video-conformance run`` (no property phase) is pointed at the hostile loopback server
of the project's tests (``tests/hostile/server.py``), once per behaviour that sends too much:
an endless ``/content``, a 200 MB JSON body, a gzip bomb (10 GB inflated), JSON nested 100 000
deep, 10 000 header lines; and once at its well-behaved mode for comparison. Each run is a fresh
interpreter that reports its own ``ru_maxrss`` (peak resident memory of the checker process,
every thread included) when it ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import markdown as md
from benchmarks.common import Section, log

LIMIT_MB = 500
BEHAVIOURS = ("ok", "endless", "huge-json", "gzip-bomb", "deep-json", "many-headers")
KEY = "bench-memory-key-0123456789"
_RUN = (
    "import resource, sys\n"
    "from conformance.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(f'peak-rss-kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def measure(base_url: str, work: Path) -> tuple[int, float, int]:
    """(exit code, seconds, peak RSS in bytes) of one run against ``base_url``."""
    profile = work / "hostile.toml"
    profile.write_text(
        f'name = "hostile"\nbase_url = "{base_url}"\napi_key_env = "BENCH_KEY"\n'
        "[timeouts]\njob = 8\nrequest = 4\nexpiry_wait = 1\n"
    )
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, "-c", _RUN, "run", "--profile", str(profile), "--no-fuzz", "--quiet",
         "--deadline", "90", "--report-dir", str(work / "reports")],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "BENCH_KEY": KEY}, cwd=work,
    )  # fmt: skip
    took = time.monotonic() - started
    peak = int(process.stderr.rsplit("peak-rss-kib=", 1)[1].split()[0]) * 1024
    return process.returncode, took, peak


def run() -> Section:
    """Benchmark 5."""
    from tests.hostile.server import running_hostile

    rows = []
    worst = 0
    with running_hostile() as server:
        for behaviour in BEHAVIOURS:
            log(f"memory: the checker against {behaviour!r}")
            with tempfile.TemporaryDirectory(prefix="vc-bench-mem-") as work:
                code, took, peak = measure(server.url(behaviour), Path(work))
            worst = max(worst, peak)
            rows.append([behaviour, str(code), md.fmt_seconds(took, 1), md.fmt_bytes(peak)])
    verdict = "met" if worst < LIMIT_MB * 1024 * 1024 else "missed"
    body = "\n\n".join(
        [
            "A whole run (no property phase, job timeout 8 s, request deadline 4 s) against each "
            "behaviour of the hostile test server that sends too much; peak RSS is the checker "
            "process's own `ru_maxrss`. `ok` is the same server answering sanely, for scale.",
            md.table(["provider behaviour", "exit", "wall", "checker peak RSS"], rows),
        ]
    )
    target = (
        "checker peak RSS, whatever the provider sends",
        f"< {LIMIT_MB} MB",
        md.fmt_bytes(worst),
        verdict,
    )
    return Section("5. Checker memory against hostile providers", body, [target])

"""The whole checker against a hostile provider: always a verdict, a report, bounds and no leak.

Each behaviour of ``server.BEHAVIOURS`` is met by a real ``video-conformance run`` in a child
process (its own peak memory is measured there), pointed at the hostile base URL with short
timeouts. Whatever the provider does, the run ends in time with a whole report, names the
provider (exit 1) or, where nothing could be judged at all, says so (exit 3), prints no
traceback, and the key reaches neither an artifact nor the other origin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import BEHAVIOURS, HostileServer, running_hostile

pytestmark = pytest.mark.slow

# No sk- prefix, and sent as x-api-key too (auth "both"): an echo of the raw key is hidden
# only by the key's registration, not by a pattern for bearer tokens.
KEY = "hostile-run-key-0123456789abcdef"
RSS_LIMIT_MB = 500
RUN_DEADLINE_S = 60
WALL_LIMIT_S = RUN_DEADLINE_S + 60  # the deadline, clean-up and report writing
ROOT = Path(__file__).resolve().parents[2]

JUDGED = 1
NO_CLAIM = 3
EXPECTED_EXIT: dict[str, int] = dict.fromkeys(BEHAVIOURS, JUDGED)
# Flow control forever: nothing was ever answered, so nothing can be judged (the checks end
# "throttled"); that is no finding against the provider, and no pass either.
EXPECTED_EXIT.update({"throttle-after": NO_CLAIM, "throttle-bare": NO_CLAIM})

_RUN = (
    "import resource, sys\n"
    "from conformance.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
    "print(f'peak-rss-mb={peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[HostileServer, HostileServer]]:
    with running_hostile() as server, running_hostile() as other:
        server.redirect_target = other.url("ok") + "/videos/video_hostile1/content"
        yield server, other


def _profile(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "hostile.toml"
    path.write_text(
        f'name = "hostile"\nbase_url = "{base_url}"\napi_key_env = "HOSTILE_KEY"\n'
        'auth = "both"\n'
        'features = ["list", "delete"]\n'
        "[timeouts]\njob = 8\nrequest = 4\nexpiry_wait = 1\n"
        "[budget]\nmax_jobs = 8\nmax_video_seconds = 64\n"
    )
    return path


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
def test_hostile_provider_gets_a_bounded_run_and_a_whole_report(
    behaviour: str, servers: tuple[HostileServer, HostileServer], tmp_path: Path
) -> None:
    server, other = servers
    reports = tmp_path / "reports"
    args = [
        "run",
        "--profile",
        str(_profile(tmp_path, server.url(behaviour))),
        "--no-fuzz",
        "--deadline",
        str(RUN_DEADLINE_S),
        "--report-dir",
        str(reports),
        "--quiet",
    ]
    before = len(other.received)
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, "-c", _RUN, *args],
        capture_output=True,
        text=True,
        timeout=WALL_LIMIT_S + 60,
        env={**os.environ, "HOSTILE_KEY": KEY},
        cwd=tmp_path,
    )
    elapsed = time.monotonic() - started
    output = process.stdout + process.stderr
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]
    assert process.returncode == EXPECTED_EXIT[behaviour], output[-2000:]
    assert elapsed < WALL_LIMIT_S, f"{behaviour}: {elapsed:.0f} s"
    peak = int(output.rsplit("peak-rss-mb=", 1)[1].split()[0])
    assert peak < RSS_LIMIT_MB, f"{behaviour}: peak RSS {peak} MB"

    report = json.loads((reports / "report.json").read_text())
    assert report["checks"], "the report lists every check"
    for name in ("report.json", "report.html", "junit.xml", "summary.md"):
        text = (reports / name).read_text(errors="replace")
        assert KEY not in text, f"the key is in {name}"
    assert KEY not in output
    if report["verdict"] != "error":
        assert report["complete"] is True
    # Whatever reached the other origin (a redirect target), no credential went with it.
    for request in other.received[before:]:
        assert KEY not in json.dumps(request.headers), request.headers
        assert "authorization" not in request.headers

"""Peak memory of the checker's transport stays bounded whatever the provider sends.

Each case runs in a fresh interpreter (``ru_maxrss`` is a process-wide high-water mark) with
the hostile server in the same process, so the figure covers both.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 500

_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    from conformance.client import Client, TransportFailure
    from conformance.config import Target
    from conformance.sdk import SdkTranscript, quiet, sdk_client
    from tests.hostile.server import running_hostile

    behaviour, route, via = sys.argv[1], sys.argv[2], sys.argv[3]
    with running_hostile() as server:
        target = Target(name="m", base_url=server.url(behaviour), api_key="sk-mem-0123456789",
                        request_timeout_s=30)
        if via == "client-threads":
            # Four downloads at once through one client, as the job pool makes them.
            import threading
            outcomes = []
            with Client(target) as client:
                def download():
                    try:
                        client.content("video_hostile1")
                    except TransportFailure as exc:
                        outcomes.append(type(exc).__name__)
                threads = [threading.Thread(target=download) for _ in range(int(sys.argv[4]))]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            outcome = ",".join(sorted(set(outcomes)))
        for _ in range(int(sys.argv[4]) if via != "client-threads" else 0):
            if via == "client":
                with Client(target) as client:
                    try:
                        if route == "content":
                            client.content("video_hostile1")
                        else:
                            client.retrieve("video_hostile1")
                    except TransportFailure as exc:
                        outcome = type(exc).__name__
            else:
                client = sdk_client(target, SdkTranscript(), strict=False).with_options(
                    max_retries=0)
                try:
                    with quiet():
                        if route == "content":
                            client.videos.download_content("video_hostile1")
                        else:
                            client.videos.retrieve("video_hostile1")
                except Exception as exc:
                    outcome = type(exc).__name__
    print(outcome, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("behaviour", "route", "via", "repeat", "expected"),
    [
        ("endless", "content", "client", 1, "ProviderFault"),
        ("endless", "content", "client-threads", 4, "ProviderFault"),
        ("huge-json", "retrieve", "client", 3, "ProviderFault"),
        ("gzip-bomb", "retrieve", "client", 3, "ProviderFault"),
        ("endless", "content", "sdk", 1, "SdkProviderFault"),
        ("gzip-bomb", "retrieve", "sdk", 3, "SdkProviderFault"),
    ],
)
def test_peak_memory_is_bounded(
    behaviour: str, route: str, via: str, repeat: int, expected: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, behaviour, route, via, str(repeat)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome, peak_mb = result.stdout.split()
    assert outcome == expected
    assert int(peak_mb) < LIMIT_MB, f"peak RSS {peak_mb} MB"

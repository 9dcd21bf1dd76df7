"""Record one run into ``tests/recordings/<name>/``: its redacted ``transcript.har`` and the
verdict a re-judgement of it must keep (``expect.json``).

Usage (from the repository root, with the project's virtualenv)::

    # the bundled reference provider with fault switches
    .venv/bin/python tests/recordings/record.py fault-status-processing --fault status-processing

    # a LiteLLM proxy in front of the bundled provider (a real third-party server): install
    # it in a virtualenv of its own first, e.g.
    #   python3 -m venv /tmp/litellm && /tmp/litellm/bin/pip install 'litellm[proxy]==1.81.16'
    .venv/bin/python tests/recordings/record.py litellm-proxy --litellm /tmp/litellm/bin/litellm

The run is short (0.3 s renders, no property phase). With node and the pinned npm ``openai``
installed (``video-conformance setup-node``), openai-node's traffic is recorded too and
``rejudge`` judges VID-SDK-004 from it; the script refuses to record without them, so that a
re-recording never silently drops the oracle. Before anything is written the recording
is re-judged once: a recording whose replay does not reproduce the run's verdict and failing
set is refused. Re-recording replaces both files; review the new ``expect.json`` in the diff.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from conformance.commands.rejudge import rejudge
from conformance.config import Overrides, resolve_target
from conformance.errors import UsageError
from conformance.node_oracle.driver import unavailable
from conformance.provider.behaviour import Behaviour
from conformance.provider.config import ProviderConfig
from conformance.provider.faults import apply_faults
from conformance.provider.server import running_provider
from conformance.redact import register_secret
from conformance.report.model import Report
from conformance.runner import RunOptions, execute

HERE = Path(__file__).resolve().parent
RENDER_S = 0.3
LITELLM_MODEL = "sora-2"


def expectation(report: Report) -> dict[str, Any]:
    """What a re-judgement of the recording must keep: the verdict and the failing set."""
    return {
        "verdict": report.verdict(),
        "failed": sorted(c.id for c in report.checks if c.outcome == "failed"),
        "errors": sorted(c.id for c in report.checks if c.outcome == "error"),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def litellm_proxy(binary: str, upstream: str, upstream_key: str, work: Path) -> Iterator[str]:
    """A LiteLLM proxy on loopback forwarding ``sora-2`` to ``upstream``; yields its /v1 URL."""
    config = work / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {LITELLM_MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{LITELLM_MODEL}\n"
        f"      api_base: {upstream}\n"
        "      api_key: os.environ/VC_UPSTREAM_KEY\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
        "general_settings:\n"
        "  master_key: os.environ/LITELLM_MASTER_KEY\n"
    )
    port = _free_port()
    env = {
        **os.environ,
        "VC_UPSTREAM_KEY": upstream_key,
        "LITELLM_MASTER_KEY": os.environ["VC_LITELLM_KEY"],
        "LITELLM_LOG": "ERROR",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the cost map from the internet
        "NO_DOCS": "True",
    }
    log = (work / "litellm.log").open("w")
    proc = subprocess.Popen(
        [binary, "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"litellm exited {proc.returncode}; see {work / 'litellm.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health/liveliness", timeout=2).status_code == 200:
                    break
            time.sleep(1)
        else:
            raise SystemExit("litellm did not come up within 180 s")
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def record(args: argparse.Namespace, work: Path) -> Report:
    """Run the checker once, writing the report (and its HAR) into ``work / 'run'``."""
    behaviour = apply_faults(Behaviour(), args.fault)
    options = RunOptions(
        report_dir=work / "run",
        fuzz=False,
        render_seconds=RENDER_S,
        provider_behaviour=behaviour,
    )
    if not args.litellm:
        target = resolve_target(Overrides(profile="reference", job_timeout_s=60.0), env={})
        return execute(target, options).report
    upstream_key = "vc-" + secrets.token_urlsafe(18)
    proxy_key = "sk-vc-" + secrets.token_hex(12)
    for secret in (upstream_key, proxy_key):
        register_secret(secret)
    os.environ["VC_LITELLM_KEY"] = proxy_key
    provider = ProviderConfig(
        render_seconds=RENDER_S,
        ttl_seconds=3,
        api_key=upstream_key,
        behaviour=behaviour,
        max_concurrent_renders=8,
        queue_limit=64,
    )
    with (
        running_provider(provider) as upstream,
        litellm_proxy(args.litellm, upstream, upstream_key, work) as base_url,
    ):
        target = resolve_target(
            Overrides(
                profile=str(HERE / "litellm-proxy.toml"),
                base_url=base_url,
                api_key=proxy_key,
                job_timeout_s=60.0,
            ),
            env={},
        )
        return execute(target, options).report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="directory under tests/recordings/")
    parser.add_argument("--fault", action="append", default=[], help="a provider fault switch")
    parser.add_argument("--litellm", help="the litellm executable: record through its proxy")
    args = parser.parse_args()
    if not args.name.replace("-", "").isalnum():
        print("error: the name may only hold letters, digits and '-'", file=sys.stderr)
        return 2
    missing = unavailable()
    if missing:
        print(f"error: the openai-node oracle cannot run: {missing}", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="vc-record-") as tmp:
            work = Path(tmp)
            original = record(args, work)
            replayed, _, _ = rejudge(work / "run", work / "rejudged")
            want, got = expectation(original), expectation(replayed)
            if want != got:
                print(f"error: the replay does not keep the verdict: {want} != {got}")
                return 1
            out = HERE / args.name
            out.mkdir(exist_ok=True)
            shutil.copyfile(work / "run" / "transcript.har", out / "transcript.har")
            note = {
                **want,
                "recorded": {
                    "provider": "litellm proxy in front of the reference provider"
                    if args.litellm
                    else "reference provider",
                    "faults": args.fault,
                    "suite_version": original.tool.get("suite_version"),
                },
            }
            (out / "expect.json").write_text(json.dumps(note, indent=2) + "\n")
    except (UsageError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    size = (out / "transcript.har").stat().st_size
    print(f"{out.name}: {want['verdict']}, failed {want['failed']}; HAR {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``video-conformance setup-node``: install the pinned npm ``openai`` for the node oracle."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from conformance.errors import HarnessError, UsageError
from conformance.node_oracle.driver import (
    NODE_DIR_ENV,
    OPENAI_NODE_VERSION,
    install_command,
    node_dir,
    unavailable,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``setup-node``."""
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help=f"install into this directory (default: ${NODE_DIR_ENV} or ~/.cache/"
        "video-conformance/node; runs look there)",
    )


def main(args: argparse.Namespace) -> int:
    """Run ``npm install --prefix DIR openai@<pinned>`` and confirm the oracle can run."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise UsageError("setup-node needs node and npm on PATH")
    base = (args.dir or node_dir()).expanduser()
    try:
        base.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            install_command(base), capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"npm install failed: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise HarnessError(f"npm install openai@{OPENAI_NODE_VERSION} failed: {last}")
    reason = unavailable(base)
    if reason:
        raise HarnessError(f"installed, but the oracle still cannot run: {reason}")
    hint = "" if args.dir is None else f" (set {NODE_DIR_ENV}={base} for runs to use it)"
    print(f"openai@{OPENAI_NODE_VERSION} installed in {base}{hint}")
    return 0

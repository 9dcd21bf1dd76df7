"""Run the bundled openai-node oracle (``oracle.mjs``) against a target.

The oracle needs ``node`` on PATH and the npm package ``openai`` installed in the node cache
directory (``video-conformance setup-node`` or ``npm install --prefix DIR openai@VERSION``).
When either is missing, ``unavailable()`` says why and the openai-node check is skipped with
that reason. The API key reaches the script through its environment, never its argv, and the
child gets a minimal environment so that no ``OPENAI_*`` variable of the caller steers the SDK.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.redact import redact_text

OPENAI_NODE_VERSION = "6.49.0"
"""The pinned ``openai`` npm version: the newest that runs on Node 20 (7.x needs Node >= 22)."""
NODE_DIR_ENV = "VIDEO_CONFORMANCE_NODE_DIR"
DEFAULT_NODE_DIR = Path("~/.cache/video-conformance/node")
SCRIPT = Path(__file__).with_name("oracle.mjs")
KEY_ENV = "VIDEO_CONFORMANCE_API_KEY"
PACKAGE_ENV = "VIDEO_CONFORMANCE_OPENAI_NODE"
UNKNOWN_ID = "video_node_oracle_unknown"


def node_dir() -> Path:
    """The directory whose ``node_modules/openai`` the oracle uses ($VIDEO_CONFORMANCE_NODE_DIR)."""
    return Path(os.environ.get(NODE_DIR_ENV) or DEFAULT_NODE_DIR).expanduser()


def package_dir(base: Path | None = None) -> Path:
    """``node_modules/openai`` inside ``base`` (default ``node_dir()``)."""
    return (base or node_dir()) / "node_modules" / "openai"


def unavailable(base: Path | None = None) -> str | None:
    """Why the oracle cannot run here (no node, no package), or ``None`` when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    pkg = package_dir(base)
    if not (pkg / "package.json").is_file() or not (pkg / "index.mjs").is_file():
        return (
            f"the npm package openai is not installed in {pkg.parent.parent} "
            "(run: video-conformance setup-node)"
        )
    return None


def install_command(base: Path) -> list[str]:
    """The npm command that installs the pinned ``openai`` package into ``base``."""
    return [
        "npm",
        "install",
        "--prefix",
        str(base),
        "--no-audit",
        "--no-fund",
        f"openai@{OPENAI_NODE_VERSION}",
    ]


@dataclass
class OraclePlan:
    """What the oracle does; only ``create`` (and ``remix`` on the job it created) may bill."""

    base_url: str
    existing_id: str | None = None
    """A completed job the run already made: poll (one retrieve) and download it, free."""
    list: bool = False
    list_limit: int = 10
    list_pages: int = 3
    create: dict[str, str] | None = None
    """Create parameters of the oracle's own job (billable); ``None``: no create."""
    remix: str | None = None
    """Prompt of a remix of the oracle's own job (billable); needs ``create``."""
    delete: bool = False
    """Delete the oracle's own jobs, and an unknown id (expects NotFoundError)."""
    x_api_key: bool = False
    poll_interval_ms: int = 1000
    job_timeout_s: float = 900.0
    request_timeout_s: float = 60.0
    unknown_id: str = UNKNOWN_ID


@dataclass
class OracleCall:
    """One SDK call: what it returned (``value``) or raised (``error``)."""

    call: str
    ok: bool
    value: Any = None
    error: dict[str, Any] | None = None
    elapsed_ms: float = 0.0
    at: float = 0.0
    """Unix time (seconds) when the call started."""


@dataclass
class OracleRun:
    """The oracle's output: the node and package versions, and every call in order."""

    node: str
    openai: str
    calls: list[OracleCall] = field(default_factory=list)

    def get(self, name: str) -> OracleCall | None:
        """The call named ``name``, or ``None`` when the oracle did not make it."""
        return next((c for c in self.calls if c.call == name), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class OracleError(Exception):
    """The oracle itself broke (crash, timeout, unreadable output): a harness error."""


def run_oracle(
    plan: OraclePlan,
    api_key: str | None,
    *,
    timeout_s: float,
    base: Path | None = None,
    started: Callable[[Callable[[], None]], None] | None = None,
) -> OracleRun:
    """Run ``oracle.mjs`` with ``plan``; raise ``OracleError`` when it cannot say anything.

    Call ``unavailable()`` first: this assumes node and the package are there. ``started``
    gets a function that ends node at once (a run that is stopped ends its oracle).
    """
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        PACKAGE_ENV: str(package_dir(base)),
        KEY_ENV: api_key or "",
    }
    try:
        proc = subprocess.Popen(
            ["node", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    except OSError as exc:
        raise OracleError(f"cannot start node: {exc.strerror or exc}") from None
    if started is not None:
        started(proc.kill)
    try:
        stdout, stderr = proc.communicate(json.dumps(asdict(plan)), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise OracleError(f"the openai-node oracle did not finish within {timeout_s:g} s") from None
    if proc.returncode != 0:
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        if proc.returncode < 0:
            last = f"ended by signal {-proc.returncode}"
        raise OracleError(redact_text(f"the openai-node oracle failed: {last}")[:300])
    try:
        data = json.loads(stdout)
        calls = [OracleCall(**c) for c in data["calls"]]
        return OracleRun(node=str(data["node"]), openai=str(data["openai"]), calls=calls)
    except (ValueError, KeyError, TypeError) as exc:
        raise OracleError(f"unreadable output from the openai-node oracle: {exc}") from None

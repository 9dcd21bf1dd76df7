"""``video-conformance serve``: run the bundled reference provider until interrupted."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from conformance.errors import UsageError
from conformance.provider.behaviour import Behaviour
from conformance.provider.config import ProviderConfig
from conformance.provider.dialects import available, load
from conformance.provider.faults import FAULTS, apply_faults
from conformance.provider.server import ProviderStartError, serve
from conformance.redact import register_secret

DEFAULTS = ProviderConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``serve``."""
    parser.add_argument(
        "--host",
        default=DEFAULTS.host,
        help="interface to listen on (default: %(default)s, loopback only)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULTS.port,
        help="port; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep jobs and media here across restarts (default: a temp dir removed at exit)",
    )
    parser.add_argument(
        "--render-seconds",
        type=float,
        default=DEFAULTS.render_seconds,
        help="wall time from create to completed (default: %(default)s)",
    )
    parser.add_argument(
        "--ttl",
        type=int,
        default=DEFAULTS.ttl_seconds,
        help="seconds content stays downloadable after completion (default: %(default)s)",
    )
    parser.add_argument(
        "--api-key", default=None, help="require this key (Authorization: Bearer); default: no auth"
    )
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=DEFAULTS.fail_rate,
        help="fraction of jobs that fail at random, 0..1 (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed for --fail-rate, for reproducible failures"
    )
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=DEFAULTS.max_concurrent_renders,
        help="jobs in progress at once (default: %(default)s)",
    )
    parser.add_argument(
        "--render-workers",
        type=int,
        default=None,
        help="processes that encode videos (default: one per core, at most --max-concurrent)",
    )
    parser.add_argument(
        "--queue-limit",
        type=int,
        default=DEFAULTS.queue_limit,
        help="unfinished jobs before create answers 429 (default: %(default)s)",
    )
    parser.add_argument(
        "--fps",
        type=int,
        default=DEFAULTS.fps,
        help="frame rate of rendered videos (default: %(default)s)",
    )
    parser.add_argument(
        "--dialect",
        metavar="NAME",
        default=None,
        help="behave like a vendor: " + (", ".join(available()) or "none bundled"),
    )
    parser.add_argument(
        "--fault",
        metavar="NAME",
        action="append",
        default=[],
        help="break one rule (repeatable): " + ", ".join(sorted(FAULTS)),
    )


def main(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; prints ``serving <base URL>`` once ready."""
    config = config_from_args(args)
    if not _is_loopback(config.host):
        print(
            f"warning: listening on {config.host}, reachable from other machines; the "
            "reference provider is a test server",
            file=sys.stderr,
            flush=True,
        )
    register_secret(config.api_key)
    try:
        serve(config, on_ready=lambda url: print(f"serving {url}", flush=True))
    except ProviderStartError as exc:
        raise UsageError(str(exc)) from None
    return 0


def config_from_args(args: argparse.Namespace) -> ProviderConfig:
    """The provider configuration the flags describe; bad values raise ``UsageError``."""
    try:
        behaviour = load(args.dialect).behaviour if args.dialect else Behaviour()
        behaviour = apply_faults(behaviour, args.fault)
        return ProviderConfig(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            render_seconds=args.render_seconds,
            ttl_seconds=args.ttl,
            api_key=args.api_key,
            fail_rate=args.fail_rate,
            max_concurrent_renders=args.max_concurrent,
            render_workers=args.render_workers,
            queue_limit=args.queue_limit,
            fps=args.fps,
            behaviour=behaviour,
            seed=args.seed,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

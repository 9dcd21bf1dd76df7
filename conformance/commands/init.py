"""``video-conformance init``: write a profile TOML from flags, or from questions on a terminal.

The profile is validated against ``profile.schema.json`` before anything is written, so a file
``init`` writes always loads. An existing file is never overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance import contract
from conformance.catalog import DECLARABLE_FEATURES
from conformance.config import AUTH_STYLES, DEFAULT_KEY_ENV, ENCODINGS, check_base_url
from conformance.errors import UsageError
from conformance.profile_schema import validate_profile

Ask = Callable[[str], str]


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``init``: one per profile setting, and where to write."""
    what = parser.add_argument_group("the provider")
    what.add_argument("--name", help="display name (default: asked, or the base URL's host)")
    what.add_argument("--base-url", help="base URL including /v1 (asked when missing)")
    what.add_argument(
        "--api-key-env",
        default=DEFAULT_KEY_ENV,
        metavar="VAR",
        help="environment variable that holds the key (default: %(default)s)",
    )
    what.add_argument("--auth", choices=AUTH_STYLES, default="bearer", help="(default: bearer)")
    what.add_argument(
        "--encodings",
        default=",".join(ENCODINGS),
        help="create encodings it accepts, comma separated (default: %(default)s)",
    )
    what.add_argument("--model", help="model to request (default: send none)")
    what.add_argument(
        "--sizes", default=contract.DEFAULT_SIZE, help="sizes, first = main (default: %(default)s)"
    )
    what.add_argument(
        "--seconds", default=contract.DEFAULT_SECONDS, help="durations (default: %(default)s)"
    )
    what.add_argument(
        "--features",
        default="",
        help=f"extended features it claims, comma separated: {', '.join(DECLARABLE_FEATURES)} "
        "(default: none)",
    )
    spend = parser.add_argument_group("budget")
    spend.add_argument("--max-jobs", type=int, default=8, help="(default: %(default)s)")
    spend.add_argument("--max-video-seconds", type=int, default=64, help="(default: %(default)s)")
    spend.add_argument(
        "--price-per-second", type=float, help="USD per second of video (default: no estimate)"
    )
    spend.add_argument(
        "--job-timeout", type=float, default=900, help="seconds (default: %(default)s)"
    )
    out = parser.add_argument_group("output")
    out.add_argument("--output", "-o", type=Path, help="file to write (default: <name>.toml here)")
    out.add_argument("--force", action="store_true", help="overwrite an existing file")
    out.add_argument(
        "--no-input", action="store_true", help="never ask questions, even on a terminal"
    )


def _ask_missing(args: argparse.Namespace, ask: Ask) -> None:
    """Fill what the flags left open by asking (only called on a terminal)."""
    if not args.base_url:
        args.base_url = ask("Base URL, including /v1 (e.g. https://api.example.com/v1): ").strip()
    if not args.name:
        args.name = ask("Name for the reports [host name]: ").strip() or None
    if args.model is None:
        args.model = ask("Model to request [none]: ").strip() or None
    if not args.features:
        choices = ", ".join(DECLARABLE_FEATURES)
        args.features = ask(f"Extended features it claims ({choices}) [none]: ").strip()


def build_profile(args: argparse.Namespace) -> dict[str, Any]:
    """The profile as data, from parsed flags (``UsageError`` on anything unusable)."""
    if not args.base_url:
        raise UsageError("no base URL: pass --base-url (or run init on a terminal to be asked)")
    base_url = check_base_url(args.base_url)
    name = args.name or base_url.split("://", 1)[1].split("/", 1)[0].split(":")[0]
    data: dict[str, Any] = {
        "name": name,
        "base_url": base_url,
        "api_key_env": args.api_key_env,
        "auth": args.auth,
        "create_encodings": _csv(args.encodings),
    }
    if args.model:
        data["model"] = args.model
    data["sizes"] = _csv(args.sizes)
    data["seconds"] = _csv(args.seconds)
    data["features"] = _csv(args.features)
    budget: dict[str, Any] = {
        "max_jobs": args.max_jobs,
        "max_video_seconds": args.max_video_seconds,
    }
    if args.price_per_second is not None:
        budget["price_per_second"] = args.price_per_second
    data["budget"] = budget
    data["timeouts"] = {"job": args.job_timeout}
    validate_profile(data, "the flags")
    return data


def _value(value: Any) -> str:
    # JSON strings, numbers, booleans and arrays of them are valid TOML values.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False)


def render_toml(data: dict[str, Any]) -> str:
    """The profile as TOML: top-level keys first, then one ``[table]`` per dict."""
    lines = ["# A video-conformance profile; the format: docs/reference/profile.md"]
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if key not in tables:
            lines.append(f"{key} = {_value(value)}")
    for table, values in tables.items():
        lines += ["", f"[{table}]"]
        lines += [f"{key} = {_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace, ask: Ask | None = None) -> int:
    """Write the profile; exit 0, or 2 for unusable input or an existing file."""
    interactive = ask is not None or (not args.no_input and sys.stdin.isatty())
    if interactive:
        try:
            _ask_missing(args, ask or input)
        except EOFError:
            raise UsageError("input ended before the profile was complete") from None
    data = build_profile(args)
    output: Path = args.output or Path(f"{data['name']}.toml")
    if output.exists() and not args.force:
        raise UsageError(f"{output} exists; pass --force to overwrite it")
    try:
        output.write_text(render_toml(data), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    print(f"wrote {output}")
    print(f"next: video-conformance plan --profile {output}")
    print(f"then: export {data['api_key_env']}=... && video-conformance run --profile {output}")
    return 0

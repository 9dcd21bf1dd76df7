"""The published JSON Schema of ``report.json``, validation, and loading a report from disk."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from conformance.errors import UsageError
from conformance.report.model import REPORT_FORMAT, Report

SCHEMA_FILE = "report.schema.json"


@cache
def schema() -> dict[str, Any]:
    """The report schema (JSON Schema 2020-12), as shipped inside the package."""
    text = resources.files("conformance.report").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def validator() -> Draft202012Validator:
    """The report schema's validator (built once)."""
    return Draft202012Validator(schema())


def validate(data: Any) -> list[str]:
    """Every way ``data`` breaks the report schema, one readable line each; empty when valid."""
    errors = sorted(validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{_where(list(e.absolute_path))}: {_shorten(e.message)}" for e in errors]


def _shorten(message: str, limit: int = 160) -> str:
    # jsonschema quotes the offending value, which may be a whole vendor body.
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _where(path: list[str | int]) -> str:
    if not path:
        return "(top level)"
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def load_report(path: Path) -> Report:
    """Read and validate a ``report.json``; any problem is a one-line ``UsageError``."""
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, expected a report.json") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {type(exc).__name__}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    fmt = data.get("format") if isinstance(data, dict) else None
    if isinstance(fmt, int) and fmt != REPORT_FORMAT:
        raise UsageError(
            f"{path}: report format {fmt} is not supported (this tool reads format {REPORT_FORMAT})"
        )
    problems = validate(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UsageError(f"{path}: not a video-conformance report: {problems[0]}{more}")
    try:
        return Report.from_dict(data)
    except (TypeError, KeyError, ValueError) as exc:  # schema and model drifted apart
        raise UsageError(f"{path}: cannot read report: {exc}") from None

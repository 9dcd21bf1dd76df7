"""The profile TOML's JSON Schema (``profile.schema.json``) and validation that names the key.

``tomllib`` keeps no positions, so the line of a key is found in the text: the ``key =`` line
inside the right ``[table]``. When that fails the error still names the key and the file.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.errors import UsageError

if TYPE_CHECKING:
    import jsonschema

SCHEMA_PATH = Path(__file__).with_name("profile.schema.json")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")


@cache
def schema() -> dict[str, Any]:
    """The profile schema (JSON Schema 2020-12)."""
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def key_line(text: str, path: tuple[str, ...]) -> int | None:
    """The 1-based line where ``path`` (``("budget", "max_jobs")``) is set in TOML ``text``."""
    if not path:
        return None
    *tables, key = path
    want_table = ".".join(tables)
    key_pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header:
            current = header.group(1).strip().strip("\"'")
            if current == ".".join(path):
                return number  # the key is itself a table: its header
            continue
        if current == want_table and key_pattern.match(line):
            return number
        dotted = re.compile(rf"^\s*{re.escape('.'.join(path))}\s*=")
        if not current and dotted.match(line):
            return number
    return None


def _where(path: tuple[str, ...], source: Path | str, text: str) -> str:
    line = key_line(text, path) if text else None
    name = ".".join(path)
    return f"key {name} in {source}" + (f", line {line}" if line else "")


def _problem(error: jsonschema.ValidationError) -> tuple[tuple[str, ...], str]:
    """The key an error is about and what is wrong with it, in a person's words."""
    path = tuple(str(p) for p in error.absolute_path if not isinstance(p, int))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - known)
        if extra:
            allowed = ", ".join(sorted(known))
            return (*path, extra[0]), f"unknown key (allowed here: {allowed})"
    if error.validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value)
        return path, f"{json.dumps(error.instance)} is not one of {allowed}"
    if error.validator == "pattern":
        return path, f"{json.dumps(error.instance)} does not match {error.validator_value}"
    if error.validator == "type":
        return path, f"must be {error.validator_value}, not {json.dumps(error.instance)}"
    return path, error.message


def validate_profile(data: dict[str, Any], source: Path | str, text: str = "") -> None:
    """Raise ``UsageError`` naming the key (and its line in ``text``) of the first problem."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if not errors:
        return
    path, problem = _problem(errors[0])
    if not path:
        raise UsageError(f"profile {source}: {problem}")
    raise UsageError(f"profile {_where(path, source, text)}: {problem}")

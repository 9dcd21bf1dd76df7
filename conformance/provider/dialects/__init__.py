"""Vendor dialects: ``<name>.toml`` files of ``Behaviour`` overrides, each quoting its source.

A dialect file has top-level ``name``, ``title`` and ``source`` and an array of tables::

    [[deviation]]
    field = "status_words"
    value = { in_progress = "processing" }
    doc = "the vendor documentation line this comes from, quoted"

Values are checked against the field's type. TOML has no null: for a field that can be ``None``
and is not a string (``models_allowed``, ``prompt_max_chars``, ``poll_after_ms``), the string
``"none"`` stands for ``None``.

``doc`` is verbatim text of the vendor's page (whitespace collapsed); `` ... `` joins fragments.
A dialect simulates only what its page shows: behaviour the reference provider adds beyond the
written contract (``SILENT_DEFAULTS``) is switched off unless a deviation quotes it.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

from conformance.provider.behaviour import Behaviour

DIALECT_DIR = Path(__file__).resolve().parent

SILENT_DEFAULTS: dict[str, Any] = {"poll_after_ms": None}
"""Overrides every dialect starts from. ``openai-poll-after-ms`` is not in the official spec
(api §7; only the SDK honours it) and no vendor page shows it, so a dialect does not send it."""


@dataclass(frozen=True)
class Deviation:
    """One way the vendor differs from the contract, and the doc line that says so."""

    field: str
    value: Any
    doc: str


@dataclass(frozen=True)
class Dialect:
    """A vendor's wire behaviour as overrides of the contract."""

    name: str
    title: str
    source: str
    deviations: tuple[Deviation, ...]
    behaviour: Behaviour


def available(directory: Path | None = None) -> list[str]:
    """Names of the dialects in ``directory`` (default: the bundled ones), sorted."""
    folder = directory or DIALECT_DIR
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.toml"))


def load(name: str, directory: Path | None = None) -> Dialect:
    """Load dialect ``name``; ValueError (one line) if it is unknown or malformed."""
    folder = directory or DIALECT_DIR
    path = folder / f"{name}.toml"
    if "/" in name or "\\" in name or not path.is_file():
        known = ", ".join(available(folder)) or "none"
        raise ValueError(f"unknown dialect {name!r}; available dialects: {known}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"dialect {name!r} ({path.name}) is not valid TOML: {exc}") from None
    return _parse(name, path, data)


def _parse(name: str, path: Path, data: dict[str, Any]) -> Dialect:
    def fail(problem: str) -> ValueError:
        return ValueError(f"dialect {name!r} ({path.name}): {problem}")

    for key in ("name", "title", "source"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise fail(f"top-level {key!r} must be a non-empty string")
    if data["name"] != name:
        raise fail(f"its name {data['name']!r} does not match the file name")
    raw = data.get("deviation", [])
    if not isinstance(raw, list):
        raise fail("'deviation' must be an array of tables ([[deviation]])")
    deviations: list[Deviation] = []
    overrides: dict[str, Any] = dict(SILENT_DEFAULTS)
    seen: set[str] = set()
    for index, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise fail(f"deviation {index} is not a table")
        missing = [key for key in ("field", "value", "doc") if key not in entry]
        if missing:
            raise fail(f"deviation {index} lacks {', '.join(missing)}")
        if not isinstance(entry["field"], str) or not isinstance(entry["doc"], str):
            raise fail(f"deviation {index}: 'field' and 'doc' must be strings")
        if entry["field"] in seen:
            raise fail(f"deviation {index}: field {entry['field']!r} is set twice")
        seen.add(entry["field"])
        try:
            value = _typed_value(entry["field"], entry["value"])
        except ValueError as exc:
            raise fail(f"deviation {index}: {exc}") from None
        deviations.append(Deviation(entry["field"], value, entry["doc"]))
        overrides[entry["field"]] = value
    try:
        behaviour = Behaviour().with_overrides(overrides)
    except (ValueError, TypeError) as exc:
        raise fail(str(exc)) from None
    return Dialect(
        name=name,
        title=data["title"],
        source=data["source"],
        deviations=tuple(deviations),
        behaviour=behaviour,
    )


_HINTS = typing.get_type_hints(Behaviour)
_FIELDS = {f.name for f in dataclasses.fields(Behaviour)}


def _typed_value(name: str, value: Any) -> Any:
    """``value`` checked for Behaviour field ``name`` ("none" → None where allowed)."""
    if name not in _FIELDS:
        raise ValueError(f"unknown behaviour field {name!r}")
    hint = _HINTS[name]
    options = typing.get_args(hint) if _is_union(hint) else (hint,)
    if value == "none" and type(None) in options and str not in options:
        return None
    if any(_matches(value, option) for option in options):
        return value
    raise ValueError(f"value {value!r} does not fit field {name!r} ({_describe(hint)})")


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType)


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if origin is Literal:
        return value in typing.get_args(hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in (tuple, frozenset):
        item = typing.get_args(hint)[0]
        return isinstance(value, list | tuple) and all(_matches(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    return False


def _describe(hint: Any) -> str:
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "")

"""Traceability: each row of the real-world deviation catalogue and the checks that catch it.

The rows (A1..H3 of real-world-deviations.md) are data in ``conformance/deviations.toml``:
an id, a short title, the catalogue ids that catch the row and/or the reason no check (fully)
can. ``docs/checks.md`` renders them; tests keep every cited id in the catalogue.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "deviations.toml"


@dataclass(frozen=True)
class DeviationRow:
    """One row of the deviation catalogue."""

    id: str
    title: str
    checks: tuple[str, ...]
    """Catalogue ids whose failure (or note) reports this deviation."""
    reason: str
    """Why the row is out of scope, or which part of it the checks do not cover."""


def rows(path: Path = DATA) -> list[DeviationRow]:
    """The rows in file order; ``ValueError`` (one line) for a malformed file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    out = []
    for index, entry in enumerate(data.get("row", []), start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ValueError(f"{path.name}: row {index} has no string 'id'")
        checks = entry.get("checks", [])
        if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
            raise ValueError(f"{path.name}: row {entry['id']}: 'checks' must be a list of ids")
        out.append(
            DeviationRow(
                id=entry["id"],
                title=str(entry.get("title", "")),
                checks=tuple(checks),
                reason=str(entry.get("reason", "")).strip(),
            )
        )
    return out


def render_markdown(known_ids: set[str]) -> list[str]:
    """The traceability table as Markdown lines (an unknown id is marked, never hidden)."""
    lines = [
        "## Traceability to real-world deviations",
        "",
        "Every row of `real-world-deviations.md` and the checks that catch it; a reason says why "
        "a row (or part of it) is out of scope. Data: `conformance/deviations.toml`.",
        "",
        "| row | deviation | caught by | out of scope |",
        "|---|---|---|---|",
    ]
    for row in rows():
        caught = ", ".join(c if c in known_ids else f"{c} (unknown)" for c in row.checks)
        cells = [row.id, row.title, caught or "—", row.reason or "—"]
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    lines.append("")
    return lines

"""Pure Markdown formatting for RESULTS.md: number formats and tables."""

from __future__ import annotations

from collections.abc import Sequence

NA = "n/a"


def fmt_seconds(value: float | None, digits: int = 2) -> str:
    """Seconds with a unit, e.g. ``3.14 s``; ``n/a`` when unknown."""
    return NA if value is None else f"{value:.{digits}f} s"


def fmt_ms(value_s: float | None) -> str:
    """A duration given in seconds, shown in whole milliseconds, e.g. ``250 ms``."""
    return NA if value_s is None else f"{value_s * 1000:.0f} ms"


def fmt_ratio(value: float | None, digits: int = 2) -> str:
    """A dimensionless ratio, e.g. ``0.47``; ``n/a`` when unknown."""
    return NA if value is None else f"{value:.{digits}f}"


def fmt_number(value: float | None, digits: int = 1) -> str:
    """A plain number; integers without decimals; ``n/a`` when unknown."""
    if value is None:
        return NA
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.{digits}f}"


def fmt_bytes(value: int | None) -> str:
    """A byte count in MiB, e.g. ``85.3 MiB``."""
    return NA if value is None else f"{value / (1024 * 1024):.1f} MiB"


def _cell(text: str) -> str:
    # A pipe would split the cell; a newline would end the table.
    return text.replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; every row must have one cell per header."""
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, expected {len(headers)}: {row!r}")
    lines = [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)

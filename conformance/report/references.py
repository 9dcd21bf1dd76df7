"""A check's ``reference`` (``api §3.3, dev H1``) as links, and the text each link points to.

``api §N`` cites a section of ``conformance/reference/openai-videos-api.md`` (``§9.6``: the
sixth numbered item of section 9 when there is no heading 9.6); ``dev XN`` cites a row of the
deviation catalogue ``conformance/reference/real-world-deviations.md``. Both documents ship with
the package, so the report can quote what it cites instead of pointing at a file the reader
does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
DOCUMENTS = {
    "api": ("openai-videos-api.md", "OpenAI Videos API, normative shape"),
    "dev": ("real-world-deviations.md", "Real-world deviations"),
}
EXCERPT_LIMIT = 4000
"""Characters of a cited section quoted in the report (a whole chapter can be long)."""

_TOKEN = re.compile(r"\b(api|dev)\b|§(\d+(?:\.\d+)?)|\b([A-H]\d{1,2})\b")
_HEADING = re.compile(r"^(#{2,3}) (\d+(?:\.\d+)?)\.? +(.*)$")


@dataclass(frozen=True)
class Citation:
    """One cited place: ``doc`` is ``api`` or ``dev``; ``key`` a section (``3.3``) or a row
    (``H1``)."""

    doc: str
    key: str

    @property
    def label(self) -> str:
        return f"§{self.key}" if self.doc == "api" else self.key

    @property
    def anchor(self) -> str:
        return f"ref-{self.doc}-{self.key.replace('.', '-')}"


@dataclass(frozen=True)
class Excerpt:
    """What a citation points to: a title and the quoted text (``rows`` for a deviation)."""

    citation: Citation
    title: str
    text: str = ""
    rows: tuple[tuple[str, str], ...] = ()


def parse(reference: str) -> list[str | Citation]:
    """``"api §3.3, dev H1"`` → ``["api ", Citation(api, 3.3), ", dev ", Citation(dev, H1)]``."""
    pieces: list[str | Citation] = []
    doc: str | None = None
    position = 0
    for match in _TOKEN.finditer(reference):
        word, section, row = match.groups()
        if word:
            doc = word
            continue
        citation = (
            Citation("api", section)
            if section and doc == "api"
            else Citation("dev", row)
            if row and doc == "dev"
            else None
        )
        if citation is None:
            continue
        if match.start() > position:
            pieces.append(reference[position : match.start()])
        pieces.append(citation)
        position = match.end()
    if position < len(reference):
        pieces.append(reference[position:])
    return pieces


def citations(reference: str) -> list[Citation]:
    """The citations in ``reference``, in order."""
    return [p for p in parse(reference) if isinstance(p, Citation)]


@cache
def _lines(doc: str) -> tuple[str, ...]:
    path = REFERENCE_DIR / DOCUMENTS[doc][0]
    try:
        return tuple(path.read_text(encoding="utf-8").splitlines())
    except OSError:
        return ()


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= EXCERPT_LIMIT else text[: EXCERPT_LIMIT - 1].rstrip() + "…"


def _section(key: str) -> Excerpt | None:
    lines = _lines("api")
    citation = Citation("api", key)
    for i, line in enumerate(lines):
        heading = _HEADING.match(line)
        if heading and heading.group(2) == key:
            level = len(heading.group(1))
            end = next(
                (
                    j
                    for j in range(i + 1, len(lines))
                    if (h := _HEADING.match(lines[j])) and len(h.group(1)) <= level
                ),
                len(lines),
            )
            return Excerpt(citation, heading.group(3), _shorten("\n".join(lines[i + 1 : end])))
    if "." in key:  # §9.6: item 6 of a numbered list in section 9
        chapter, item = key.split(".", 1)
        parent = _section(chapter)
        if parent is not None:
            found = re.search(
                rf"(?ms)^{re.escape(item)}\. (.*?)(?=^\d+\. |\Z)", parent.text.rstrip("…")
            )
            if found:
                return Excerpt(citation, f"{parent.title}, item {item}", _shorten(found.group(1)))
    return None


def _row(key: str) -> Excerpt | None:
    header: list[str] = []
    for line in _lines("dev"):
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        if cells and cells[0] == key:
            names = header[1:] if len(header) == len(cells) else [""] * (len(cells) - 1)
            rows = tuple(zip(names, cells[1:], strict=False))
            return Excerpt(Citation("dev", key), cells[1] if len(cells) > 1 else key, rows=rows)
    return None


def excerpt(citation: Citation) -> Excerpt | None:
    """The quoted text of ``citation``, or None when the shipped document does not have it."""
    return _section(citation.key) if citation.doc == "api" else _row(citation.key)


def appendix(references: list[str]) -> list[Excerpt]:
    """Every distinct citation in ``references`` that the shipped documents can quote, sorted."""
    seen: dict[Citation, None] = {}
    for reference in references:
        for citation in citations(reference):
            seen.setdefault(citation, None)

    def order(c: Citation) -> tuple[str, list[int | str]]:
        parts = re.findall(r"\d+|[A-Z]", c.key)
        return c.doc, [int(p) if p.isdigit() else p for p in parts]

    found = (excerpt(c) for c in sorted(seen, key=order))
    return [e for e in found if e is not None]

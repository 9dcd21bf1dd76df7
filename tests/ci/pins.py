"""The ``uses:`` references of a workflow or action file, read from its text (YAML parsing drops
the comment that names the pinned version)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s*(?P<target>[^@\s#]+)(?:@(?P<ref>[^\s#]+))?\s*(?:#\s*(?P<comment>.*))?$"
)
SHA = re.compile(r"[0-9a-f]{40}")
VERSION = re.compile(r"v\d+(?:\.\d+){0,2}")


@dataclass(frozen=True)
class Pin:
    """One ``uses:`` line."""

    line: int
    target: str
    ref: str | None
    comment: str | None

    @property
    def local(self) -> bool:
        """``uses: ./path``: an action of this repository, at the checked-out commit."""
        return self.target.startswith("./")

    def problem(self) -> str | None:
        """Why this reference is not pinned as the project pins (None: it is)."""
        if self.local:
            return None
        if self.ref is None or not SHA.fullmatch(self.ref):
            return f"line {self.line}: {self.target}@{self.ref} is not a full 40-hex commit SHA"
        if self.comment is None or not VERSION.fullmatch(self.comment.strip()):
            return f"line {self.line}: {self.target}@{self.ref} has no '# vX.Y.Z' comment"
        return None


def pins(text: str) -> list[Pin]:
    """Every ``uses:`` line of ``text``, in order."""
    found: list[Pin] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _USES.match(line)
        if match:
            comment = match.group("comment")
            found.append(Pin(number, match.group("target"), match.group("ref"), comment))
    return found

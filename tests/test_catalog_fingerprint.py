"""A changed check catalogue comes with a new suite version and a CHANGELOG line.

``tests/catalog.fingerprint`` keeps, for each suite version, the hash of the catalogue it was
released with (``catalog.fingerprint``: every check's whole declaration). Reports and baselines
of different suite versions are not comparable, so a check added, removed or edited without a
new ``SUITE_VERSION`` would silently compare apples with pears.
"""

from __future__ import annotations

import re
from pathlib import Path

from conformance import SUITE_VERSION
from conformance.catalog import CHECKS, Check, fingerprint
from conformance.commands.checks import catalogue

ROOT = Path(__file__).resolve().parent.parent
STORED = Path(__file__).with_name("catalog.fingerprint")


def _stored() -> list[tuple[str, str]]:
    """(suite version, hash) per line of ``tests/catalog.fingerprint``, oldest first."""
    rows = []
    for line in STORED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            version, digest = line.split()
            rows.append((version, digest))
    return rows


def test_the_catalogue_matches_its_suite_version() -> None:
    rows = _stored()
    current = fingerprint(catalogue())
    versions = [v for v, _ in rows]
    assert len(set(versions)) == len(versions), f"a suite version appears twice: {versions}"
    version, digest = rows[-1]
    line = f"{SUITE_VERSION} {current}"
    assert version == SUITE_VERSION, (
        f"SUITE_VERSION is {SUITE_VERSION!r}, but the last line of tests/catalog.fingerprint is "
        f"for suite version {version!r}: append the line `{line}` (never edit an old one)"
    )
    next_version = int(SUITE_VERSION) + 1 if SUITE_VERSION.isdigit() else "the next version"
    assert digest == current, (
        "the check catalogue changed (a check added, removed, or its id, wording, level, "
        "feature, reference, jobs or faults edited) but the suite version did not: bump "
        f"SUITE_VERSION in conformance/__init__.py to {next_version}, add a line to "
        "CHANGELOG.md saying which checks changed and why (baselines of the old version must "
        "be rewritten), then append its line to tests/catalog.fingerprint (this test prints it)"
    )


def test_the_changelog_names_the_suite_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"\bSuite version {re.escape(SUITE_VERSION)}\b", changelog), (
        f"CHANGELOG.md has no line for suite version {SUITE_VERSION}: say which checks changed"
    )


def test_the_fingerprint_sees_every_part_of_a_declaration() -> None:
    check = CHECKS["VID-CREATE-004"]
    base = fingerprint([check])
    edits = [
        Check(**{**check.__dict__, "title": check.title + "!"}),
        Check(**{**check.__dict__, "jobs": ("main",)}),
        Check(**{**check.__dict__, "faults": ()}),
        Check(**{**check.__dict__, "level": "SHOULD"}),
    ]
    assert len({base, *(fingerprint([e]) for e in edits)}) == len(edits) + 1
    # the order the checks are listed in is not part of it
    other = CHECKS["VID-CREATE-001"]
    assert fingerprint([check, other]) == fingerprint([other, check])

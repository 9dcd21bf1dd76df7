"""Per-vendor baselines: known failures, each with a reason, that do not fail the gate.

File format (YAML)::

    vendor: sciforium
    suite_version: "1"
    entries:
      - id: VID-CREATE-003
        reason: documents and answers 201 for creation
        issue: https://example.com/tracker/12   # optional

Every entry needs a real reason. ``video-conformance baseline`` writes ``TODO: explain`` when
no ``--reason`` is given, and loading refuses that placeholder: a failure nobody explained must
not be silenced by accident, yet writing the file still saves the reader from typing the ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance import catalog
from conformance.errors import UsageError
from conformance.report.model import Report
from conformance.report.views import gating_failures, target_name

PLACEHOLDER_REASON = "TODO: explain"
_TOP_KEYS = {"vendor", "suite_version", "entries"}
_ENTRY_KEYS = {"id", "reason", "issue"}


@dataclass(frozen=True)
class BaselineEntry:
    """One known failure and why it is accepted."""

    id: str
    reason: str
    issue: str | None = None


@dataclass
class Baseline:
    """The known failures of one vendor for one suite version."""

    vendor: str
    suite_version: str
    entries: list[BaselineEntry] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return {e.id for e in self.entries}


def load_baseline(path: Path) -> Baseline:
    """Read and check a baseline file; any problem is a one-line ``UsageError``."""
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"baseline {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"baseline {path}: cannot read: {type(exc).__name__}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(f"baseline {path}: not valid YAML{where}") from None
    return parse_baseline(data, str(path))


def parse_baseline(data: Any, source: str = "baseline") -> Baseline:
    """Check the structure of a parsed baseline document and build a ``Baseline``."""

    def fail(message: str) -> UsageError:
        return UsageError(f"baseline {source}: {message}")

    if not isinstance(data, dict):
        raise fail("expected a mapping with vendor, suite_version and entries")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise fail(f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    vendor = data.get("vendor")
    if not isinstance(vendor, str) or not vendor.strip():
        raise fail("'vendor' must be a non-empty string")
    suite_version = data.get("suite_version")
    if isinstance(suite_version, int) and not isinstance(suite_version, bool):
        suite_version = str(suite_version)  # an unquoted `suite_version: 1` means "1"
    if not isinstance(suite_version, str) or not suite_version.strip():
        raise fail("'suite_version' must be a non-empty string")
    raw_entries = data.get("entries")
    if raw_entries is None:
        raw_entries = []
    if not isinstance(raw_entries, list):
        raise fail("'entries' must be a list")
    entries: list[BaselineEntry] = []
    seen: set[str] = set()
    placeholders: list[str] = []
    for n, raw in enumerate(raw_entries, start=1):
        if not isinstance(raw, dict):
            raise fail(f"entry {n} must be a mapping with id and reason")
        extra = set(raw) - _ENTRY_KEYS
        if extra:
            raise fail(f"entry {n}: unknown key(s): {', '.join(sorted(map(str, extra)))}")
        check_id, reason, issue = raw.get("id"), raw.get("reason"), raw.get("issue")
        if not isinstance(check_id, str) or not check_id.strip():
            raise fail(f"entry {n}: 'id' must be a non-empty string")
        if check_id in seen:
            raise fail(f"duplicate entry for {check_id}")
        seen.add(check_id)
        if not isinstance(reason, str) or not reason.strip():
            raise fail(f"{check_id}: every entry needs a non-empty 'reason'")
        if reason.strip().upper().startswith("TODO"):
            placeholders.append(check_id)
        if issue is not None and not isinstance(issue, str):
            raise fail(f"{check_id}: 'issue' must be a string")
        entries.append(BaselineEntry(check_id, reason.strip(), issue))
    if placeholders:
        raise fail(
            f"{len(placeholders)} entr{'y' if len(placeholders) == 1 else 'ies'} still "
            f"say '{PLACEHOLDER_REASON}' ({', '.join(placeholders[:5])}"
            f"{', ...' if len(placeholders) > 5 else ''}): write why each failure is accepted"
        )
    return Baseline(vendor.strip(), suite_version.strip(), entries)


def baseline_from_report(report: Report, reason: str | None = None) -> Baseline:
    """A baseline accepting exactly the report's gating failures (failed MUST/SHOULD rules)."""
    text = reason.strip() if reason and reason.strip() else PLACEHOLDER_REASON
    entries = [
        BaselineEntry(c.id, text) for c in sorted(gating_failures(report), key=lambda c: c.id)
    ]
    return Baseline(target_name(report), str(report.tool.get("suite_version", "")), entries)


def dump_baseline(baseline: Baseline, report: Report | None = None) -> str:
    """The baseline as commented YAML (title and level of each check above its entry)."""
    titles = {c.id: f"{c.title} ({c.level})" for c in report.checks} if report else {}
    q = json.dumps  # a JSON string is a valid YAML double-quoted scalar, escapes included
    lines = [
        "# Known failures of one vendor: they do not fail the gate while they keep failing.",
        "# A listed check that passes again fails the gate (stale entry): remove it then.",
        "# Every entry needs a reason; an optional issue links the vendor's tracker.",
        f"vendor: {q(baseline.vendor)}",
        f"suite_version: {q(baseline.suite_version)}",
    ]
    if not baseline.entries:
        lines.append("entries: []")
    else:
        lines.append("entries:")
    for entry in baseline.entries:
        title = titles.get(entry.id) or (
            catalog.CHECKS[entry.id].title if entry.id in catalog.CHECKS else ""
        )
        if title:
            lines.append(f"  # {' '.join(title.split())}")
        lines.append(f"  - id: {q(entry.id)}")
        lines.append(f"    reason: {q(entry.reason)}")
        if entry.issue:
            lines.append(f"    issue: {q(entry.issue)}")
    return "\n".join(lines) + "\n"

"""``video-conformance annotate junit.xml``: failures as GitHub Actions annotations.

Prints one workflow command per failed or errored check (``::error`` for a MUST failure,
``::warning`` otherwise), so a CI run shows them on its summary page without a third-party
action. Reads only the junit.xml a run wrote; sends nothing.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.errors import UsageError

LIMIT = 50
"""GitHub shows at most 50 annotations of a kind per job; more would be dropped silently."""


def _escape_data(text: str) -> str:
    # Workflow command escaping: %, CR and LF in the message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(junit: Path, limit: int = LIMIT) -> list[str]:
    """The workflow commands for the failures and errors in ``junit``."""
    try:
        root = ET.parse(junit).getroot()
    except OSError as exc:
        raise UsageError(f"cannot read {junit}: {exc.strerror}") from None
    except ET.ParseError as exc:
        raise UsageError(f"{junit} is not JUnit XML: {exc}") from None
    suite = root.find("testsuite") if root.tag == "testsuites" else root
    target = suite.get("name", "video-conformance") if suite is not None else "video-conformance"
    lines: list[str] = []
    for case in root.iter("testcase"):
        for tag in ("failure", "error"):
            node = case.find(tag)
            if node is None:
                continue
            level = node.get("type", "")
            kind = "error" if tag == "failure" and level == "MUST" else "warning"
            what = "harness error" if tag == "error" else f"{level} failure"
            title = f"{target}: {what}: {case.get('name', '?')}"
            message = (node.get("message") or node.text or "").strip()
            lines.append(f"::{kind} title={_escape_property(title)}::{_escape_data(message)}")
    if len(lines) > limit:
        rest = len(lines) - limit
        lines = lines[:limit]
        lines.append(f"::notice::{rest} more failure(s) not annotated; see the report artifact")
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``annotate``."""
    parser.add_argument("junit", type=Path, metavar="JUNIT.xml", help="a run's junit.xml")


def main(args: argparse.Namespace) -> int:
    """Print the annotations; exit 0 (the run's own exit code is the gate)."""
    for line in workflow_commands(args.junit):
        sys.stdout.write(line + "\n")
    return 0

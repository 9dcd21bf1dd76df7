"""``video-conformance diff OLD.json NEW.json``: what changed between two runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.report.diff import FORMATS, diff_reports
from conformance.report.schema import load_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``diff``."""
    parser.add_argument("old", type=Path, metavar="OLD.json", help="the earlier run's report.json")
    parser.add_argument("new", type=Path, metavar="NEW.json", help="the later run's report.json")
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="text",
        help="output format (default: %(default)s; json names both runs under runs)",
    )
    parser.add_argument(
        "--allow-suite-mismatch",
        action="store_true",
        help="compare runs of different suite versions anyway (says so loudly)",
    )


def main(args: argparse.Namespace) -> int:
    """Print the diff; exit 1 when a check regressed or vanished, else 0."""
    old, new = load_report(args.old), load_report(args.new)
    result = diff_reports(old, new, allow_suite_mismatch=args.allow_suite_mismatch)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    sys.stdout.write(FORMATS[args.format](result))
    return result.exit_code

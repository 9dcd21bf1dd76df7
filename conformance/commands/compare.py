"""``video-conformance compare reports/*/report.json``: the vendor matrix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.report.compare import write_matrix


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``compare``."""
    parser.add_argument(
        "reports", type=Path, nargs="+", metavar="REPORT.json", help="runs to compare"
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where matrix.html and matrix.md go (default: reports/)",
    )
    parser.add_argument(
        "--allow-suite-mismatch",
        action="store_true",
        help="put runs of different suite versions side by side anyway (flagged in the matrix)",
    )


def main(args: argparse.Namespace) -> int:
    """Write the matrix and say where it is."""
    matrix, written = write_matrix(
        list(args.reports), args.output_dir, allow_suite_mismatch=args.allow_suite_mismatch
    )
    for warning in matrix.warnings:
        print(warning, file=sys.stderr)
    for column in matrix.columns:
        print(f"{column.name}: {column.verdict}")
    for path in written.values():
        print(f"wrote {path}")
    return 0

"""``video-conformance baseline REPORT.json``: record a vendor's known failures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.errors import UsageError
from conformance.report.atomic import write_text_atomic
from conformance.report.baseline import PLACEHOLDER_REASON, baseline_from_report, dump_baseline
from conformance.report.gate import evaluate
from conformance.report.schema import load_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``baseline``."""
    parser.add_argument("report", type=Path, metavar="REPORT.json", help="the run to baseline")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write the baseline (default: print it)",
    )
    parser.add_argument(
        "--reason",
        help=f"the reason recorded for every entry (default: {PLACEHOLDER_REASON!r}, which the "
        "gate refuses until each entry is explained)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing FILE")
    parser.add_argument(
        "--check",
        type=Path,
        metavar="BASELINE",
        help="instead of writing one, gate the report against this baseline and exit with the "
        "gate's code (0 passed, 1 unexpected failure or stale entry, 3 no verdict)",
    )


def main(args: argparse.Namespace) -> int:
    """Write the baseline of the report's failed MUST/SHOULD checks (or gate with ``--check``)."""
    report = load_report(args.report)
    if args.check is not None:
        if args.output is not None or args.reason is not None:
            raise UsageError("--check gates an existing baseline; it takes no -o or --reason")
        result = evaluate(report, args.check)
        print("\n".join(result.lines))
        return result.exit_code
    if args.reason is not None and not args.reason.strip():
        raise UsageError("--reason must not be empty")
    baseline = baseline_from_report(report, args.reason)
    text = dump_baseline(baseline, report)
    if args.output is None:
        sys.stdout.write(text)
    else:
        if args.output.exists() and not args.force:
            # A committed baseline holds hand-written reasons: never lose them silently.
            raise UsageError(f"{args.output} exists; pass --force to overwrite it")
        try:
            write_text_atomic(args.output, text)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        count = len(baseline.entries)
        print(f"wrote {args.output}: {count} entr{'y' if count == 1 else 'ies'}", file=sys.stderr)
    if baseline.entries and args.reason is None:
        print(
            f"note: every entry says {PLACEHOLDER_REASON!r}; write why each failure is accepted "
            "before gating with this baseline",
            file=sys.stderr,
        )
    return 0

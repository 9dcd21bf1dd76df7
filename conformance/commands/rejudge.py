"""``video-conformance rejudge REPORT_DIR_OR_HAR``: judge a recorded run again, offline.

The current suite runs against the run's ``transcript.har`` instead of the provider: no
network, no billing, no waiting. A request the recording lacks skips the check that needed it
("not in the recording"); the property phase is not replayed (its checks are skipped so).
The new report says what it re-judged (``rejudged_from``) and ``diff`` compares it with the
original.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
from pathlib import Path
from typing import Any

from conformance.budget import BudgetLimits
from conformance.config import Target
from conformance.errors import UsageError
from conformance.recording.replay import NOT_IN_RECORDING, Recording
from conformance.recording.wiring import Replayer
from conformance.redact import register_secret
from conformance.report.model import CheckResult, FuzzSection, Report
from conformance.runner import RunOptions, RunResult, default_report_dir, execute

FUZZ_NOT_REPLAYED = f"{NOT_IN_RECORDING}: the property phase is not replayed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``rejudge``."""
    parser.add_argument(
        "recording",
        type=Path,
        metavar="REPORT_DIR_OR_HAR",
        help="a run's report dir (holding transcript.har) or the .har file itself",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        help="where the new report goes (default: reports/<target>-rejudged/)",
    )
    parser.add_argument("--quiet", action="store_true", help="no line per check")


def target_from_recording(meta: dict[str, Any], api_key: str) -> Target:
    """The recorded run's target (its redacted form), with ``api_key`` in place of the key."""
    try:
        t = meta["target"]
        timeouts = t.get("timeouts", {})
        extensions = t.get("extensions", {})
        budget = meta.get("budget") or {}
        return Target(
            name=str(t["name"]),
            base_url=str(t["base_url"]),
            api_key=api_key,
            auth=t.get("auth", "bearer"),
            create_encodings=tuple(t.get("create_encodings", ())),
            model=t.get("model"),
            sizes=tuple(t["sizes"]),
            seconds=tuple(t["seconds"]),
            features=frozenset(t.get("features", ())),
            extension_seconds=tuple(extensions.get("seconds", ())),
            extension_sizes=tuple(extensions.get("sizes", ())),
            failing_prompt=t.get("failing_prompt") or "",
            create_status=t.get("create_status"),
            budget=BudgetLimits(**budget),
            job_timeout_s=float(timeouts["job"]),
            request_timeout_s=float(timeouts["request"]),
            expiry_wait_s=float(timeouts["expiry_wait"]),
            bundled=False,  # the recorded URL is only a name now: nothing is started or reached
            profile=t.get("profile"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"the recording's target is incomplete ({exc})") from None


def _unreplayed_fuzz(checks: list[CheckResult]) -> list[CheckResult]:
    from conformance.fuzz.catalog import PROPERTY_CHECKS

    return [
        PROPERTY_CHECKS[c.id].result("skipped", FUZZ_NOT_REPLAYED) if c.id in PROPERTY_CHECKS else c
        for c in checks
    ]


def rejudge(
    source: Path, report_dir: Path | None = None, progress: Any = None
) -> tuple[Report, RunResult, dict[str, Path]]:
    """Replay ``source`` through the current suite; write and return the new report."""
    recording = Recording.load(source)
    register_secret(Replayer.API_KEY)
    wiring = Replayer(recording)
    target = target_from_recording(recording.meta, wiring.api_key)
    # The suite keeps state in its report dir (deferred expiry checks): a replay gets its own.
    out = report_dir or Path(f"{default_report_dir(target)}-rejudged")
    if out.resolve() == recording.path.parent.resolve():
        raise UsageError(f"--report-dir {out} is the recorded run's own report dir: pick another")
    options = RunOptions(
        report_dir=out,
        only=recording.meta.get("only"),
        skip=recording.meta.get("skip"),
        fuzz=False,
        write_reports=False,
        progress=progress,
        wiring=wiring,
    )
    with wiring.clock.installed():
        result = execute(target, options)
    tool = recording.meta.get("tool") or {}
    report = dataclasses.replace(
        result.report,
        # The target as recorded (a bundled provider stays "bundled", though none ran now).
        target=dict(recording.meta["target"]),
        checks=_unreplayed_fuzz(result.report.checks),
        fuzz=FuzzSection(skipped=FUZZ_NOT_REPLAYED),
        rejudged_from={
            "recording": str(recording.path),
            "sha256": hashlib.sha256(recording.path.read_bytes()).hexdigest(),
            "recorded_at": str(recording.meta.get("started_at", "")),
            "recorded_by": {
                "version": str(tool.get("version", "unknown")),
                "suite_version": str(tool.get("suite_version", "unknown")),
            },
            "unused_answers": recording.unused(),
        },
    )
    from conformance.report.writers import write_all

    paths = write_all(report, out)
    return report, result, paths


def main(args: argparse.Namespace) -> int:
    """Re-judge; exit as ``run`` would on the new report (0 passed, 1 failure)."""
    from conformance.report.gate import evaluate

    def progress(line: str) -> None:
        print(line, flush=True)

    report, _, paths = rejudge(args.recording, args.report_dir, None if args.quiet else progress)
    summary = report.summary()["by_outcome"]
    counts = ", ".join(f"{n} {o}" for o, n in summary.items() if n)
    recorded = report.rejudged_from or {}
    print(f"rejudged {recorded.get('recording')} (recorded {recorded.get('recorded_at')})")
    print(f"verdict: {report.verdict()} ({counts})")
    gate = evaluate(report, None)
    for line in gate.lines:
        print(line, file=sys.stderr if gate.exit_code else sys.stdout)
    if "report.html" in paths:
        print(f"report: {paths['report.html']}")
    return gate.exit_code

"""``video-conformance run``: check one provider against the contract and write its report."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from conformance import live
from conformance.catalog import FEATURES, select
from conformance.config import Overrides, check_positive, resolve_target
from conformance.errors import UsageError
from conformance.runner import DEFAULT_FUZZ_BUDGET_S, RunOptions, default_report_dir, execute


def split_patterns(values: list[str] | None) -> list[str] | None:
    """``--only a,b --only c`` → ``["a", "b", "c"]``; each must name a check, prefix or feature."""
    if not values:
        return None
    patterns = [p.strip() for v in values for p in v.split(",") if p.strip()]
    for pattern in patterns:
        if not select([pattern], None) and pattern not in FEATURES:
            raise UsageError(f"{pattern!r} matches no check id, id prefix or feature")
    return patterns


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that shape the target, its budget and the selection (shared with ``plan``)."""
    target = parser.add_argument_group("target")
    target.add_argument(
        "--profile",
        help="profile TOML file, or a bundled profile name (default: the bundled reference "
        "provider)",
    )
    target.add_argument(
        "--base-url", help="the provider's base URL, including /v1 (default: the profile's)"
    )
    target.add_argument(
        "--api-key",
        help="API key (default: the environment variable the profile names; prefer that: "
        "a flag ends up in shell history)",
    )
    target.add_argument("--model", help="model to request (default: the profile's)")
    budget = parser.add_argument_group("budget and time")
    budget.add_argument(
        "--max-jobs",
        type=int,
        help="most billable jobs the run may create (default: the profile's, else 8)",
    )
    budget.add_argument(
        "--max-video-seconds",
        type=int,
        help="most seconds of video the run may bill (default: the profile's, else 64)",
    )
    budget.add_argument(
        "--job-timeout",
        type=float,
        metavar="SECONDS",
        help="how long a job may run before it counts as stuck (default: the profile's, else 900)",
    )
    budget.add_argument(
        "--expiry-wait",
        type=float,
        metavar="SECONDS",
        help="wait this long for expires_at within the run (default: the profile's, else 60)",
    )
    budget.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="no request is sent after this many seconds of the run "
        "(default: 3 x the job timeout + 300)",
    )
    selection = parser.add_argument_group("selection")
    selection.add_argument(
        "--only",
        action="append",
        metavar="ID|PREFIX|FEATURE",
        help="run only these checks (repeatable, or comma separated; default: every check)",
    )
    selection.add_argument(
        "--skip",
        action="append",
        metavar="ID|PREFIX|FEATURE",
        help="skip these checks (repeatable, or comma separated; default: none)",
    )
    phase = parser.add_argument_group("property phase")
    phase.add_argument(
        "--fuzz-billable",
        action="store_true",
        default=None,
        help="let the property phase send creates that may be accepted and billed "
        "(default: the profile's fuzz_billable, else off)",
    )


def overrides_from(args: argparse.Namespace) -> Overrides:
    """The target-shaping flags, each number checked finite and positive (``nan``, ``inf`` and
    negatives are refused naming the flag)."""
    for name in ("job_timeout", "expiry_wait", "deadline", "max_jobs", "max_video_seconds"):
        flag = f"--{name.replace('_', '-')}"
        check_positive(getattr(args, name, None), flag, allow_zero=name == "expiry_wait")
    return Overrides(
        profile=args.profile,
        base_url=args.base_url,
        api_key=args.api_key,
        model=args.model,
        job_timeout_s=args.job_timeout,
        expiry_wait_s=args.expiry_wait,
        deadline_s=getattr(args, "deadline", None),
        max_jobs=args.max_jobs,
        max_video_seconds=args.max_video_seconds,
        fuzz_billable=args.fuzz_billable,
        bundled=getattr(args, "provider_dialect", None) is not None,
    )


def _group(parser: argparse.ArgumentParser, title: str) -> Any:
    """The argument group ``title`` of ``parser`` (created by ``add_target_arguments``)."""
    for group in parser._action_groups:
        if group.title == title:
            return group
    return parser.add_argument_group(title)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``run``, in groups: target, budget and time, selection, output, property phase."""
    add_target_arguments(parser)
    target = _group(parser, "target")
    target.add_argument(
        "--provider-dialect",
        metavar="NAME",
        help="check the bundled provider speaking a vendor's documented dialect "
        "(e.g. --profile sciforium --provider-dialect sciforium)",
    )
    target.add_argument(
        "--provider-fault",
        action="append",
        default=[],
        metavar="NAME",
        help="bundled provider only: apply a fault switch (repeatable; default: none)",
    )
    target.add_argument(
        "--render-seconds",
        type=float,
        default=0.3,
        help="bundled provider only: seconds one render takes (default: %(default)s)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--report-dir", type=Path, help="where the reports go (default: reports/<target-name>/)"
    )
    output.add_argument(
        "--baseline",
        type=Path,
        help="per-vendor baseline of known failures for the gate (default: none)",
    )
    shown = output.add_mutually_exclusive_group()
    shown.add_argument("--quiet", "-q", action="store_true", help="print only the verdict")
    shown.add_argument(
        "--verbose", "-v", action="store_true", help="also print each exchange as it happens"
    )
    phase = _group(parser, "property phase")
    phase.add_argument(
        "--seed", type=int, help="seed of the property phase (default: a new one, reported)"
    )
    phase.add_argument(
        "--fuzz-budget-seconds",
        type=float,
        default=DEFAULT_FUZZ_BUDGET_S,
        metavar="SECONDS",
        help="time bound of the property phase (default: %(default)s)",
    )
    phase.add_argument("--no-fuzz", action="store_true", help="skip the property phase")
    # Help lists the groups in the order a person decides them: the property phase last.
    parser._action_groups.remove(phase)
    parser._action_groups.append(phase)


def check_report_dir(path: Path) -> None:
    """Preflight: the report directory can be created and written, before anything is sent
    (a paid run must not end with nowhere to put its report)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise UsageError(
            f"--report-dir {path}: not writable ({exc.strerror or type(exc).__name__})"
        ) from None


def main(args: argparse.Namespace) -> int:
    target = resolve_target(overrides_from(args))
    behaviour = None
    if (args.provider_fault or args.render_seconds != 0.3) and not target.bundled:
        raise UsageError("--provider-fault and --render-seconds apply to the bundled provider only")
    check_positive(args.render_seconds, "--render-seconds", allow_zero=True)
    check_positive(args.fuzz_budget_seconds, "--fuzz-budget-seconds", allow_zero=True)
    check_report_dir(args.report_dir or default_report_dir(target))
    if args.provider_fault or args.provider_dialect:
        from conformance.provider import dialects
        from conformance.provider.behaviour import Behaviour
        from conformance.provider.faults import apply_faults

        try:
            base = dialects.load(args.provider_dialect).behaviour if args.provider_dialect else None
            behaviour = apply_faults(base or Behaviour(), args.provider_fault)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.baseline is not None and not args.baseline.is_file():
        raise UsageError(f"baseline {args.baseline} not found")

    only, skip = split_patterns(args.only), split_patterns(args.skip)
    display = live.make_display(
        live.feature_totals(select(only, skip)),
        fuzz_budget_s=None if args.no_fuzz else args.fuzz_budget_seconds,
        quiet=args.quiet,
        verbose=args.verbose,
        max_jobs=target.budget.max_jobs,
    )
    with live.shown(display):
        result = execute(
            target,
            RunOptions(
                report_dir=args.report_dir,
                only=only,
                skip=skip,
                baseline=args.baseline,
                seed=args.seed,
                fuzz=not args.no_fuzz,
                fuzz_budget_s=args.fuzz_budget_seconds,
                render_seconds=args.render_seconds,
                provider_behaviour=behaviour,
                progress=None if args.quiet else display.log,
            ),
        )
    summary = result.report.summary()["by_outcome"]
    counts = ", ".join(f"{n} {o}" for o, n in summary.items() if n)
    print(f"verdict: {result.report.verdict()} ({counts})")
    for line in result.gate_lines:
        print(line, file=sys.stderr if result.exit_code else sys.stdout)
    if "report.html" in result.paths:
        print(f"report: {result.paths['report.html']}")
    return result.exit_code

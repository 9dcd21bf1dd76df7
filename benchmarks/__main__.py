"""``python -m benchmarks [--quick] [--only NAME,...] [--output PATH]``: run, write RESULTS.md."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import markdown as md
from benchmarks.common import Section, log
from benchmarks.machine import describe
from conformance.redact import redact_text

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = ("wall", "polling", "billing", "throughput", "memory", "fresh")


@dataclass(frozen=True)
class Plan:
    """How much of each benchmark to run."""

    full_runs: int
    fuzz_runs: int
    phase_runs: int
    polling_durations: int
    polling_jobs_each: int
    polling_long_durations: tuple[float, ...]
    billing_shipped_profile: bool
    schemathesis_runs: int
    schemathesis_bound_s: float
    throughput_levels: tuple[int, ...]
    throughput_jobs_each: int
    throughput_cap_s: float


FULL = Plan(
    full_runs=5,
    fuzz_runs=2,
    phase_runs=3,
    polling_durations=5,
    polling_jobs_each=3,
    polling_long_durations=(6.0, 12.0),
    billing_shipped_profile=True,
    schemathesis_runs=3,
    schemathesis_bound_s=300.0,
    throughput_levels=(1, 10, 100),
    throughput_jobs_each=3,
    throughput_cap_s=180.0,
)
QUICK = Plan(
    full_runs=2,
    fuzz_runs=1,
    phase_runs=1,
    polling_durations=2,
    polling_jobs_each=2,
    polling_long_durations=(6.0,),
    billing_shipped_profile=False,
    schemathesis_runs=1,
    schemathesis_bound_s=120.0,
    throughput_levels=(1, 10, 100),
    throughput_jobs_each=1,
    throughput_cap_s=90.0,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks: wall time, polling, billable jobs, provider throughput, "
        "checker memory, first report from a fresh install; writes RESULTS.md.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of: {', '.join(BENCHMARKS)} (default: all)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO / "benchmarks" / "RESULTS.md",
        help="where to write the results (default: benchmarks/RESULTS.md)",
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown or not chosen:
        parser.error(f"--only: unknown benchmark(s) {unknown or args.only!r}; known: {BENCHMARKS}")
    args.only = [name for name in BENCHMARKS if name in chosen]
    if args.output.exists() and args.output.is_dir():
        parser.error(f"--output {args.output} is a directory")
    return args


def _guarded(name: str, work: Callable[[], Section]) -> Section:
    """Run one benchmark; a crash becomes a section saying so (the others still run)."""
    try:
        return work()
    except Exception as exc:
        message = redact_text(f"{type(exc).__name__}: {exc}")
        log(f"{name} failed: {message}")
        return Section(name, f"**Did not complete:** {message}", [(name, "runs", message, "error")])


def run(args: argparse.Namespace) -> tuple[list[Section], float]:
    plan = QUICK if args.quick else FULL
    sections: list[Section] = []
    started = time.monotonic()
    phases: list = []
    if "wall" in args.only or "billing" in args.only:
        from benchmarks import wall

        def bench_wall() -> Section:
            chosen = "wall" in args.only
            section, found = wall.run(
                plan.full_runs if chosen else 0, plan.fuzz_runs if chosen else 0, plan.phase_runs
            )
            phases.extend(found)
            return section

        wall_section = _guarded("1. Wall time", bench_wall)
        if "wall" in args.only:
            sections.append(wall_section)
    if "polling" in args.only:
        from benchmarks import polling

        sections.append(
            _guarded(
                "2. Polling efficiency",
                lambda: polling.run(
                    plan.polling_durations, plan.polling_jobs_each, plan.polling_long_durations
                ),
            )
        )
    if "billing" in args.only:
        from benchmarks import billing

        sections.append(
            _guarded(
                "3. Billable jobs",
                lambda: billing.run(
                    plan.billing_shipped_profile,
                    plan.schemathesis_runs,
                    plan.schemathesis_bound_s,
                    phases,
                ),
            )
        )
    if "throughput" in args.only:
        from benchmarks import throughput

        sections.append(
            _guarded(
                "4. Throughput",
                lambda: throughput.run(
                    plan.throughput_levels, plan.throughput_jobs_each, plan.throughput_cap_s
                ),
            )
        )
    if "memory" in args.only:
        from benchmarks import memory

        sections.append(_guarded("5. Checker memory against hostile providers", memory.run))
    if "fresh" in args.only:
        from benchmarks import fresh

        sections.append(_guarded("6. First report from a fresh install", fresh.run))
    return sections, time.monotonic() - started


def render(
    args: argparse.Namespace, machine: list[tuple[str, str]], sections: list[Section], took: float
) -> str:
    """The whole RESULTS.md."""
    command = "nox -s bench" + (" -- --quick" if args.quick else "")
    if args.only != list(BENCHMARKS):
        quick = " --quick" if args.quick else ""
        command = f"python -m benchmarks{quick} --only {','.join(args.only)}"
    summary = md.table(
        ["goal", "target", "measured", "verdict"],
        [list(row) for section in sections for row in section.targets],
    )
    parts = [
        "# Benchmark results",
        f"Written by `{command}` ({'quick' if args.quick else 'full'} run, "
        f"{took / 60:.1f} min). Do not edit by hand: rerun the benchmark. How each number is "
        "measured: `benchmarks/README.md`. Timings on a shared 2-core machine are noisy: read "
        "medians and same-run ratios, not single absolute times.",
        "## Machine",
        md.table(["", ""], [[k, v] for k, v in machine]),
        "## Targets",
        summary,
    ]
    for section in sections:
        parts += [f"## {section.title}", section.body]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = describe(REPO)
    sections, took = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(args, machine, sections, took), encoding="utf-8")
    log(f"wrote {args.output} in {took / 60:.1f} min")
    errors = [row for section in sections for row in section.targets if row[3] == "error"]
    return 3 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark 1: wall time of a whole run against the longest chain of dependent jobs.

Each repetition runs ``video-conformance run --render-seconds 3 --no-fuzz`` as a user runs it:
a fresh interpreter, the bundled provider (started by the command itself), the report written,
the process gone (``benchmarks.command``). The provider's store gives every job the run created,
with the provider's own float timestamps:

- longest chain = max over jobs of (completed_at - created_at of the job at the root of its
  remix chain): the floor no amount of concurrency removes (create → complete → remix →
  complete);
- serial sum = Σ (completed_at - created_at): the run if it waited for one job after another;
- wall = from starting the process to its exit (start-up and report included).

The same command with the property phase (no ``--no-fuzz``) is measured too, and, with
``BENCH_BASELINE``, the command of another commit beside this one's, alternating, so that both
see the same machine load. Where a run's time goes beyond the chain is shown for the last run:
start-up (process start → first create), the jobs, and the tail (last job finished → exit); the
start-up's imports come from ``python -X importtime`` in a fresh interpreter.

The property phase is also timed on its own (``run_property_phase`` against a fresh provider
that holds one completed job, as in a run), with the jobs the provider created meanwhile.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import markdown as md
from benchmarks.command import CommandRun, baseline_tree, command_env, run_command
from benchmarks.common import BUNDLED_PROVIDER_SETTINGS, Section, log, reference_target
from benchmarks.providers import StoredJob, local_provider
from benchmarks.stats import Target, median, ratio
from conformance.budget import Budget, BudgetLimits
from conformance.client import Client
from conformance.runner import DEFAULT_FUZZ_BUDGET_S

RENDER_SECONDS = 3.0
CHAIN_TARGET = Target("wall time / longest chain of dependent jobs (`--no-fuzz`)", 1.15)
THIS = "this commit"
RUN_ARGS = ["--render-seconds", f"{RENDER_SECONDS:g}", "--quiet"]
IMPORT_MODULE = "conformance.commands.run"
"""What ``video-conformance run`` imports before it does anything (see ``cli.build_parser``)."""


@dataclass(frozen=True)
class PhaseSample:
    """One property phase on its own."""

    duration_s: float
    requests: int
    provider_jobs: int
    phase_billable_jobs: int


@dataclass(frozen=True)
class RunFigures:
    """What one whole command shows against its jobs."""

    run: CommandRun
    serial_sum_s: float
    chain_s: float | None
    unfinished: int
    startup_s: float | None
    """Process start → the first create reaching the provider."""
    tail_s: float | None
    """The last job finished (provider) → the process exited."""

    @property
    def chain_ratio(self) -> float | None:
        return ratio(self.run.wall_s, self.chain_s)

    @property
    def serial_ratio(self) -> float | None:
        return ratio(self.run.wall_s, self.serial_sum_s)


def longest_chain(jobs: list[StoredJob]) -> float | None:
    """Longest create→…→terminal span along ``remixed_from`` links; None if nothing finished."""
    by_id = {job.id: job for job in jobs}
    spans = []
    for job in jobs:
        if job.completed_at is None:
            continue
        root = job
        seen = {job.id}
        while root.remixed_from in by_id and root.remixed_from not in seen:
            seen.add(root.remixed_from)
            root = by_id[root.remixed_from]
        spans.append(job.completed_at - root.created_at)
    return max(spans) if spans else None


def figures(run: CommandRun) -> RunFigures:
    """Chain, serial sum, start-up and tail of one command, from its provider's store."""
    jobs = run.jobs
    renders = [job.render_s for job in jobs if job.render_s is not None]
    first = min((job.created_at for job in jobs), default=None)
    last = max((job.completed_at for job in jobs if job.completed_at is not None), default=None)
    ended = run.started_wall + run.wall_s
    return RunFigures(
        run=run,
        serial_sum_s=sum(renders),
        chain_s=longest_chain(jobs),
        unfinished=len(jobs) - len(renders),
        startup_s=None if first is None else first - run.started_wall,
        tail_s=None if last is None else ended - last,
    )


def timeline(f: RunFigures) -> list[list[str]]:
    """Where one command's time went: start-up, each job (the provider's view), the tail."""
    start = f.run.started_wall
    names = {job.id: f"job {index}" for index, job in enumerate(f.run.jobs, 1)}
    rows = [["start-up (process start → first create)", "+0.00 s", "", "", "", ""]]
    rows[0][2] = "n/a" if f.startup_s is None else f"+{f.startup_s:.2f} s"
    rows[0][3] = md.fmt_seconds(f.startup_s)
    for job in f.run.jobs:
        rows.append(
            [
                names[job.id],
                f"+{job.created_at - start:.2f} s",
                "n/a" if job.completed_at is None else f"+{job.completed_at - start:.2f} s",
                md.fmt_seconds(job.render_s),
                job.status + (" (deleted)" if job.deleted else ""),
                names.get(job.remixed_from or "", ""),
            ]
        )
    if f.tail_s is not None:
        rows.append(
            [
                "tail (last job finished → exit: downloads, suite, clean-up, report)",
                f"+{f.run.wall_s - f.tail_s:.2f} s",
                f"+{f.run.wall_s:.2f} s",
                md.fmt_seconds(f.tail_s),
                f"exit {f.run.exit_code}",
                "",
            ]
        )
    return rows


def import_times(tree: Path | None = None, top: int = 8) -> tuple[float | None, list[list[str]]]:
    """(total seconds, biggest imports) of ``import conformance.commands.run`` in a fresh
    interpreter, from ``python -X importtime`` (its stderr: one line per module with the
    cumulative microseconds, indented two spaces per level). Total = the top-level imports
    summed; biggest = the modules imported directly by a top-level one."""
    with tempfile.TemporaryDirectory(prefix="vc-bench-imp-") as tmp:
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {IMPORT_MODULE}"],
            capture_output=True, text=True, timeout=120, cwd=tmp,
            env=command_env(tree, Path(tmp)),
        )  # fmt: skip
    levels: dict[int, list[tuple[int, str]]] = {0: [], 1: []}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$", line)
        depth = len(match.group(3)) // 2 if match else -1
        if match and depth in levels:
            levels[depth].append((int(match.group(2)), match.group(4)))
    total = sum(us for us, _ in levels[0])
    biggest = sorted(levels[1], reverse=True)[:top]
    return (total / 1e6 if levels[0] else None), [
        [name, f"{us / 1000:.0f} ms"] for us, name in biggest
    ]


def _completed_job(client: Client, timeout_s: float = 60.0) -> str | None:
    """Create one job and wait for it: the phase gets a completed job, as in a run."""
    response = client.create(
        {"model": "sora-2", "prompt": "benchmark seed job", "size": "720x1280", "seconds": "4"}
    )
    body = response.json()
    video_id = body.get("id") if isinstance(body, dict) else None
    if not response.ok or not isinstance(video_id, str):
        return None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.retrieve(video_id).json()
        status = body.get("status") if isinstance(body, dict) else None
        if status == "completed":
            return video_id
        if status == "failed":
            return None
        time.sleep(0.2)
    return None


def phase_once(seed: int) -> PhaseSample:
    """The property phase alone, with the default time budget, not billable (the default)."""
    from conformance.fuzz import PropertyContext, run_property_phase

    with (
        local_provider(render_seconds=0.3, **BUNDLED_PROVIDER_SETTINGS) as provider,
        tempfile.TemporaryDirectory(prefix="vc-bench-fuzz-") as work,
    ):
        target = reference_target(provider, fuzz_billable=False)
        with Client(target) as client:
            completed = _completed_job(client)
            before = len(provider.jobs())
            result = run_property_phase(
                PropertyContext(
                    base_url=target.base_url,
                    auth_headers=client.auth_headers(),
                    budget=Budget(BudgetLimits()),
                    completed_video=lambda: completed,
                    seed=seed,
                    time_budget_s=DEFAULT_FUZZ_BUDGET_S,
                    billable_positive=False,
                    request_timeout_s=target.request_timeout_s,
                    work_dir=Path(work),
                )
            )
        after = len(provider.jobs())
    return PhaseSample(
        duration_s=result.duration_s,
        requests=sum(result.requests_per_operation.values()),
        provider_jobs=after - before,
        phase_billable_jobs=result.billable_jobs,
    )


def run(
    repetitions: int, fuzz_repetitions: int, phase_repetitions: int
) -> tuple[Section, list[PhaseSample]]:
    """Benchmark 1; the phase samples are shared with benchmark 3 (jobs from the phase)."""
    tree = baseline_tree()
    trees: list[tuple[str, Path | None]] = [(THIS, None)]
    if tree is not None:
        trees.insert(0, (f"baseline ({tree.name})", tree))
    runs: dict[tuple[str, bool], list[RunFigures]] = {}
    for fuzz, count in ((False, repetitions), (True, fuzz_repetitions)):
        args = RUN_ARGS + ([] if fuzz else ["--no-fuzz"])
        for index in range(count):
            # Alternating per repetition: the baseline and this commit see the same load.
            for label, source in trees:
                what = "with the property phase" if fuzz else "--no-fuzz"
                log(f"wall: {label}, whole command {index + 1}/{count} ({what})")
                runs.setdefault((label, fuzz), []).append(figures(run_command(label, args, source)))
    imports = {label: import_times(source) for label, source in trees}
    phases = []
    for index in range(phase_repetitions):
        log(f"wall: property phase alone {index + 1}/{phase_repetitions}")
        phases.append(phase_once(seed=index + 1))
    return _section(runs, imports, phases), phases


def _run_rows(samples: list[RunFigures]) -> list[list[str]]:
    rows = [
        [
            str(index),
            md.fmt_seconds(f.run.wall_s),
            f"{len(f.run.jobs)} ({f.unfinished} unfinished)",
            md.fmt_seconds(f.serial_sum_s),
            md.fmt_seconds(f.chain_s),
            md.fmt_seconds(f.startup_s),
            md.fmt_seconds(f.tail_s),
            md.fmt_ratio(f.serial_ratio),
            md.fmt_ratio(f.chain_ratio),
            md.fmt_bytes(f.run.peak_rss),
            f"{f.run.exit_code}" + (f" ({f.run.error})" if f.run.error else ""),
        ]
        for index, f in enumerate(samples, 1)
    ]
    rows.append(
        [
            "**median**",
            md.fmt_seconds(median([f.run.wall_s for f in samples])),
            md.fmt_number(median([float(len(f.run.jobs)) for f in samples])),
            md.fmt_seconds(median([f.serial_sum_s for f in samples])),
            md.fmt_seconds(_median_of(f.chain_s for f in samples)),
            md.fmt_seconds(_median_of(f.startup_s for f in samples)),
            md.fmt_seconds(_median_of(f.tail_s for f in samples)),
            f"**{md.fmt_ratio(_median_of(f.serial_ratio for f in samples))}**",
            f"**{md.fmt_ratio(_median_of(f.chain_ratio for f in samples))}**",
            md.fmt_bytes(max((f.run.peak_rss or 0 for f in samples), default=0) or None),
            "",
        ]
    )
    return rows


def _median_of(values: Iterable[float | None]) -> float | None:
    return median([v for v in values if v is not None])


RUN_HEADERS = [
    "run",
    "wall",
    "jobs created",
    "serial sum",
    "longest chain",
    "start-up",
    "tail",
    "wall / serial",
    "wall / chain",
    "peak RSS (command)",
    "exit",
]


def _section(
    runs: dict[tuple[str, bool], list[RunFigures]],
    imports: dict[str, tuple[float | None, list[list[str]]]],
    phases: list[PhaseSample],
) -> Section:
    parts = [
        "`python -m conformance run --render-seconds 3 --quiet [--no-fuzz]` in a fresh "
        "interpreter, as a user runs it: the bundled provider (TTL 3 s, or 30 s with the "
        "property phase; 8 render slots; queue 64) started by the command itself, the report "
        "written, wall = process start to exit. Job times come from the provider's store "
        "(float timestamps). Start-up = process start → first create; tail = last job "
        "finished → exit. Ratios are per run, then the median. Peak RSS = the command's own "
        "`ru_maxrss` (checker and bundled provider share that process; render workers apart).",
    ]
    for (label, fuzz), samples in runs.items():
        what = "with the property phase (default budget 60 s)" if fuzz else "`--no-fuzz`"
        parts += [f"**{label}, {what}:**", md.table(RUN_HEADERS, _run_rows(samples))]
    own = runs.get((THIS, False), [])
    if own:
        last = own[-1]
        parts += [
            f"Where the time went in this commit's last `--no-fuzz` run (wall "
            f"{md.fmt_seconds(last.run.wall_s)}, chain {md.fmt_seconds(last.chain_s)}; times "
            "after the process started):",
            md.table(["step", "started", "finished", "took", "final status", "remix of"],
                     timeline(last)),
        ]  # fmt: skip
    for label, (total, biggest) in imports.items():
        parts += [
            f"Start-up imports, {label}: `import {IMPORT_MODULE}` in a fresh interpreter takes "
            f"{md.fmt_seconds(total)} (`python -X importtime`, top-level imports summed); the "
            "biggest (imported directly by a top-level one):",
            md.table(["module", "cumulative"], biggest),
        ]
    parts += [
        "Property phase on its own (`run_property_phase`, default time budget "
        f"{DEFAULT_FUZZ_BUDGET_S:g} s, not billable, default budget, one completed job "
        "pinned), against a fresh provider that rejects all invalid input:",
        _phase_table(phases),
    ]
    targets = []
    for (label, fuzz), samples in runs.items():
        value = _median_of(f.chain_ratio for f in samples)
        if label == THIS and not fuzz:
            row = (CHAIN_TARGET.label, CHAIN_TARGET.describe(), md.fmt_ratio(value),
                   CHAIN_TARGET.verdict(value))  # fmt: skip
        else:
            what = "with the property phase" if fuzz else "`--no-fuzz`"
            row = (f"wall time / longest chain, {label}, {what}", "report",
                   md.fmt_ratio(value), "—")  # fmt: skip
        targets.append(row)
    rss = [f.run.peak_rss for f in own if f.run.peak_rss is not None]
    targets.append(("peak RSS of the whole command (checker + bundled provider), `--no-fuzz`",
                    "report", md.fmt_bytes(max(rss) if rss else None), "—"))  # fmt: skip
    return Section("1. Wall time of a whole run vs the longest chain", "\n\n".join(parts), targets)


def _phase_table(phases: list[PhaseSample]) -> str:
    rows = [
        [
            str(index),
            md.fmt_seconds(p.duration_s),
            str(p.requests),
            str(p.provider_jobs),
            str(p.phase_billable_jobs),
        ]
        for index, p in enumerate(phases, 1)
    ]
    if phases:
        rows.append(
            [
                "**median**",
                md.fmt_seconds(median([p.duration_s for p in phases])),
                md.fmt_number(median([float(p.requests) for p in phases])),
                md.fmt_number(median([float(p.provider_jobs) for p in phases])),
                md.fmt_number(median([float(p.phase_billable_jobs) for p in phases])),
            ]
        )
    return md.table(
        [
            "phase (seed)",
            "duration",
            "requests sent",
            "jobs the provider created",
            "billable jobs (phase's own count)",
        ],
        rows,
    )

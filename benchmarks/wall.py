"""Benchmark 1: wall time of a full run against the serial sum of its jobs, and the chain.

Each repetition starts a fresh reference provider (``render_seconds=3``, otherwise the settings
the bundled provider gets), runs the whole suite with ``--no-fuzz`` through
``runner.execute``, then reads the provider's store: every job the run created, with the
provider's own float timestamps.

- serial sum = Σ (completed_at - created_at) over the jobs the run created: the time the run
  would take if it waited for one job after another;
- longest chain = max over jobs of (completed_at - created_at of the job at the root of its
  remix chain): the floor no amount of concurrency removes (create → complete → remix →
  complete);
- wall = the time ``execute`` took (provider start excluded: a user checking a vendor has none).

The property phase is timed on its own (``run_property_phase`` against a fresh provider that
holds one completed job, as in a run), with the jobs the provider created meanwhile.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import markdown as md
from benchmarks.common import BUNDLED_PROVIDER_SETTINGS, Section, log, reference_target
from benchmarks.providers import StoredJob, local_provider
from benchmarks.stats import Target, median, ratio
from conformance.budget import Budget, BudgetLimits
from conformance.client import Client
from conformance.runner import DEFAULT_FUZZ_BUDGET_S, RunOptions, execute

RENDER_SECONDS = 3.0
RATIO_TARGET = Target("wall time / serial sum of job render times", 0.5)
CHAIN_TARGET = Target("wall time / longest chain of dependent jobs", 1.5)


@dataclass(frozen=True)
class RunSample:
    """One full run (no property phase)."""

    wall_s: float
    serial_sum_s: float
    chain_s: float | None
    jobs: int
    unfinished_jobs: int
    first_create_s: float | None
    """From the start of ``execute`` to the first create reaching the provider."""
    verdict: str
    timeline: list[list[str]]
    """Per job: id, created and finished (seconds after the run started), render, status."""


@dataclass(frozen=True)
class PhaseSample:
    """One property phase on its own."""

    duration_s: float
    requests: int
    provider_jobs: int
    phase_billable_jobs: int


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


def run_once() -> RunSample:
    """One ``--no-fuzz`` run against a fresh provider."""
    with (
        local_provider(render_seconds=RENDER_SECONDS, **BUNDLED_PROVIDER_SETTINGS) as provider,
        tempfile.TemporaryDirectory(prefix="vc-bench-report-") as report_dir,
    ):
        target = reference_target(provider)
        started_wall = time.time()
        started = time.monotonic()
        result = execute(
            target, RunOptions(fuzz=False, write_reports=False, report_dir=Path(report_dir))
        )
        wall = time.monotonic() - started
        jobs = provider.jobs()
    renders = [job.render_s for job in jobs if job.render_s is not None]
    first = min((job.created_at for job in jobs), default=None)
    return RunSample(
        wall_s=wall,
        serial_sum_s=sum(renders),
        chain_s=longest_chain(jobs),
        jobs=len(jobs),
        unfinished_jobs=len(jobs) - len(renders),
        first_create_s=None if first is None else first - started_wall,
        verdict=result.report.verdict(),
        timeline=_timeline(jobs, started_wall),
    )


def _timeline(jobs: list[StoredJob], started_wall: float) -> list[list[str]]:
    """Where a run's time went, job by job (the provider's view)."""
    names = {job.id: f"job {index}" for index, job in enumerate(jobs, 1)}
    return [
        [
            names[job.id],
            f"+{job.created_at - started_wall:.2f} s",
            "n/a" if job.completed_at is None else f"+{job.completed_at - started_wall:.2f} s",
            md.fmt_seconds(job.render_s),
            job.status + (" (deleted)" if job.deleted else ""),
            names.get(job.remixed_from or "", ""),
        ]
        for job in jobs
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


def run(repetitions: int, phase_repetitions: int) -> tuple[Section, list[PhaseSample]]:
    """Benchmark 1; the phase samples are shared with benchmark 3 (jobs from the phase)."""
    samples = []
    for index in range(repetitions):
        log(f"wall: full run {index + 1}/{repetitions} (render {RENDER_SECONDS:g} s, --no-fuzz)")
        samples.append(run_once())
    phases = []
    for index in range(phase_repetitions):
        log(f"wall: property phase alone {index + 1}/{phase_repetitions}")
        phases.append(phase_once(seed=index + 1))
    return _section(samples, phases), phases


def _section(samples: list[RunSample], phases: list[PhaseSample]) -> Section:
    rows = []
    serial_ratios: list[float] = []
    chain_ratios: list[float] = []
    for index, s in enumerate(samples, 1):
        r_serial = ratio(s.wall_s, s.serial_sum_s)
        r_chain = ratio(s.wall_s, s.chain_s)
        serial_ratios += [r_serial] if r_serial is not None else []
        chain_ratios += [r_chain] if r_chain is not None else []
        rows.append(
            [
                str(index),
                md.fmt_seconds(s.wall_s),
                f"{s.jobs} ({s.unfinished_jobs} unfinished)",
                md.fmt_seconds(s.serial_sum_s),
                md.fmt_seconds(s.chain_s),
                md.fmt_seconds(s.first_create_s),
                md.fmt_ratio(r_serial),
                md.fmt_ratio(r_chain),
                s.verdict,
            ]
        )
    med_serial = median(serial_ratios)
    med_chain = median(chain_ratios)
    rows.append(
        [
            "**median**",
            md.fmt_seconds(median([s.wall_s for s in samples])),
            md.fmt_number(median([float(s.jobs) for s in samples])),
            md.fmt_seconds(median([s.serial_sum_s for s in samples])),
            md.fmt_seconds(median([s.chain_s for s in samples if s.chain_s is not None])),
            md.fmt_seconds(
                median([s.first_create_s for s in samples if s.first_create_s is not None])
            ),
            f"**{md.fmt_ratio(med_serial)}**",
            f"**{md.fmt_ratio(med_chain)}**",
            "",
        ]
    )
    runs_table = md.table(
        [
            "run",
            "wall",
            "jobs created",
            "serial sum",
            "longest chain",
            "start → first create",
            "wall / serial",
            "wall / chain",
            "verdict",
        ],
        rows,
    )
    phase_rows = [
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
        phase_rows.append(
            [
                "**median**",
                md.fmt_seconds(median([p.duration_s for p in phases])),
                md.fmt_number(median([float(p.requests) for p in phases])),
                md.fmt_number(median([float(p.provider_jobs) for p in phases])),
                md.fmt_number(median([float(p.phase_billable_jobs) for p in phases])),
            ]
        )
    phase_table = md.table(
        [
            "phase (seed)",
            "duration",
            "requests sent",
            "jobs the provider created",
            "billable jobs (phase's own count)",
        ],
        phase_rows,
    )
    ideal = _ideal_ratio(samples)
    last = samples[-1] if samples else None
    last_wall = md.fmt_seconds(last.wall_s if last else None)
    timeline = (
        md.table(
            ["job", "created", "finished", "render", "final status", "remix of"], last.timeline
        )
        if last
        else ""
    )
    body = "\n\n".join(
        [
            f"Reference provider in-process, `render_seconds={RENDER_SECONDS:g}`, the bundled "
            "provider's other settings (TTL 3 s, 8 render slots, queue 64); the `reference` "
            "profile pointed at it; `--no-fuzz`; a fresh provider per run. Job times come from "
            "the provider's store (float timestamps). Ratios are per run, then the median.",
            runs_table,
            f"Floor for this job mix: longest chain / serial sum = {md.fmt_ratio(ideal)} "
            "(a run with zero overhead besides the chain).",
            f"Where the time went in the last run (wall {last_wall}; times after `execute` "
            "started, from the provider's store):",
            timeline,
            "Property phase on its own (`run_property_phase`, default time budget "
            f"{DEFAULT_FUZZ_BUDGET_S:g} s, not billable, default budget, one completed job "
            "pinned), against a fresh provider that rejects all invalid input:",
            phase_table,
        ]
    )
    return Section(
        "1. Wall time of a full run vs the serial sum",
        body,
        targets=[
            (
                RATIO_TARGET.label,
                RATIO_TARGET.describe(),
                md.fmt_ratio(med_serial),
                RATIO_TARGET.verdict(med_serial),
            ),
            (
                CHAIN_TARGET.label,
                CHAIN_TARGET.describe(),
                md.fmt_ratio(med_chain),
                CHAIN_TARGET.verdict(med_chain),
            ),
        ],
    )


def _ideal_ratio(samples: list[RunSample]) -> float | None:
    return median([r for r in (ratio(s.chain_s, s.serial_sum_s) for s in samples) if r is not None])

"""Benchmark 3: billable jobs per full run, ours against a plain ``schemathesis run``.

Both run against the same kind of provider (a fresh strict reference provider each,
``render_seconds=3``, the bundled provider's other settings, a queue large enough that no create
is refused for capacity). Jobs are counted by the provider, from its store: every job it
accepted, cleaned up or not. Billable seconds = Σ ``seconds`` of those jobs.

- ours, default budget: the ``reference`` profile with the checker's default budget
  (``BudgetLimits()``) and the property phase not billable (the default for a vendor profile);
- ours, as shipped: the ``reference`` profile as ``video-conformance run`` uses it (its own
  budget, ``fuzz_billable = true``);
- schemathesis: ``schemathesis run <spec> --url <base> -H 'Authorization: Bearer …'`` with
  default settings, stopped after a wall-time bound if it has not finished.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import markdown as md
from benchmarks.common import BUNDLED_PROVIDER_SETTINGS, Section, log, reference_target
from benchmarks.providers import local_provider
from benchmarks.stats import Target, median, ratio
from benchmarks.wall import RENDER_SECONDS, PhaseSample
from conformance.contract import spec_path
from conformance.runner import RunOptions, execute

JOBS_TARGET = Target("billable jobs of our full run, default budget", 5)
PHASE_TARGET = Target("jobs from the property phase, strict provider", 0)
PROVIDER_SETTINGS: dict[str, object] = {**BUNDLED_PROVIDER_SETTINGS, "queue_limit": 100_000}


@dataclass(frozen=True)
class BillingSample:
    """One tool's run and what the provider billed for it."""

    label: str
    provider_jobs: int
    provider_seconds: int
    reported_jobs: int | None
    """What the tool itself says (ours: ``billing.jobs_created``); None for schemathesis."""
    reported_seconds: int | None
    wall_s: float
    note: str


def ours(label: str, *, default_budget: bool) -> BillingSample:
    """One full run of the checker (property phase included) against a fresh provider."""
    with (
        local_provider(render_seconds=RENDER_SECONDS, **PROVIDER_SETTINGS) as provider,
        tempfile.TemporaryDirectory(prefix="vc-bench-report-") as report_dir,
    ):
        target = reference_target(
            provider,
            fuzz_billable=False if default_budget else None,
            default_budget=default_budget,
        )
        started = time.monotonic()
        result = execute(target, RunOptions(write_reports=False, report_dir=Path(report_dir)))
        wall = time.monotonic() - started
        jobs = provider.jobs()
    billing = result.report.billing
    own_count = result.report.fuzz.billable_jobs
    note = (
        f"budget {target.budget.max_jobs} jobs / {target.budget.max_video_seconds} s; "
        f"property phase billable: {'yes' if target.fuzz_billable else 'no'}, "
        f"its own count {'n/a' if own_count is None else own_count}; "
        f"verdict {result.report.verdict()}"
    )
    return BillingSample(
        label=label,
        provider_jobs=len(jobs),
        provider_seconds=sum(job.seconds for job in jobs),
        reported_jobs=int(billing.jobs_created),
        reported_seconds=int(billing.billable_seconds),
        wall_s=wall,
        note=note,
    )


def schemathesis_plain(time_bound_s: float) -> BillingSample:
    """``schemathesis run`` with default settings; its output is discarded (it holds the key)."""
    executable = Path(sys.executable).with_name("schemathesis")
    with local_provider(render_seconds=RENDER_SECONDS, **PROVIDER_SETTINGS) as provider:
        command = [
            str(executable), "run", str(spec_path()), "--url", provider.base_url,
            "-H", f"Authorization: Bearer {provider.api_key}",
        ]  # fmt: skip
        started = time.monotonic()
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir()
        )
        try:
            code: int | None = process.wait(timeout=time_bound_s)
            note = f"finished (exit {code})"
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=15)
            note = f"stopped at the {time_bound_s:g} s bound: a lower bound"
        wall = time.monotonic() - started
        jobs = provider.jobs()
    return BillingSample(
        label="plain `schemathesis run`, default settings",
        provider_jobs=len(jobs),
        provider_seconds=sum(job.seconds for job in jobs),
        reported_jobs=None,
        reported_seconds=None,
        wall_s=wall,
        note=note,
    )


def run(
    include_shipped: bool,
    schemathesis_runs: int,
    schemathesis_bound_s: float,
    phases: list[PhaseSample],
) -> Section:
    """Benchmark 3; ``phases`` are benchmark 1's property-phase samples (jobs they created)."""
    log("billing: our full run, default budget")
    samples = [ours("ours, full run, default budget", default_budget=True)]
    if include_shipped:
        log("billing: our full run, reference profile as shipped")
        samples.append(ours("ours, full run, `reference` profile as shipped", default_budget=False))
    plains = []
    for index in range(schemathesis_runs):
        log(f"billing: plain schemathesis run {index + 1}/{schemathesis_runs}")
        plains.append(schemathesis_plain(schemathesis_bound_s))
    # schemathesis draws a new seed every run, and its job count swings widely between seeds.
    samples += [
        dataclasses.replace(p, label=f"{p.label}, run {i}") for i, p in enumerate(plains, 1)
    ]
    plain_jobs = median([float(p.provider_jobs) for p in plains])
    ours_default = samples[0]
    rows = [
        [
            s.label,
            str(s.provider_jobs),
            f"{s.provider_seconds} s",
            "n/a" if s.reported_jobs is None else f"{s.reported_jobs} / {s.reported_seconds} s",
            md.fmt_ratio(ratio(s.provider_jobs, ours_default.provider_jobs)),
            md.fmt_seconds(s.wall_s, 1),
            s.note,
        ]
        for s in samples
    ]
    rows.append(
        [
            "**schemathesis, median**",
            md.fmt_number(plain_jobs),
            md.fmt_number(median([float(p.provider_seconds) for p in plains])) + " s",
            "n/a",
            f"**{md.fmt_ratio(ratio(plain_jobs, ours_default.provider_jobs))}**",
            md.fmt_seconds(median([p.wall_s for p in plains]), 1),
            f"{len(plains)} run(s), new random seed each",
        ]
    )
    phase_jobs = max((p.provider_jobs for p in phases), default=None)
    body = "\n\n".join(
        [
            "Fresh strict reference provider per row (`render_seconds=3`, TTL 3 s, 8 render "
            "slots, queue 100000 so capacity never refuses a create); jobs and seconds counted "
            "from the provider's store. The ratio column is jobs / jobs of our default-budget "
            "run.",
            md.table(
                [
                    "run",
                    "jobs the provider created",
                    "billable seconds (provider)",
                    "tool's own count (jobs / seconds)",
                    "jobs vs ours",
                    "wall",
                    "note",
                ],
                rows,
            ),
            "Property phase alone (benchmark 1's runs, not billable, strict provider): most jobs "
            f"the provider created in one phase = {md.fmt_number(phase_jobs)}.",
            _node_note(),
        ]
    )
    return Section(
        "3. Billable jobs per full run",
        body,
        targets=[
            (
                JOBS_TARGET.label,
                JOBS_TARGET.describe(),
                str(ours_default.provider_jobs),
                JOBS_TARGET.verdict(ours_default.provider_jobs),
            ),
            (
                PHASE_TARGET.label,
                PHASE_TARGET.describe(),
                md.fmt_number(phase_jobs),
                PHASE_TARGET.verdict(phase_jobs),
            ),
            (
                "schemathesis jobs (median) / ours (default budget)",
                "report",
                md.fmt_ratio(ratio(plain_jobs, ours_default.provider_jobs), 1),
                "—",
            ),
        ],
    )


def _node_note() -> str:
    """Whether the openai-node oracle took part: with it, a run makes two jobs of its own."""
    from conformance.node_oracle.driver import unavailable

    why = unavailable()
    if why is None:
        return (
            "The openai-node oracle ran in these runs: its own job and its remix (2 jobs, "
            "listed by `video-conformance plan`) are in the counts above."
        )
    return (
        f"The openai-node oracle did not run here ({why}): with it installed "
        "(`video-conformance setup-node`), a run makes 2 more jobs, its own and a remix of it "
        "(`video-conformance plan` lists them)."
    )

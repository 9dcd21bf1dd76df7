"""``video-conformance plan``: the jobs a run would create and their cost; sends nothing.

Three sources of jobs: the job pool's own plan (``jobs.plan_jobs``: every job the selected checks
need, the SDK checks' ``create_and_poll`` included), the openai-node oracle's own job and remix
(``node_oracle.session.oracle_jobs``: only when node and the package are installed and
VID-SDK-004 is selected), and the property phase. The phase creates
jobs on purpose only when billable generation is on (``--fuzz-billable`` or the profile's
``fuzz_billable``): positive creates and remixes, and the stateful run. It stops at the run's
budget, so its share is bounded by what the pool leaves of ``max_jobs``/``max_video_seconds``.
With billable generation off it sends only invalid creates and remixes, and stops an operation
after the first one a vendor wrongly accepts.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from conformance.catalog import select
from conformance.commands.run import add_target_arguments, overrides_from, split_patterns
from conformance.config import Target, resolve_target
from conformance.jobs import JobSpec, plan_jobs
from conformance.node_oracle.session import OracleJob, oracle_jobs

CURRENCY = "USD"
"""``price_per_second`` is in US dollars (the report shows costs as ``$``)."""
WRONGLY_ACCEPTED_PER_PHASE = 3
"""Invalid requests a broken vendor could bill in a phase without billable generation: one per
billable operation (create, remix) and one for the hand-built invalid creates."""


@dataclass(frozen=True)
class PropertyJobs:
    """What the property phase may create: on purpose, or only when a vendor is broken."""

    on_purpose: bool
    max_jobs: int
    max_seconds: int


def property_phase_jobs(
    target: Target, pool: list[JobSpec], fuzz: bool, node: Sequence[OracleJob] = ()
) -> PropertyJobs:
    """The most jobs (and seconds) the property phase may create after the pool's ``pool``
    and the openai-node oracle's ``node`` jobs (both reserve their budget before it runs)."""
    if not fuzz:
        return PropertyJobs(on_purpose=False, max_jobs=0, max_seconds=0)
    limits = target.budget
    jobs_left = max(0, limits.max_jobs - len(pool) - len(node))
    seconds = sum(s.billed_seconds for s in pool) + sum(j.billed_seconds for j in node)
    seconds_left = max(0, limits.max_video_seconds - seconds)
    if target.fuzz_billable:
        return PropertyJobs(on_purpose=True, max_jobs=jobs_left, max_seconds=seconds_left)
    from conformance.fuzz.executor import WORST_CASE_SECONDS

    jobs = min(jobs_left, WRONGLY_ACCEPTED_PER_PHASE)
    return PropertyJobs(
        on_purpose=False, max_jobs=jobs, max_seconds=min(seconds_left, jobs * WORST_CASE_SECONDS)
    )


def cost_text(price_per_second: float | None, seconds: float) -> str:
    """``$1.20 USD (at 0.1 USD/s)``, or why there is no estimate."""
    if price_per_second is None:
        return "no price set (add price_per_second to the profile's [budget])"
    return f"${price_per_second * seconds:,.2f} {CURRENCY} (at {price_per_second:g} {CURRENCY}/s)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``plan``: the target, budget and selection flags of ``run``, and ``--no-fuzz``."""
    add_target_arguments(parser)
    for group in parser._action_groups:
        if group.title == "property phase":
            group.add_argument(
                "--no-fuzz", action="store_true", help="plan a run without the property phase"
            )


def main(args: argparse.Namespace) -> int:
    """Print the plan; exit 0."""
    target = resolve_target(overrides_from(args), require_key=False)
    selected = select(split_patterns(args.only), split_patterns(args.skip))
    specs = plan_jobs(target, selected)
    where = "the bundled reference provider" if target.bundled else target.base_url
    print(f"target: {target.name} ({where})")
    print()
    print("job pool (created at the start, shared by every check):")
    print(f"  {'purpose':<18} {'encoding':<10} {'size':<10} {'seconds':<8} description")
    pool_seconds = 0
    for spec in specs:
        fallback = "source" if spec.source else "default"
        size = spec.fields.get("size", fallback)
        seconds = spec.fields.get("seconds", fallback)
        print(
            f"  {spec.purpose:<18} {spec.encoding:<10} {size:<10} {seconds:<8} {spec.description}"
        )
        pool_seconds += spec.billed_seconds
    price = target.budget.price_per_second
    print(f"  {len(specs)} job(s), {pool_seconds} s of video, {cost_text(price, pool_seconds)}")
    print()
    node_jobs = oracle_jobs(target, selected)
    node_seconds = sum(job.billed_seconds for job in node_jobs)
    if node_jobs:
        print("openai-node oracle (VID-SDK-004; its own jobs, started with the pool):")
        for job in node_jobs:
            size = job.fields.get("size", "source")
            seconds = job.fields.get("seconds", "source")
            print(
                f"  {job.purpose:<18} {job.encoding:<10} {size:<10} {seconds:<8} {job.description}"
            )
        print(
            f"  {len(node_jobs)} job(s), {node_seconds} s of video, "
            f"{cost_text(price, node_seconds)}"
        )
        print()
    fuzz = property_phase_jobs(target, specs, not args.no_fuzz, node_jobs)
    if args.no_fuzz:
        print("property phase: off (--no-fuzz)")
    elif fuzz.on_purpose:
        print(
            f"property phase (billable generation on): up to {fuzz.max_jobs} more job(s), "
            f"{fuzz.max_seconds} s of video: valid creates and remixes it generates, and the "
            "stateful run; it stops when the budget is spent"
        )
    else:
        print(
            "property phase: sends only invalid creates and remixes; a vendor that wrongly "
            f"accepts them could bill up to {fuzz.max_jobs} job(s), {fuzz.max_seconds} s"
        )
    total_jobs = len(specs) + len(node_jobs) + fuzz.max_jobs
    total_seconds = pool_seconds + node_seconds + fuzz.max_seconds
    print()
    print(
        f"at most {total_jobs} job(s), {total_seconds} s of video in all, "
        f"estimated cost at most {cost_text(price, total_seconds)}"
    )
    limits = target.budget
    print(
        f"budget: max_jobs={limits.max_jobs}, max_video_seconds={limits.max_video_seconds}; "
        "the suite's validation and auth probes reserve room too and are billed only if a "
        "vendor wrongly accepts them"
    )
    return 0

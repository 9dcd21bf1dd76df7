"""``video-conformance plan``: the jobs a run would create and their cost; sends nothing.

The list is the job pool's own plan (``jobs.plan_jobs``), so it counts every job a run creates
on purpose, the SDK checks' job included (``sdk``: openai-python's ``create_and_poll``).
"""

from __future__ import annotations

import argparse

from conformance.catalog import select
from conformance.commands.run import add_target_arguments, overrides_from, split_patterns
from conformance.config import resolve_target
from conformance.jobs import plan_jobs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)


def main(args: argparse.Namespace) -> int:
    target = resolve_target(overrides_from(args), require_key=False)
    selected = select(split_patterns(args.only), split_patterns(args.skip))
    specs = plan_jobs(target, selected)
    where = "the bundled reference provider" if target.bundled else target.base_url
    print(f"target: {target.name} ({where})")
    print(f"{'purpose':<18} {'encoding':<10} {'size':<10} {'seconds':<8} description")
    total = 0
    for spec in specs:
        fallback = "source" if spec.source else "default"
        size = spec.fields.get("size", fallback)
        seconds = spec.fields.get("seconds", fallback)
        print(f"{spec.purpose:<18} {spec.encoding:<10} {size:<10} {seconds:<8} {spec.description}")
        total += spec.billed_seconds
    limits = target.budget
    print(f"{len(specs)} job(s), {total} s of video", end="")
    if limits.price_per_second is not None:
        print(
            f", estimated {limits.price_per_second * total:.2f} at {limits.price_per_second}/s",
            end="",
        )
    print()
    print(
        f"budget: max_jobs={limits.max_jobs}, max_video_seconds={limits.max_video_seconds}; "
        "validation and auth probes reserve room too and are billed only if a vendor wrongly "
        "accepts them"
    )
    return 0

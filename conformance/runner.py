"""One run, in-process: ``execute(target, options) -> RunResult``.

Order: bundled provider (when the target is bundled) → reachability probe → job pool start →
check suite (pytest session) → property phase → clean-up → ``Report`` → views → gate.
The command ``run`` is a thin shell around this, and the project's tests call it directly.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance import SUITE_VERSION, __version__, catalog, preflight, property_phase
from conformance.budget import Budget
from conformance.bundled import bundled_provider
from conformance.client import Client
from conformance.config import Target
from conformance.errors import HarnessError
from conformance.features import FeatureMap
from conformance.interrupt import RunInterrupted, StopRequest, stop_on_signals
from conformance.jobs import JobPool, plan_jobs
from conformance.node_oracle import session as node_session
from conformance.provider.behaviour import Behaviour
from conformance.recording.wiring import Recorder, Wiring
from conformance.redact import redact_text
from conformance.report.model import Billing, CheckResult, FuzzSection, Report

if TYPE_CHECKING:
    from conformance.suite.context import SuiteContext

DEFAULT_FUZZ_BUDGET_S = 60.0
CLEANUP_GRACE_S = 30.0


@dataclass
class RunOptions:
    """Everything about a run that is not the target."""

    report_dir: Path | None = None
    """Default: ``reports/<target-name>/``."""
    only: list[str] | None = None
    skip: list[str] | None = None
    baseline: Path | None = None
    seed: int | None = None
    fuzz: bool = True
    fuzz_budget_s: float = DEFAULT_FUZZ_BUDGET_S
    render_seconds: float = 0.3
    """Bundled provider only: wall time of one render."""
    provider_behaviour: Behaviour | None = None
    """Bundled provider only: its wire behaviour (fault switches for demos and tests)."""
    progress: Callable[[str], None] | None = field(default=None, repr=False)
    write_reports: bool = True
    wiring: Wiring | None = field(default=None, repr=False)
    """Transports, waits and run tag (``recording.wiring``); default: record ``transcript.har``
    when reports are written, else the plain network."""


@dataclass
class _Phases:
    """What the run's phases leave for the report, also when the run is interrupted."""

    fuzz: FuzzSection = field(default_factory=FuzzSection)
    fuzz_ids: list[str] = field(default_factory=list)
    """Ids of jobs the property phase created, for the clean-up."""
    partial_checks: list[CheckResult] | None = None
    """The results once the suite ran (an interruption after it keeps them)."""


@dataclass
class RunResult:
    """What a run produced."""

    report: Report
    exit_code: int
    gate_lines: list[str]
    paths: dict[str, Path]


def default_report_dir(target: Target) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in target.name) or "target"
    return Path("reports") / safe


def execute(target: Target, options: RunOptions) -> RunResult:
    """Check ``target`` once; write the report (unless told not to) and decide the exit code.

    Always ends with a report: an unreachable target gets one saying so (exit 3), and a run
    stopped by SIGINT/SIGTERM deletes what it created and writes one marked incomplete (exit
    128 + the signal).
    """
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    selected = catalog.select(options.only, options.skip)
    progress = options.progress
    stopping: list[Callable[[], None]] = []

    def stop_work() -> None:
        for stop in stopping:
            stop()

    wiring = options.wiring or (Recorder() if options.write_reports else Wiring())
    release_provider: list[Callable[[], None]] = []
    with (
        stop_on_signals(stop_work) as stop_request,
        bundled_provider(
            target,
            behaviour=options.provider_behaviour,
            render_seconds=options.render_seconds,
            fuzz=options.fuzz,
            release=release_provider,
        ) as live,
        Client(live, transport=wiring.transport) as client,
    ):
        if progress:
            progress(f"checking {live}")
        run_tag = wiring.run_tag or secrets.token_hex(3)
        wiring.bind(live, run_tag, options.only, options.skip)
        budget = Budget(live.budget)
        specs = plan_jobs(live, selected, run_tag)
        features = FeatureMap(live.features, live.absent_features)
        pool = JobPool(
            client,
            budget,
            live,
            specs,
            probe_video=_probe_video,
            poster=_poster_png,
            features=features,
            sdk_transport=wiring.sdk_transport,
            stop=wiring.stop_event(),
        )
        stopping.append(pool.stop)
        report_dir = options.report_dir or default_report_dir(live)
        ctx: SuiteContext | None = None
        harness_errors: list[str] = []
        complete = True
        phases = _Phases()
        checks: list[CheckResult] = []
        try:
            unreachable = preflight.unanswerable(client)
            if unreachable is None:
                # The jobs are the longest part of a run: they start before the suite and its
                # imports (pytest and the check modules), which then overlap the renders.
                wiring.pool_starting()
                pool.start()
                if options.write_reports:
                    _prepare_report_writing()
            from conformance.plugin import PYTEST_HTML
            from conformance.suite.context import SuiteContext

            ctx = SuiteContext(
                replaying=wiring.replaying,
                features=features,
                target=live,
                client=client,
                budget=budget,
                pool=pool,
                selected=selected,
                run_tag=run_tag,
                report_dir=report_dir,
                progress=progress,
                pytest_html=report_dir / PYTEST_HTML if options.write_reports else None,
            )
            if unreachable is not None:
                harness_errors.append(redact_text(unreachable))
                complete = False
                checks = _all_skipped(selected, unreachable)
            else:
                checks = _run_phases(
                    live, client, budget, pool, ctx, options, stop_request, wiring, phases
                )
        except RunInterrupted:
            complete = False
            checks = phases.partial_checks or _all_skipped(
                selected, "not run: the run was interrupted"
            )
            harness_errors.append("the run was interrupted before it finished")
        except HarnessError as exc:
            harness_errors.append(redact_text(str(exc)))
            complete = False
            checks = _all_skipped(selected, f"not run: {redact_text(str(exc))}")
        finally:
            pool.stop()
            pool.join(timeout=5)
            oracle = ctx.node_oracle if ctx is not None else None
            if oracle is not None:
                oracle.stop()
                oracle.wait(timeout=5)
            if time.monotonic() > client.run_ends_at:
                complete = False
                harness_errors.append(
                    f"the run deadline of {live.run_deadline_s:g} s passed before it finished"
                )
                # Deleting what the run created is worth a short while past the deadline.
                client.run_ends_at = time.monotonic() + CLEANUP_GRACE_S
            delete_state = features.state("delete")
            cleanup_notes = pool.cleanup(
                [*(ctx.created_by_checks if ctx is not None else []), *phases.fuzz_ids],
                # What openai-node deleted itself is gone: not deleted twice.
                keep=[
                    *(ctx.keep_ids if ctx is not None else []),
                    *(oracle.deleted_ids if oracle else []),
                ],
                delete_offered={"absent": False, "denied": False}.get(delete_state),
            )
            # Nothing is sent after the clean-up: the bundled provider stops while the report
            # is built and written.
            for release in release_provider:
                release()
        report = Report(
            tool={
                "name": "video-conformance",
                "version": __version__,
                "suite_version": SUITE_VERSION,
                "spec_version": _spec_version(),
            },
            target=live.redacted(),
            started_at=started_at,
            duration_s=time.monotonic() - started,
            checks=checks,
            jobs=pool.job_records(),
            billing=Billing(
                jobs_created=budget.jobs_created,
                billable_seconds=budget.billable_seconds,
                estimated_cost=budget.estimated_cost,
                max_jobs=live.budget.max_jobs,
                max_video_seconds=live.budget.max_video_seconds,
                refused_by_budget=list(budget.refusals),
                cleanup=cleanup_notes,
            ),
            fuzz=phases.fuzz,
            deferred=list(ctx.deferred) if ctx is not None else [],
            features=features.to_report(),
            flow_control={
                "throttled": client.throttles + _sdk_throttles(pool),
                "retries": client.retries,
            },
            harness_errors=harness_errors,
            complete=complete,
        )
        paths: dict[str, Path] = {}
        if options.write_reports:
            from conformance.report.writers import write_all

            paths = write_all(report, report_dir)
            paths.update(wiring.write(report_dir))
    from conformance.report.gate import evaluate

    gate = evaluate(report, options.baseline)
    exit_code = stop_request.exit_code or gate.exit_code
    lines = list(gate.lines)
    if stop_request.exit_code is not None:
        lines.append(f"stopped by a signal: exit {exit_code}")
    return RunResult(report=report, exit_code=exit_code, gate_lines=lines, paths=paths)


def _run_phases(
    live: Target,
    client: Client,
    budget: Budget,
    pool: JobPool,
    ctx: SuiteContext,
    options: RunOptions,
    stop_request: StopRequest,
    wiring: Wiring,
    phases: _Phases,
) -> list[CheckResult]:
    """Jobs, property phase and suite, in that order; what they leave goes to ``phases``."""
    if not pool.started:
        wiring.pool_starting()
        pool.start()
    # The openai-node oracle's own chain runs alongside the pool's; VID-SDK-004 judges it late.
    ctx.node_oracle = node_session.start(
        live,
        ctx.selected,
        budget,
        run_tag=ctx.run_tag,
        wiring=wiring,
        media_cap=client.media_cap,
        run_ends_at=lambda: client.run_ends_at,
    )
    preflight.discover_list(client, ctx.features)
    # The property phase runs while the jobs render: what it probes is mostly free and needs no
    # job, so against a real vendor (jobs take minutes) it costs no wall time, and the completed
    # job it needs for the 200 paths is still fresh when it gets there.
    if options.fuzz:
        fuzz_checks, phases.fuzz, phases.fuzz_ids = property_phase.run_phase(
            live,
            client,
            budget,
            pool,
            wiring,
            seed=options.seed,
            time_budget_s=options.fuzz_budget_s,
        )
    else:
        fuzz_checks = property_phase.skipped_checks("property phase disabled (--no-fuzz)")
        phases.fuzz = FuzzSection(skipped="disabled (--no-fuzz)")
    stop_request.raise_if_stopped()
    from conformance.plugin import run_suite

    checks = run_suite(ctx)
    phases.partial_checks = checks + (
        property_phase.skipped_checks("not run: the run was interrupted")
        if stop_request.signum is not None
        else fuzz_checks
    )
    stop_request.raise_if_stopped()
    pool.join()
    return checks + fuzz_checks


def _prepare_report_writing() -> None:
    """Compile the report's templates and schema validator in the background while the jobs
    render: the report is written after the last job, so whatever is ready by then is time a
    run no longer waits for. A failure here is left to ``write_all``, which meets it again
    and reports it where it matters."""

    def prepare() -> None:
        with contextlib.suppress(Exception):
            from conformance.report.writers import prepare

            prepare()

    threading.Thread(target=prepare, name="report-prepare", daemon=True).start()


def _probe_video(content: bytes) -> Any:
    """``media.probe_video``, imported on first use: PyAV is not needed before a download."""
    from conformance import media

    return media.probe_video(content)


def _poster_png(content: bytes) -> bytes | None:
    """``media.poster_png``, imported on first use (see ``_probe_video``)."""
    from conformance import media

    return media.poster_png(content)


def _sdk_throttles(pool: JobPool) -> int:
    """The 429/503 answers openai-python waited out for the pool's SDK jobs."""
    total = 0
    for job in pool.jobs.values():
        transcript = getattr(job.sdk, "transcript", None)
        total += transcript.throttles if transcript is not None else 0
    return total


def _all_skipped(selected: set[str], reason: str) -> list[CheckResult]:
    """Every check, skipped with ``reason`` (deselected ones say so): the report stays whole."""
    from conformance.plugin import DESELECTED

    out = [
        entry.result("skipped", reason if entry.id in selected else DESELECTED)
        for entry in catalog.CHECKS.values()
    ]
    return out + property_phase.skipped_checks(reason)


def _spec_version() -> str:
    try:
        from conformance.contract import spec_version

        return spec_version()
    except Exception as exc:  # the report still says which spec it could not read
        print(f"warning: spec version unknown: {exc}", file=sys.stderr)
        return "unknown"

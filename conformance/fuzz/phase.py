"""Runs the property phase as its own in-process pytest session and turns it into results."""

from __future__ import annotations

import contextlib
import io
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import configuration as hypothesis_configuration

from conformance.fuzz import catalog as cat
from conformance.fuzz import stateful, workflows
from conformance.fuzz.context import PropertyPhaseResult
from conformance.fuzz.engine_config import engine_config, load_schema
from conformance.fuzz.executor import PhaseState
from conformance.live import events
from conformance.redact import redact_text
from conformance.report.results import CheckResult

if TYPE_CHECKING:
    from schemathesis.schemas import BaseSchema

    from conformance.fuzz.context import PropertyContext

PINNED_OPERATIONS = ("GetVideo", "RetrieveVideoContent")
"""Read-only operations also run against the run's completed job, for their 200 paths."""
SESSION_MODULE = Path(__file__).with_name("session_tests.py")
_HARNESS_ERROR_CHARS = 800


def spec_file() -> Path:
    """The contract the phase generates from."""
    from conformance.contract import spec_path

    return spec_path()


class _PhasePlugin:
    """Hands the run's state and schemas to the session module; records what broke."""

    def __init__(
        self, state: PhaseState, config: dict[str, Any], stateful_run: stateful.StatefulRun
    ) -> None:
        self.state = state
        self.config = config
        self.stateful_run = stateful_run

    def _schema(self, parameters: dict[str, Any] | None) -> BaseSchema:
        return load_schema(spec_file(), self.state.ctx.base_url, self.config, parameters)

    @pytest.fixture(scope="session")
    def property_state(self) -> PhaseState:
        return self.state

    @pytest.fixture(scope="session")
    def property_schema(self) -> BaseSchema:
        return self._schema(None)

    @pytest.fixture(scope="session")
    def property_pinned_schema(self) -> BaseSchema:
        video_id = self.state.ctx.completed_video()
        if not video_id:
            self.state.findings.not_applicable.update(_no_completed_job())
            pytest.skip("no completed job in this run")
        return self._schema({"path.video_id": video_id})

    @pytest.fixture(scope="session")
    def property_stateful(self) -> tuple[BaseSchema, stateful.StatefulRun]:
        run = self.stateful_run
        if not self.state.ctx.billable_positive:
            pytest.skip(stateful.SKIP_REASON)
        if run.max_jobs < 1:
            run.stop("budget exhausted: no room for the stateful run's first create")
        return workflows.build_schema(run), run

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if not self.state.ctx.pinned_first:
            return
        pinned = [i for i in items if getattr(i, "originalname", "") == "test_completed_job"]
        rest = [i for i in items if i not in pinned]
        cheap = [i for i in rest if getattr(i, "originalname", "") == "test_invalid_creates"]
        items[:] = cheap + pinned + [i for i in rest if i not in cheap]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # The session module never raises on a vendor failure (findings are recorded), so a
        # failed report is the harness breaking: a bad spec, an engine error.
        if report.failed:
            text = redact_text(report.longreprtext or str(report.longrepr))
            self.state.findings.harness_errors.append(text[-_HARNESS_ERROR_CHARS:])


@contextlib.contextmanager
def _hypothesis_home(directory: Path) -> Iterator[None]:
    # Hypothesis keeps caches under its home even without an example database; keep them in
    # the run's scratch directory instead of the user's working directory.
    previous = getattr(hypothesis_configuration, "__hypothesis_home_directory", None)
    hypothesis_configuration.set_hypothesis_home_dir(directory)
    try:
        yield
    finally:
        hypothesis_configuration.set_hypothesis_home_dir(previous)


def _pytest_args(work_dir: Path) -> list[str]:
    ini = work_dir / "pytest.ini"
    # An empty ini of our own: the session must not pick up the caller's pytest configuration
    # (addopts, plugins, testpaths) nor write a cache.
    ini.write_text("[pytest]\n", encoding="utf-8")
    return [
        str(SESSION_MODULE),
        "-c",
        str(ini),
        "--rootdir",
        str(work_dir),
        "--import-mode=importlib",
        "--noconftest",
        "-p",
        "no:cacheprovider",
        # One process: the budget meter and the counters live in this one (notes §2.11).
        "-p",
        "no:xdist",
        "-q",
        "--no-header",
        "--no-summary",
        "-o",
        "console_output_style=classic",
    ]


def _no_completed_job() -> dict[str, str]:
    """The checks that only a completed job's 200 responses can exercise, and why they did not."""
    no_job = "no completed job in this run: the 200 paths were not exercised"
    return {
        cat.check_id("RetrieveVideoContent", cat.CONTENT_BYTES): no_job,
        cat.check_id("GetVideo", cat.RESPONSE_HEADERS): no_job,
        cat.check_id("GetVideo", cat.IGNORED_AUTH): no_job,
        cat.check_id("RetrieveVideoContent", cat.IGNORED_AUTH): no_job,
    }


def _delete_created(ctx: PropertyContext, video_ids: list[str]) -> dict[str, str]:
    outcome: dict[str, str] = {}
    with requests.Session() as session:
        for video_id in video_ids:
            try:
                answer = session.delete(
                    f"{ctx.base_url.rstrip('/')}/videos/{video_id}",
                    headers=ctx.auth_headers,
                    timeout=ctx.request_timeout_s,
                )
                outcome[video_id] = f"delete answered {answer.status_code}"
            except requests.RequestException as exc:
                outcome[video_id] = redact_text(f"delete failed: {type(exc).__name__}")
    return outcome


def run(ctx: PropertyContext) -> PropertyPhaseResult:
    """The property phase: generate, send, check within the bounds; one result per PROP- id."""
    started = time.monotonic()
    seed = ctx.seed if ctx.seed is not None else secrets.randbelow(2**31)
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    state = PhaseState(ctx=ctx, seed=seed)
    if ctx.http_adapter is not None:
        for prefix in ("http://", "https://"):
            state.session.mount(prefix, ctx.http_adapter)
    config = engine_config(
        seed=seed,
        max_examples=ctx.max_examples,
        billable_positive=ctx.billable_positive,
        request_timeout_s=ctx.request_timeout_s,
    )
    stateful_run = stateful.StatefulRun(state, max_jobs=stateful.job_allowance(state))
    if not ctx.billable_positive:
        state.findings.not_applicable.update(
            dict.fromkeys(cat.STATEFUL_CHECKS, stateful.SKIP_REASON)
        )
    plugin = _PhasePlugin(state, config, stateful_run)
    output = io.StringIO()
    with _hypothesis_home(ctx.work_dir / "hypothesis"), contextlib.redirect_stdout(output):
        exit_code = pytest.main(_pytest_args(ctx.work_dir), plugins=[plugin])
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not (
        state.findings.harness_errors
    ):
        state.findings.harness_errors.append(
            redact_text(f"pytest exited with {exit_code!s}: {output.getvalue()[-400:]}")
        )
    deletions = _delete_created(ctx, state.created_video_ids)
    events().fuzz_done(sum(state.requests_per_operation.values()), state.findings.count())
    results: list[CheckResult] = state.findings.results(cat.CHECK_OPERATIONS)
    for result in results:
        result.details["seed"] = seed
        if ctx.billable_positive and result.id in cat.STATEFUL_CHECKS:
            result.details["stateful_run"] = stateful_run.summary()
        if deletions and result.outcome == "failed":
            result.details["created_jobs_cleanup"] = deletions
    return PropertyPhaseResult(
        checks=results,
        seed=seed,
        requests_per_operation=dict(state.requests_per_operation),
        billable_jobs=state.billable_jobs,
        created_video_ids=list(state.created_video_ids),
        duration_s=round(time.monotonic() - started, 3),
    )

"""The pytest plugin that runs the check modules of ``conformance/suite/`` against one target.

The runner calls ``run_suite(ctx)``: an in-process ``pytest.main`` over the suite directory with
this plugin registered, quiet, and one progress line per check. Every catalogue check comes out
exactly once: a check whose test did not run is ``skipped`` ("not implemented in this suite
version" or "deselected by --only/--skip"), never passed. This module holds the pytest hooks,
the fixtures and the mapping of test outcomes to ``CheckResult``s; what a check imports is in
``conformance.suite.kit``.

How to write a check (fixtures, outcomes, ordering markers): ``conformance.suite.kit``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import catalog
from conformance.budget import Budget
from conformance.client import Client, ProviderFault, RunDeadlineExceeded, Throttled
from conformance.config import Target
from conformance.features import NOT_OFFERED, FeatureMap, Unsupported
from conformance.live import events
from conformance.recording.replay import is_not_in_recording
from conformance.redact import redact_text
from conformance.report.model import SEVERITY, CheckResult, Exchange, Outcome
from conformance.suite.context import CheckRecorder, Jobs, SuiteContext, VideoLedger
from conformance.suite.support import Probes

SUITE_DIR = Path(__file__).parent / "suite"
NOT_IMPLEMENTED = "not implemented in this suite version"
INTERRUPTED = "not run: the run was interrupted"
DESELECTED = "deselected by --only/--skip"
PYTEST_HTML = "pytest.html"
"""File name of the check session's pytest-html page in the report directory."""
EVIDENCE_LIMIT_FAILED = 12
EVIDENCE_LIMIT_PASSED = 3

_RECORDER = pytest.StashKey[CheckRecorder]()
_REPORTS = pytest.StashKey[list[tuple[str, Any, Any]]]()


def _check_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("conformance_check")
    return str(marker.args[0]) if marker and marker.args else None


def _first_line(text: str, limit: int = 600) -> str:
    # pytest's assertion rewriting appends "assert <expr>" explanations; the message is enough.
    text = text.split("\nassert ")[0].strip()
    return redact_text(text if len(text) <= limit else text[: limit - 1] + "…")


class ConformancePlugin:
    """Fixtures for the check modules and the mapping of test outcomes to ``CheckResult``s."""

    def __init__(self, ctx: SuiteContext) -> None:
        self._ctx = ctx
        self._results: dict[str, list[CheckResult]] = {}
        self._ran: set[str] = set()

    # --- fixtures -----------------------------------------------------------------------------
    @pytest.fixture
    def target(self) -> Target:
        return self._ctx.target

    @pytest.fixture
    def client(self) -> Client:
        return self._ctx.client

    @pytest.fixture
    def budget(self) -> Budget:
        return self._ctx.budget

    @pytest.fixture
    def jobs(self) -> Jobs:
        return Jobs(self._ctx.pool)

    @pytest.fixture
    def ledger(self) -> VideoLedger:
        return self._ctx.ledger

    @pytest.fixture
    def ctx(self) -> SuiteContext:
        return self._ctx

    @pytest.fixture
    def features(self) -> FeatureMap:
        return self._ctx.features

    @pytest.fixture
    def probes(self) -> Probes:
        return Probes(self._ctx)

    @pytest.fixture
    def check(self, request: pytest.FixtureRequest) -> CheckRecorder:
        return request.node.stash.setdefault(_RECORDER, CheckRecorder())

    # --- collection ---------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line(
            "markers", "conformance_check(id): the catalogue check a test implements"
        )
        config.addinivalue_line("markers", "late: run after the ordinary checks")
        config.addinivalue_line("markers", "destructive: run last (deletes jobs)")

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            cid = _check_id(item)
            (keep if cid in self._ctx.selected else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)

        def order(item: pytest.Item) -> tuple[int, int]:
            if item.get_closest_marker("destructive"):
                phase = 2
            else:
                phase = 1 if item.get_closest_marker("late") else 0
            return phase, self._readiness(_check_id(item))

        keep.sort(key=order)  # stable: file order among equals
        items[:] = keep

    def _readiness(self, cid: str | None) -> int:
        """When a check's jobs are likely done: 0, it needs none; 1, only jobs created at the
        start; 2, a job made from another's result (a remix), which finishes last.

        Within a phase the checks run in this order, so the free checks run while the first
        jobs render and little but the remix's own checks is left once the last job ends.
        """
        entry = catalog.CHECKS.get(cid or "")
        if entry is None or not entry.jobs:
            return 0
        specs = self._ctx.pool.specs
        return 2 if any(p in specs and specs[p].source for p in entry.jobs) else 1

    # --- running ------------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Iterator[None]:
        item.stash[_REPORTS] = []
        started = time.monotonic()
        with self._ctx.client.capture() as captured:
            result = yield
        cid = _check_id(item)
        if cid is not None:
            self._record(cid, item, captured, time.monotonic() - started)
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """A check of an extended feature the target does not offer is ``unsupported`` before
        its body runs. Asked now, not at collection: an earlier check may have found the
        feature absent. An untried, undeclared feature passes here, so discovery still runs.
        """
        cid = _check_id(item)
        if cid is None or cid not in catalog.CHECKS:
            return
        feature = catalog.get(cid).feature
        if feature in NOT_OFFERED:
            self._ctx.features.require(feature)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[Any]:
        report = yield
        item.stash.setdefault(_REPORTS, []).append((call.when, call.excinfo, report))
        return report

    def _record(
        self, cid: str, item: pytest.Item, captured: list[Exchange], duration: float
    ) -> None:
        entry = catalog.get(cid)
        recorder = item.stash.get(_RECORDER, None) or CheckRecorder()
        outcome: Outcome = "passed"
        message = recorder.message
        for when, excinfo, report in item.stash.get(_REPORTS, []):
            if report.passed:
                continue
            if report.skipped:
                if outcome == "passed":
                    outcome = "skipped"
                    longrepr = report.longrepr
                    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
                    message = _first_line(reason.removeprefix("Skipped: "))
                continue
            exc = excinfo.value if excinfo is not None else None
            if isinstance(exc, Unsupported):
                outcome, message = "unsupported", _first_line(str(exc))
            elif isinstance(exc, AssertionError) and when == "call":
                outcome, message = "failed", _first_line(str(exc)) or "assertion failed"
            elif isinstance(exc, ProviderFault):
                # Broken HTTP is the provider's failure of whatever the check asked.
                outcome, message = "failed", _first_line(f"no usable answer: {exc}")
                recorder.attach(exc.exchange)
            elif isinstance(exc, Throttled):
                outcome, message = "error", _first_line(f"throttled: {exc}")
            elif isinstance(exc, RunDeadlineExceeded):
                outcome, message = "error", _first_line(f"run deadline: {exc}")
            elif is_not_in_recording(exc):
                # A replay lacks an answer this check needed: nothing to judge, not a failure.
                outcome, message = "skipped", _first_line(str(exc))
            else:
                outcome = "error"
                what = f"{type(exc).__name__}: {exc}" if exc is not None else str(report.longrepr)
                message = _first_line(f"harness error in {when}: {what}")
            break
        limit = EVIDENCE_LIMIT_PASSED if outcome == "passed" else EVIDENCE_LIMIT_FAILED
        evidence: list[Exchange] = []
        for exchange in [*recorder.evidence, *captured]:
            if len(evidence) >= limit:
                break
            if all(exchange is not e for e in evidence):
                evidence.append(exchange)
        result = entry.result(
            outcome,
            message,
            kind=recorder.kind if outcome == "passed" else "violation",
            evidence=evidence,
            details=recorder.details,
            duration_s=round(duration, 3),
        )
        self._results.setdefault(cid, []).append(result)
        events().check_done(cid, entry.feature, result.outcome)
        if self._ctx.progress is not None:
            label = result.kind if result.kind in ("extension", "note") else outcome
            line = f"{label:>11}  {cid:<16} {entry.title}"
            if outcome != "passed" and message:
                line += f"\n{'':>13}{message[:160]}"
            self._ctx.progress(line)

    # --- results ------------------------------------------------------------------------------
    def results(self, interrupted: bool = False) -> list[CheckResult]:
        """One result per catalogue check, in catalogue order; never a silent pass."""
        out: list[CheckResult] = []
        for entry in catalog.CHECKS.values():
            runs = self._results.get(entry.id)
            if runs:
                out.append(_combine(runs))
                continue
            if entry.id not in self._ctx.selected:
                reason = DESELECTED
            else:
                reason = INTERRUPTED if interrupted else NOT_IMPLEMENTED
            out.append(entry.result("skipped", reason))
        return out


def _combine(runs: list[CheckResult]) -> CheckResult:
    """Several tests for one check: the most severe outcome wins (``report.model.SEVERITY``:
    the check passes only when every test passed), messages are kept."""
    if len(runs) == 1:
        return runs[0]
    worst = max(runs, key=lambda r: SEVERITY[r.outcome])
    messages = [r.message for r in runs if r.message and r.outcome == worst.outcome]
    evidence = [e for r in runs for e in r.evidence][:EVIDENCE_LIMIT_FAILED]
    details = {k: v for r in runs for k, v in r.details.items()}
    kind = worst.kind
    if worst.outcome == "passed":
        # A note or an extension seen in one of the passing tests must not be lost.
        kinds = {r.kind for r in runs}
        kind = next((k for k in ("extension", "note") if k in kinds), worst.kind)
    return CheckResult(
        id=worst.id,
        title=worst.title,
        level=worst.level,
        feature=worst.feature,
        outcome=worst.outcome,
        message="; ".join(dict.fromkeys(messages)),
        reference=worst.reference,
        core=worst.core,
        kind=kind,
        evidence=evidence,
        details=details,
        duration_s=round(sum(r.duration_s for r in runs), 3),
    )


def run_suite(ctx: SuiteContext) -> list[CheckResult]:
    """Run every check module of the suite in-process; one result per catalogue check."""
    plugin = ConformancePlugin(ctx)
    args = [
        str(SUITE_DIR),
        "-c",
        str(SUITE_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "--disable-plugin-autoload",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        # Not needed by an in-process check session, and each costs time a run waits for:
        # unraisableexception and threadexception force garbage collections at the session's
        # end (a quarter of a second), debugging imports pdb.
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "-p",
        "no:debugging",
        "-p",
        "no:doctest",
        "-s",
        "--import-mode=importlib",
    ]
    page = ctx.pytest_html
    with tempfile.TemporaryDirectory(prefix="vc-pytest-html-") as private:
        # pytest's own tracebacks are not redacted, so the raw page is written where nothing
        # uploads it, and only the scrubbed one reaches the report dir (which links to it).
        raw = Path(private) / PYTEST_HTML
        if page is not None:
            args += ["-p", "pytest_metadata.plugin", "-p", "pytest_html.plugin"]
            args += [f"--html={raw}", "--self-contained-html"]
        exit_code = pytest.main(args, plugins=[plugin])
        if page is not None and raw.is_file():
            from conformance.report.atomic import write_text_atomic

            write_text_atomic(page, redact_text(raw.read_text(encoding="utf-8")))
    if exit_code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        from conformance.errors import HarnessError

        raise HarnessError(f"the check suite could not run (pytest exit code {int(exit_code)})")
    return plugin.results(interrupted=exit_code == pytest.ExitCode.INTERRUPTED)

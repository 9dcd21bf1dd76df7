"""The ``pytest11`` entry point: the conformance suite inside a user's own pytest session.

``pytest --vc-profile NAME`` (or ``--vc-base-url URL``) adds the check modules of
``conformance/suite`` to the session, runs them with the same fixtures and job pool as
``video-conformance run`` (without the property phase), and writes the same reports
(``report.json``, ``report.html``, ``junit.xml``, ``summary.md``) into ``--vc-report-dir``.
Without either option the plugin does nothing, so installing the package never changes an
unrelated pytest session.

A user's own check, in the user's repository, appears in the report as a check of its own::

    import pytest
    from conformance.pytest_plugin import extra_check

    @extra_check("ACME-001", title="Create answers within 2 s", level="SHOULD", feature="acme")
    def test_create_is_fast(client, probes, check):
        response = client.create(probes.valid_fields())
        assert response.exchange.elapsed_ms < 2000, "create took longer than 2 s"

Its outcome follows the suite's rules (``assert`` → failed, ``pytest.skip`` → skipped).
"""

from __future__ import annotations

import contextlib
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance import catalog
from conformance.report.model import Level

_STATE = pytest.StashKey["_Session"]()
EXTRA_CHECKS: dict[str, catalog.Check] = {}
"""Checks users declared with ``extra_check`` in this process."""


def extra_check(
    check_id: str,
    *,
    title: str,
    level: Level = "SHOULD",
    feature: str = "extra",
    reference: str = "",
    why: str = "",
) -> pytest.MarkDecorator:
    """Declare a user-written check and mark the test that implements it.

    The check joins the catalogue of this process (so the report lists it, with its level and
    feature) and the test gets the suite's ``conformance_check`` marker.
    """
    known = catalog.CHECKS.get(check_id)
    if known is not None and check_id not in EXTRA_CHECKS:
        raise ValueError(f"{check_id} is a check of the suite; pick another id")
    entry = catalog.Check(check_id, title, level, feature, reference or "user check", why)
    EXTRA_CHECKS[check_id] = entry
    catalog.CHECKS[check_id] = entry
    return pytest.mark.conformance_check(check_id)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--vc-*`` options."""
    group = parser.getgroup("video-conformance", "conformance of a /v1/videos API")
    group.addoption("--vc-profile", help="run the conformance suite: a profile name or TOML file")
    group.addoption("--vc-base-url", help="run the conformance suite against this base URL (/v1)")
    group.addoption("--vc-model", help="model to request (default: the profile's)")
    group.addoption(
        "--vc-report-dir", help="where the reports go (default: reports/<target-name>/)"
    )
    group.addoption("--vc-only", action="append", help="only these check ids, prefixes or features")
    group.addoption("--vc-skip", action="append", help="skip these check ids, prefixes or features")


class _Session:
    """One conformance session inside a pytest session: target, pool, plugin, reports."""

    def __init__(self, config: pytest.Config) -> None:
        from conformance.commands.run import split_patterns
        from conformance.config import Overrides, resolve_target

        self.config = config
        self.stack = contextlib.ExitStack()
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.started = time.monotonic()
        self.target = resolve_target(
            Overrides(
                profile=config.getoption("vc_profile"),
                base_url=config.getoption("vc_base_url"),
                model=config.getoption("vc_model"),
            )
        )
        only = split_patterns(config.getoption("vc_only"))
        skip = split_patterns(config.getoption("vc_skip"))
        self.selected = catalog.select(only, skip)
        report_dir = config.getoption("vc_report_dir")
        self.report_dir = Path(report_dir) if report_dir else None
        self.plugin: Any = None
        self.pool: Any = None

    def start(self) -> Any:
        """Start the provider (when bundled), the client and the job pool; the suite plugin."""
        from conformance import media, preflight
        from conformance.budget import Budget
        from conformance.bundled import bundled_provider
        from conformance.client import Client
        from conformance.jobs import JobPool, plan_jobs
        from conformance.runner import default_report_dir
        from conformance.suite.context import SuiteContext

        live = self.stack.enter_context(bundled_provider(self.target))
        client = self.stack.enter_context(Client(live))
        preflight.unanswerable(client)
        self.live, self.budget = live, Budget(live.budget)
        run_tag = secrets.token_hex(3)
        specs = plan_jobs(live, self.selected, run_tag)
        self.pool = JobPool(
            client, self.budget, live, specs, probe_video=media.probe_video, poster=media.poster_png
        )
        self.report_dir = self.report_dir or default_report_dir(live)
        self.ctx = SuiteContext(
            target=live,
            client=client,
            budget=self.budget,
            pool=self.pool,
            selected=set(self.selected),
            run_tag=run_tag,
            report_dir=self.report_dir,
        )
        self.plugin = _plugin_class()(self.ctx)
        return self.plugin

    def finish(self) -> Path | None:
        """Stop the pool, clean up, write the reports; the report directory."""
        if self.pool is None:
            self.stack.close()
            return None
        from conformance.property_phase import skipped_checks
        from conformance.report.model import Billing, FuzzSection, Report
        from conformance.report.writers import write_all
        from conformance.runner import _spec_version

        try:
            self.pool.stop()
            self.pool.join(timeout=5)
            notes = self.pool.cleanup(self.ctx.created_by_checks, keep=self.ctx.keep_ids)
            checks = [
                *self.plugin.results(),
                *skipped_checks("not run inside pytest (video-conformance run runs it)"),
            ]
            from conformance import SUITE_VERSION, __version__

            report = Report(
                tool={
                    "name": "video-conformance",
                    "version": __version__,
                    "suite_version": SUITE_VERSION,
                    "spec_version": _spec_version(),
                },
                target=self.live.redacted(),
                started_at=self.started_at,
                duration_s=time.monotonic() - self.started,
                checks=checks,
                jobs=self.pool.job_records(),
                billing=Billing(
                    jobs_created=self.budget.jobs_created,
                    billable_seconds=self.budget.billable_seconds,
                    estimated_cost=self.budget.estimated_cost,
                    max_jobs=self.live.budget.max_jobs,
                    max_video_seconds=self.live.budget.max_video_seconds,
                    refused_by_budget=list(self.budget.refusals),
                    cleanup=notes,
                ),
                fuzz=FuzzSection(skipped="not run inside pytest"),
                deferred=list(self.ctx.deferred),
            )
            assert self.report_dir is not None
            write_all(report, self.report_dir)
            self.verdict = report.verdict()
            return self.report_dir
        finally:
            self.stack.close()


def _plugin_class() -> type:
    from conformance.plugin import ConformancePlugin, _check_id

    class UserSessionPlugin(ConformancePlugin):
        """The suite's plugin, leaving the user's ordinary tests alone."""

        def pytest_collection_modifyitems(
            self, config: pytest.Config, items: list[pytest.Item]
        ) -> None:
            ours = [i for i in items if _check_id(i) is not None]
            others = [i for i in items if _check_id(i) is None]
            self._ctx.selected |= {c for i in ours if (c := _check_id(i)) in EXTRA_CHECKS}
            super().pytest_collection_modifyitems(config, ours)
            items[:] = others + ours

    return UserSessionPlugin


def pytest_configure(config: pytest.Config) -> None:
    """With ``--vc-profile`` or ``--vc-base-url``: start the target and add the suite."""
    if not (config.getoption("vc_profile", None) or config.getoption("vc_base_url", None)):
        return
    if hasattr(config, "workerinput") or config.getoption("numprocesses", None):
        # Each xdist worker would start its own job pool and bill its own jobs.
        raise pytest.UsageError(
            "video-conformance: the conformance suite runs in one process; drop -n (or pass -n 0)"
        )
    from conformance.errors import HarnessError, UsageError
    from conformance.plugin import SUITE_DIR

    session: _Session | None = None
    try:
        session = _Session(config)
        plugin = session.start()
    except (UsageError, HarnessError) as exc:
        if session is not None:
            session.stack.close()
        raise pytest.UsageError(f"video-conformance: {exc}") from None
    config.stash[_STATE] = session
    config.pluginmanager.register(plugin, "video-conformance-suite")
    config.args.append(str(SUITE_DIR))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Create the run's jobs as the session starts, so they render while tests collect."""
    state = session.config.stash.get(_STATE, None)
    if state is not None:
        state.pool.start()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Write the reports and say where they are."""
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    del config.stash[_STATE]
    where = state.finish()
    if where is not None:
        terminalreporter.write_line(
            f"video-conformance: {state.verdict}; report: {where / 'report.html'}"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    """Without a terminal summary (``-p no:terminal``), still write the reports."""
    state = config.stash.get(_STATE, None)
    if state is not None:
        del config.stash[_STATE]
        state.finish()

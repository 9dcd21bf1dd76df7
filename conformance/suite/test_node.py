"""sdk: the official openai-node (npm ``openai``) drives the vendor, as a Node integrator would.

Runs the bundled oracle (``conformance/node_oracle``) when node and the pinned package are
installed; skipped with the reason otherwise. It bills nothing: a run creates exactly the jobs
``plan`` announced, so the oracle reuses the run's completed ``main`` job (its poll loop,
``downloadContent``, finding it through ``list``) and probes an unknown id (``retrieve`` and
``delete`` must raise ``NotFoundError``). openai-node's own create sends the same multipart
fields as openai-python's (VID-CREATE-002, VID-SDK-001 judge that wire); the oracle's own
create → poll → download → remix → delete runs where a job costs nothing (its tests, against
the bundled provider).
"""

from __future__ import annotations

import time
from dataclasses import asdict

import pytest

from conformance import catalog
from conformance.node_oracle.driver import (
    OraclePlan,
    OracleRun,
    run_oracle,
    unavailable,
)
from conformance.node_oracle.judge import content_expired, problems
from conformance.suite.kit import CheckRecorder, Jobs, SuiteContext, Target, Throttled

NETWORK_ERRORS = ("APIConnectionError", "APIConnectionTimeoutError")
ORACLE_SLACK_S = 60.0
THROTTLED_RERUNS = 3
"""Time for node to start and for the free calls, on top of the job timeouts it may wait."""


def _plan(target: Target, main_id: str) -> OraclePlan:
    return OraclePlan(
        base_url=target.base_url,
        existing_id=main_id,
        list=target.declares("list"),
        delete=target.declares("delete"),
        x_api_key=target.auth in ("x-api-key", "both"),
        job_timeout_s=target.job_timeout_s,
        request_timeout_s=target.request_timeout_s,
    )


@catalog.check("VID-SDK-004")
@pytest.mark.late  # after the ordinary checks: the oracle's time must not delay theirs
def test_node_sdk_drives_the_vendor(
    ctx: SuiteContext, target: Target, jobs: Jobs, check: CheckRecorder
) -> None:
    if ctx.replaying:
        pytest.skip("not in the recording: the openai-node oracle's own requests are not recorded")
    reason = unavailable()
    if reason:
        pytest.skip(f"openai-node oracle not run: {reason}")
    main = jobs.completed("main")
    plan = _plan(target, str(main.video_id))
    check.detail("budget", "no job of its own: the run's main job is reused")
    run = run_oracle(plan, target.api_key, timeout_s=target.job_timeout_s + ORACLE_SLACK_S)
    # Flow control is never a finding: the oracle's calls are all safe to repeat (it creates
    # nothing in a run), so a run of them that met 429/503 past openai-node's own retries is
    # repeated a few times before it counts as throttled.
    for attempt in range(THROTTLED_RERUNS):
        if not _throttled(run):
            break
        time.sleep(2.0 * (attempt + 1))
        run = run_oracle(plan, target.api_key, timeout_s=target.job_timeout_s + ORACLE_SLACK_S)
    if _throttled(run):
        raise Throttled(f"openai-node's calls kept meeting 429/503: {'; '.join(_throttled(run))}")
    check.detail("openai_node", {"node": run.node, "openai": run.openai})
    check.detail("calls", [asdict(c) for c in run.calls])
    _no_network_errors(run)
    if content_expired(run):
        check.detail(
            "downloadContent", "not judged: 404 while the main job's expires_at was unset or past"
        )
    found = problems(run, plan)
    assert not found, "openai-node: " + "; ".join(found)
    made = ", ".join(c.call for c in run.calls)
    check.note(f"openai-node {run.openai} on node {run.node}: {made} behaved as documented")


def _throttled(run: OracleRun) -> list[str]:
    """The oracle's calls that ended on flow control (429, or 503)."""
    return [
        f"{call.call}: {(call.error or {}).get('status')}"
        for call in run.calls
        if (call.error or {}).get("status") in (429, 503)
    ]


def _no_network_errors(run: OracleRun) -> None:
    """No answer at all is the network's failure (an error), never the vendor's."""
    for call in run.calls:
        name = (call.error or {}).get("name")
        if name in NETWORK_ERRORS:
            raise RuntimeError(f"no answer to openai-node's {call.call}: {name}")

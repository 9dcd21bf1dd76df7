"""sdk: the official openai-node (npm ``openai``) drives the vendor, as a Node integrator would.

The oracle (``conformance/node_oracle``) runs when node and the pinned package are installed;
skipped with the reason otherwise. It makes its own job (``node_oracle.session``: budgeted,
announced by ``plan``, started in the background with the job pool): create with explicit
small fields, the poll loop, ``downloadContent``, finding the job through ``list``, a remix of
it when remix is declared, ``delete`` of what it made when delete is declared, and the
unknown-id probes (``retrieve`` and ``delete`` must raise ``NotFoundError``). Its traffic goes
through the run's loopback proxy into the run's HAR, so ``rejudge`` judges it again offline.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest

from conformance import catalog
from conformance.node_oracle.driver import OracleRun
from conformance.node_oracle.judge import problems
from conformance.node_oracle.session import ORACLE_SLACK_S
from conformance.recording.replay import NOT_IN_RECORDING
from conformance.suite.kit import CheckRecorder, SuiteContext, Throttled

NETWORK_ERRORS = ("APIConnectionError", "APIConnectionTimeoutError")


@catalog.check("VID-SDK-004")
@pytest.mark.late  # its chain runs in the background from the pool's start; judged last
def test_node_sdk_drives_the_vendor(ctx: SuiteContext, check: CheckRecorder) -> None:
    session = ctx.node_oracle
    if session is None:
        pytest.skip("openai-node oracle not run: the run did not start it")
    if not session.wait(timeout=2 * ctx.target.job_timeout_s + 2 * ORACLE_SLACK_S):
        raise RuntimeError("the openai-node oracle is still running past its own deadline")
    if session.skip_reason:
        pytest.skip(session.skip_reason)
    if session.missing:
        pytest.skip(
            f"{NOT_IN_RECORDING}: openai-node sent {len(session.missing)} request(s) "
            "the recording has no answer for"
        )
    if session.budget_note:
        check.detail("budget", session.budget_note)
    if session.error:
        raise RuntimeError(session.error)
    run = session.run
    assert run is not None
    throttled = _throttled(run)
    if throttled:
        raise Throttled(f"openai-node's calls met 429/503: {'; '.join(throttled)}")
    check.detail("openai_node", {"node": run.node, "openai": run.openai})
    check.detail("calls", [_shown(asdict(c)) for c in run.calls])
    _no_network_errors(run, session.notes)
    found = problems(run, session.plan)
    assert not found, "openai-node: " + "; ".join(found)
    made = ", ".join(c.call for c in run.calls)
    check.note(f"openai-node {run.openai} on node {run.node}: {made} behaved as documented")


def _shown(call: dict[str, Any]) -> dict[str, Any]:
    """A call as the report shows it: without its wall-clock start, which a replay cannot
    repeat (its duration, ``elapsed_ms``, is a duration like the report's others)."""
    call.pop("at", None)
    return call


def _throttled(run: OracleRun) -> list[str]:
    """The oracle's calls that ended on flow control (429, or 503)."""
    return [
        f"{call.call}: {(call.error or {}).get('status')}"
        for call in run.calls
        if (call.error or {}).get("status") in (429, 503)
    ]


def _no_network_errors(run: OracleRun, notes: list[str]) -> None:
    """No answer at all is the network's failure (an error), never the vendor's."""
    for call in run.calls:
        name = (call.error or {}).get("name")
        if name in NETWORK_ERRORS:
            why = f" ({'; '.join(notes)})" if notes else ""
            raise RuntimeError(f"no answer to openai-node's {call.call}: {name}{why}")

"""VID-SDK-004 in a whole run against the bundled provider, and the openai-node verdict it feeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.node_oracle.driver import unavailable
from conformance.report.model import Report
from tests.suite.conftest import run_reference

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(unavailable() is not None, reason=f"{unavailable()}"),
]


def _node(report: Report) -> dict[str, Any]:
    clients: list[dict[str, Any]] = report.to_dict()["clients"]
    return next(c for c in clients if c["client"] == "openai-node")


def test_the_node_check_passes_and_node_works(tmp_path: Path) -> None:
    result = run_reference(tmp_path, only=["VID-SDK-004"])
    [check] = [c for c in result.report.checks if c.id == "VID-SDK-004"]
    assert check.outcome == "passed", check.message
    calls = [c["call"] for c in check.details["calls"]]
    assert calls == [
        "create",
        "createAndPoll",
        "downloadContent_created",
        "list",
        "remix",
        "remix_poll",
        "delete_remix",
        "delete",
        "retrieve_unknown",
        "delete_unknown",
    ]
    assert _node(result.report)["verdict"] == "works"
    # node's own job and its remix are billed on top of the pool's, and node deleted both
    billing = result.report.billing
    assert billing.jobs_created == len(result.report.jobs) + 2
    assert billing.cleanup == []


def test_a_status_word_fault_breaks_node(tmp_path: Path) -> None:
    # Renders long enough that node's poll lands inside the render (not only in the queue
    # before it or after it), whatever the machine's load does to the timing.
    result = run_reference(
        tmp_path,
        only=["VID-SDK-004", "VID-LIFE-001"],
        faults=["status-processing"],
        render_seconds=2.0,
    )
    node = _node(result.report)
    assert node["verdict"] == "breaks"
    # node's own poll loop meets 'processing' and returns at once
    [check] = [c for c in result.report.checks if c.id == "VID-SDK-004"]
    assert check.outcome == "failed" and "'processing'" in check.message
    assert {b["check"] for b in node["breaks"]} == {"VID-LIFE-001", "VID-SDK-004"}

"""Everything a check module imports, in one place.

A check (``conformance/suite/test_<feature>.py``) imports its fixtures' types and helpers from
here and nothing from ``conformance.plugin`` (the runner's pytest hooks)::

    from conformance import catalog
    from conformance.suite.kit import CheckRecorder, Client, Jobs, describe

    @catalog.check("VID-LIST-001")
    def test_list_shape(client: Client, jobs: Jobs, check: CheckRecorder) -> None:
        response = client.list_videos(limit=10)
        assert response.status == 200, f"list answered {describe(response)}"

A check whose catalogue feature is an extended one the target does not offer (declared
absent, or found absent in this run) ends ``unsupported`` before its body runs, so checks do
not repeat that test. ``Unsupported`` is still there for a check that needs *another* feature
than its own (``raise Unsupported(...)``, or ``features.require(name)``). Contract facts
(statuses, sizes, seconds, defaults) come from ``conformance.contract``.
"""

from __future__ import annotations

from conformance.budget import Budget
from conformance.client import AuthMode, Client, Response, Throttled
from conformance.config import Target
from conformance.features import FeatureMap, Unsupported
from conformance.jobs import PoolJob
from conformance.report.model import DeferredCheck, Exchange
from conformance.suite.context import CheckRecorder, Jobs, SuiteContext, VideoLedger
from conformance.suite.support import (
    REJECTION_STATUSES,
    URL_SAFE_ID,
    ProbeResult,
    Probes,
    contract_jobs,
    describe,
    duration_tolerance,
    envelope_problems,
    every_video,
    js,
    unknown_id,
)

__all__ = [
    "REJECTION_STATUSES",
    "URL_SAFE_ID",
    "AuthMode",
    "Budget",
    "CheckRecorder",
    "Client",
    "DeferredCheck",
    "Exchange",
    "FeatureMap",
    "Jobs",
    "PoolJob",
    "ProbeResult",
    "Probes",
    "Response",
    "SuiteContext",
    "Target",
    "Throttled",
    "Unsupported",
    "VideoLedger",
    "contract_jobs",
    "describe",
    "duration_tolerance",
    "envelope_problems",
    "every_video",
    "js",
    "unknown_id",
]

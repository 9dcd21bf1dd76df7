"""A full run against the correct reference provider: zero failures, every check of a declared
feature passed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance import catalog
from conformance.node_oracle.driver import unavailable
from conformance.plugin import DESELECTED, NOT_IMPLEMENTED
from tests.suite.conftest import outcomes, run_reference


@pytest.mark.slow
def test_clean_run_passes_every_check(tmp_path: Path) -> None:
    result = run_reference(tmp_path, write_reports=True)
    report = result.report
    assert outcomes(result, "failed") == set()
    assert outcomes(result, "error") == set()
    core = {c.id for c in catalog.CHECKS.values() if c.core}
    assert core <= outcomes(result, "passed")
    # the variants and the 404 checks of declared extended routes pass too
    assert {"VID-CONTENT-007", "VID-CONTENT-008", "VID-ERR-003", "VID-ERR-004"} <= outcomes(
        result, "passed"
    )
    # every extended check of a declared feature passes; the SDK in strict mode included
    declared = {"list", "delete", "remix", "image_to_video", "expiry", "sdk"}
    extended = {c.id for c in catalog.CHECKS.values() if c.feature in declared}
    if unavailable():  # the openai-node oracle needs node and the npm package
        extended.discard("VID-SDK-004")
        assert "VID-SDK-004" in outcomes(result, "skipped")
    assert extended <= outcomes(result, "passed")
    assert "VID-SDK-002" in extended
    # the reference profile declares no extensions: nothing to claim, nothing failed
    assert {"VID-EXT-001", "VID-EXT-002"} <= outcomes(result, "unsupported")
    assert report.deferred == []
    assert result.exit_code == 0
    # every catalogue check exactly once; nothing that did not run counts as passed
    ids = [c.id for c in report.checks if c.id.startswith("VID-")]
    assert sorted(ids) == sorted(catalog.CHECKS)
    for check in report.checks:
        if check.message in (NOT_IMPLEMENTED, DESELECTED):
            assert check.outcome == "skipped"
    # the report on disk, without the key
    data = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert data["billing"]["jobs_created"] >= 4
    assert all(job["deleted"] for job in data["jobs"] if job["video_id"])
    text = (tmp_path / "report" / "report.json").read_text(encoding="utf-8")
    # the bundled provider's key is "vc-" + 32 random characters: it must appear nowhere
    assert re.search(r"vc-[A-Za-z0-9_-]{32}", text) is None
    assert "[REDACTED]" in text

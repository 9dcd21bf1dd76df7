"""The checker against each vendor dialect finds exactly the vendor's documented deviations.

For every vendor, the reference provider speaks the vendor's dialect on loopback and the suite
runs with the vendor's own profile (base URL replaced, plus the provider's failing prompt as
``run --provider-dialect`` adds it, so the failure path is exercised). The expected sets are
the tables of docs/vendors.md: every documented violation is caught by a named check, every
documented extension is reported as one, and nothing the documentation does not deviate on
fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from conformance.bundled import BUNDLED_TTL_UNHINTED_S
from conformance.config import Overrides, resolve_target
from conformance.node_oracle.driver import unavailable
from conformance.provider import dialects
from conformance.provider.config import ProviderConfig
from conformance.provider.engine import FAIL_MARKER
from conformance.provider.server import running_provider
from conformance.report.model import CheckResult, Report
from conformance.runner import RunOptions, execute

pytestmark = pytest.mark.slow

API_KEY = "vc-dialect-test-key"
RENDER_SECONDS = 1.0
"""Long enough that a poll sees every job in progress (status words, fractional progress)."""
TTL_SECONDS = BUNDLED_TTL_UNHINTED_S
"""As for ``run --provider-dialect``: the dialects send no ``openai-poll-after-ms``, so the pool
backs off between polls and content must outlive that; the expiry check still runs in the run."""


@dataclass(frozen=True)
class Expected:
    """What a run against one dialect must report (docs/vendors.md)."""

    violations: frozenset[str]
    """Checks that fail as violations: exactly the documented deviations that break clients."""
    extensions: frozenset[str] = frozenset()
    """Checks reported with ``kind="extension"``: documented values beyond the contract."""
    notes: frozenset[str] = frozenset({"VID-LIFE-009"})
    """Checks that pass with ``kind="note"``: legal behaviour worth knowing. No vendor page
    shows openai-poll-after-ms, so every dialect run notes its absence."""
    node: frozenset[str] = frozenset()
    """Violations openai-node's own job meets too (VID-SDK-004): expected where the oracle
    can run, skipped where node or its package is not installed."""
    core_unsupported: frozenset[str] = field(default_factory=frozenset)
    """Core checks the profile cannot claim; none since every encoding is probed."""


MULTIPART_ONLY = "VID-CREATE-001"  # the page documents multipart only; a JSON create is refused

EXPECTED: dict[str, Expected] = {
    "sciforium": Expected(
        violations=frozenset(
            {
                MULTIPART_ONLY,  # "Content-Type: multipart/form-data"
                "VID-CREATE-003",  # "Success Status: 201 Created"
                "VID-CREATE-006",  # "modelstringYesVideo model ID."
                "VID-LIFE-003",  # "progress": 1.0
                "VID-LIFE-005",
                "VID-OBJ-001",
                "VID-SDK-002",
            }
        ),
        extensions=frozenset({"VID-EXT-001", "VID-EXT-002"}),  # 2 s; 640x480
    ),
    "apiyi": Expected(
        violations=frozenset(
            {
                "VID-OBJ-001",  # null keys, prompt and expires_at omitted
                "VID-CREATE-006",  # model "Yes" required in the quick reference
                "VID-LIFE-007",  # "an error field is not always present"
            }
        ),
        extensions=frozenset({"VID-EXT-002"}),  # 1080x1920 (sora-2-pro)
        # list is found in the run, so the strict client lists the documented extra size,
        # which the SDK's size literal rejects: legal, and worth knowing.
        notes=frozenset({"VID-LIFE-009", "VID-SDK-002"}),
    ),
    "4all": Expected(
        violations=frozenset(
            {
                MULTIPART_ONLY,  # "Content-TypestringYesmultipart/form-data"
                "VID-LIFE-001",  # "processing: in progress"
                "VID-CREATE-004",  # a create without size answers "size": "1024x1808"
                "VID-OBJ-001",
                "VID-ERR-005",  # error bodies without param
                "VID-VAL-011",
                "VID-SDK-001",
                "VID-SDK-002",
            }
        ),
        node=frozenset({"VID-SDK-004"}),  # its createAndPoll returns on "processing" too
    ),
    "mintlify-sandbox": Expected(
        violations=frozenset(
            {
                MULTIPART_ONLY,  # "Body multipart/form-data"
                "VID-LIFE-001",  # "pending"
                "VID-CREATE-006",  # "model string required"
                "VID-OBJ-001",
                "VID-SDK-001",
                "VID-SDK-002",
            }
        ),
        node=frozenset({"VID-SDK-004"}),  # its createAndPoll returns on "pending" too
    ),
    "task-gateway": Expected(
        violations=frozenset({"VID-OBJ-001"}),  # error "shown only when status = failed"
        extensions=frozenset(
            {
                "VID-EXT-001",  # 5, 10, 15 s
                "VID-EXT-002",  # 16:9
                "VID-VAL-001",  # "5" is documented
                "VID-VAL-002",  # "10" is documented
                "VID-VAL-006",  # "16:9" is documented
            }
        ),
    ),
}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def vendor_run(request: pytest.FixtureRequest) -> Iterator[tuple[str, Report]]:
    """One suite run (no property phase) against the vendor's dialect, with its profile."""
    name: str = request.param
    config = ProviderConfig(
        render_seconds=RENDER_SECONDS,
        ttl_seconds=TTL_SECONDS,
        api_key=API_KEY,
        behaviour=dialects.load(name).behaviour,
        max_concurrent_renders=8,
        queue_limit=64,
    )
    with running_provider(config) as base_url:
        target = resolve_target(Overrides(profile=name, base_url=base_url, api_key=API_KEY))
        target = dataclasses.replace(
            target, failing_prompt=f"A job that fails on purpose {FAIL_MARKER}", job_timeout_s=60
        )
        result = execute(target, RunOptions(fuzz=False, write_reports=False))
    yield name, result.report


def _ids(report: Report, predicate: Callable[[CheckResult], bool]) -> set[str]:
    return {c.id for c in report.checks if predicate(c)}


def test_documented_violations_fail_and_nothing_else(vendor_run: tuple[str, Report]) -> None:
    name, report = vendor_run
    failed = _ids(report, lambda c: c.outcome == "failed" and c.kind == "violation")
    messages = {c.id: c.message for c in report.checks if c.id in failed}
    expected = EXPECTED[name].violations | (EXPECTED[name].node if unavailable() is None else set())
    assert failed == expected, (
        f"{name}: unexpected failures {sorted(failed - expected)} "
        f"{[messages[i] for i in sorted(failed - expected)]}; "
        f"documented deviations not caught {sorted(expected - failed)}"
    )
    assert report.verdict() == "nonconformant"


def test_documented_extensions_are_reported_as_extensions(vendor_run: tuple[str, Report]) -> None:
    name, report = vendor_run
    extensions = _ids(report, lambda c: c.kind == "extension")
    assert extensions == EXPECTED[name].extensions
    not_passed = _ids(report, lambda c: c.kind == "extension" and c.outcome != "passed")
    assert not not_passed, f"{name}: documented extensions that did not work: {not_passed}"


def test_notes_are_the_documented_ones(vendor_run: tuple[str, Report]) -> None:
    name, report = vendor_run
    notes = _ids(report, lambda c: c.kind == "note")
    assert notes == EXPECTED[name].notes, f"{name}: notes {sorted(notes)}"


def test_only_undocumented_encodings_leave_core_checks_unsupported(
    vendor_run: tuple[str, Report],
) -> None:
    name, report = vendor_run
    unsupported = _ids(report, lambda c: c.core and c.outcome == "unsupported")
    assert unsupported == EXPECTED[name].core_unsupported


def test_no_harness_errors(vendor_run: tuple[str, Report]) -> None:
    name, report = vendor_run
    errors = {c.id: c.message for c in report.checks if c.outcome == "error"}
    assert report.complete and not report.harness_errors and not errors, (name, errors)

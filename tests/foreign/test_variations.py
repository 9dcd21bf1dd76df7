"""Legal variations: a provider that makes choices the contract allows must be judged conformant.

Each scenario combines compatible variations so the whole set costs a few checker runs; each
run is targeted with a bare ``--base-url`` (no profile), as a first-time user would.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.foreign.asgi_provider import Options
from tests.foreign.proxy import ProxyOptions
from tests.foreign.scenarios import Scenario, ScenarioCache

pytestmark = pytest.mark.slow

PLAIN = Scenario(
    "plain",
    Options(
        id_style="uuid",
        not_ready_status=400,
        queue_seconds=3.0,  # a long queue: jobs wait before rendering starts
        poll_after_ms=None,
        extra_keys=True,
    ),
    ProxyOptions(extra_keys=True, extra_headers=True, chunked_content=True),
)
"""uuid ids, 400 for content not ready, a long queue, no poll header, extra keys and headers,
chunked transfer of the media."""

CDN = Scenario(
    "cdn",
    Options(id_style="long", not_ready_status=404),
    ProxyOptions(redirect_content=True),
)
"""130-character ids, 404 for content not ready, /content 302 to a signed URL on another origin."""

THROTTLED = Scenario(
    "throttled",
    Options(id_style="vid", not_ready_status=409),
    ProxyOptions(throttle_every=3),
)
"""vid- ids, 409 for content not ready, 429 + Retry-After: 1 on every third request: flow
control, not a finding."""

UNAVAILABLE = Scenario("unavailable", Options(), ProxyOptions(unavailable_once="POST /videos"))
"""One 503 + Retry-After: 1 on the first create, then normal service."""

MULTIPART_ONLY = Scenario("multipart-only", Options(json_create=False))
"""Create takes multipart only and answers JSON with 415."""

OTHER_DEFAULTS = Scenario("other-defaults", Options(default_size="1280x720", default_seconds="8"))
"""Omitted size and seconds default to 1280x720 and 8 instead of 720x1280 and 4."""


EXTENDED_CHECKS = (
    "VID-LIST-001",
    "VID-LIST-002",
    "VID-LIST-003",
    "VID-LIST-004",
    "VID-DEL-001",
    "VID-DEL-002",
    "VID-REMIX-001",
    "VID-REMIX-002",
    "VID-CONTENT-007",
    "VID-CONTENT-008",
    "VID-I2V-001",
)


def _declared(scenario: Scenario) -> Scenario:
    return dataclasses.replace(scenario, name=f"{scenario.name}-declared", declared=True)


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(PLAIN, id="plain"),
        pytest.param(CDN, id="cdn"),
        pytest.param(THROTTLED, id="throttled"),
        pytest.param(UNAVAILABLE, id="unavailable"),
    ],
)
def test_legal_variation_has_no_failed_check(checked: ScenarioCache, scenario: Scenario) -> None:
    """Exit 0 and not one failed or errored check."""
    result = checked(scenario)
    assert result.exit_code == 0 and not result.failed(), result.describe()


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(PLAIN, id="plain"),
        pytest.param(CDN, id="cdn"),
        pytest.param(THROTTLED, id="throttled"),
        pytest.param(UNAVAILABLE, id="unavailable"),
    ],
)
def test_legal_variation_is_conformant(checked: ScenarioCache, scenario: Scenario) -> None:
    """The verdict is conformant and every extended feature the provider serves was judged."""
    result = checked(scenario)
    unjudged = [cid for cid in EXTENDED_CHECKS if result.outcome(cid) != "passed"]
    assert result.verdict == "conformant" and not unjudged, (
        f"{result.describe()}\nnot passed: {unjudged}"
    )


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(_declared(PLAIN), id="plain"),
        pytest.param(_declared(CDN), id="cdn"),
        pytest.param(_declared(THROTTLED), id="throttled"),
    ],
)
def test_legal_variation_passes_the_declared_extended_checks(
    checked: ScenarioCache, scenario: Scenario
) -> None:
    """Through a profile declaring every feature, each extended check passes despite the
    variation (pagination, delete, remix, variants and image-to-video are all served)."""
    result = checked(scenario)
    outcomes = {cid: result.outcome(cid) for cid in EXTENDED_CHECKS}
    assert set(outcomes.values()) == {"passed"}, f"{result.describe()}\n{outcomes}"


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(PLAIN, id="plain"),
        pytest.param(CDN, id="cdn"),
        pytest.param(THROTTLED, id="throttled"),
        pytest.param(UNAVAILABLE, id="unavailable"),
    ],
)
def test_legal_variation_completes_the_core_lifecycle(
    checked: ScenarioCache, scenario: Scenario
) -> None:
    """The main job was polled to completion and its MP4 judged, through every variation."""
    result = checked(scenario)
    core = ("VID-LIFE-001", "VID-LIFE-008", "VID-CONTENT-002", "VID-CONTENT-004")
    outcomes = {cid: result.outcome(cid) for cid in core}
    assert set(outcomes.values()) == {"passed"}, f"{result.describe()}\n{outcomes}"


def test_multipart_only_create_is_a_finding_on_json_acceptance_only(
    checked: ScenarioCache,
) -> None:
    """JSON refused with 415: the contract requires both encodings (api §5.2, spec README), so
    VID-CREATE-001 fails; the lifecycle runs on multipart and nothing else fails."""
    result = checked(MULTIPART_ONLY)
    assert result.outcome("VID-CREATE-001") == "failed", result.describe()
    assert set(result.failed()) == {"VID-CREATE-001"}, result.describe()
    for cid in ("VID-CREATE-002", "VID-LIFE-001", "VID-LIFE-008", "VID-CONTENT-002"):
        assert result.outcome(cid) == "passed", f"{cid}\n{result.describe()}"


def test_other_defaults_fail_only_the_defaults_check(checked: ScenarioCache) -> None:
    """The contract fixes the defaults ("4", "720x1280", api §2.1): a provider with others fails
    VID-CREATE-004 and nothing else, since every other job states its size and seconds."""
    result = checked(OTHER_DEFAULTS)
    assert result.outcome("VID-CREATE-004") == "failed", result.describe()
    assert set(result.failed()) == {"VID-CREATE-004"}, result.describe()


def test_declared_features_pass_on_a_correct_provider(checked: ScenarioCache) -> None:
    """Through a profile declaring every extended feature and a failing prompt, a correct
    provider is conformant and every extended check passes: the control for the declared
    fault runs."""
    result = checked(Scenario("declared-clean", Options(), declared=True))
    assert result.exit_code == 0 and not result.failed(), result.describe()
    assert result.verdict == "conformant", result.describe()
    assert result.outcome("VID-LIFE-007") == "passed", result.describe()
    outcomes = {cid: result.outcome(cid) for cid in EXTENDED_CHECKS}
    assert set(outcomes.values()) == {"passed"}, f"{result.describe()}\n{outcomes}"

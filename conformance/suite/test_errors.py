"""errors: unknown ids answer 404 on every route, and every error carries the envelope."""

from __future__ import annotations

import pytest

from conformance import catalog
from conformance.suite.kit import (
    CheckRecorder,
    Client,
    FeatureMap,
    Jobs,
    Probes,
    Response,
    SuiteContext,
    describe,
    envelope_problems,
    unknown_id,
)


def _expect_404(response: Response, what: str, check: CheckRecorder) -> None:
    assert response.status != 200, f"{what} of an unknown id answered 200"
    assert response.status < 500, (
        f"{what} of an unknown id answered {describe(response)}: a 5xx reads as an outage"
    )
    assert response.status == 404, f"{what} of an unknown id answered {describe(response)}, not 404"
    check.note(f"{what} of an unknown id answered 404")


@catalog.check("VID-ERR-001")
def test_retrieve_unknown_404(ctx: SuiteContext, client: Client, check: CheckRecorder) -> None:
    _expect_404(client.retrieve(unknown_id(ctx)), "retrieve", check)


@catalog.check("VID-ERR-002")
def test_content_unknown_404(ctx: SuiteContext, client: Client, check: CheckRecorder) -> None:
    _expect_404(client.content(unknown_id(ctx), follow_redirects=False), "/content", check)


def _require_offered(features: FeatureMap, feature: str) -> None:
    """Skipped when the run never learnt whether it is offered (an unknown id answers 404 on a
    missing route too, so only an offered route can be judged). An absent feature never gets
    here: the check's catalogue feature is this one, so the plugin reports it unsupported."""
    if not features.offered(feature):
        pytest.skip(f"the run did not find out whether {feature} is offered")


@pytest.mark.destructive  # after VID-DEL-001, which finds out whether delete is offered
@catalog.check("VID-ERR-003")
def test_delete_unknown_404(
    ctx: SuiteContext, client: Client, check: CheckRecorder, features: FeatureMap
) -> None:
    _require_offered(features, "delete")
    _expect_404(client.delete(unknown_id(ctx)), "delete", check)


@catalog.check("VID-ERR-004")
def test_remix_unknown_404(
    ctx: SuiteContext, jobs: Jobs, probes: Probes, check: CheckRecorder, features: FeatureMap
) -> None:
    if features.state("remix") == "untested":
        jobs.pool.get_created("remix")  # its answer tells whether remix is offered
    _require_offered(features, "remix")
    result = probes.remix(
        unknown_id(ctx), "Remix of a video that does not exist", purpose="VID-ERR-004"
    )
    assert not result.accepted, (
        f"remix of an unknown id was accepted ({result.response.status}, job {result.video_id})"
    )
    _expect_404(result.response, "remix", check)


@pytest.mark.late
@catalog.check("VID-ERR-005")
def test_every_error_has_envelope(ctx: SuiteContext, client: Client, check: CheckRecorder) -> None:
    if not client.error_responses:
        client.retrieve(unknown_id(ctx))
    seen = list(client.error_responses)
    if not seen:
        pytest.skip("no error response was seen in this run")
    bad: dict[str, str] = {}
    for error in seen:
        problems = envelope_problems(error.body)
        if problems:
            key = f"{error.route} {error.status}"
            if key not in bad:
                bad[key] = problems[0]
                check.attach(error.exchange)
    assert not bad, (
        f"{len(bad)} kind(s) of error response lack the {{error: {{message, type, param, code}}}} "
        "envelope: " + "; ".join(f"{k}: {v}" for k, v in list(bad.items())[:5])
    )
    check.note(f"{len(seen)} error responses all carry the envelope")

"""errors: unknown ids answer 404 on every route, and every error carries the envelope."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance import catalog
from conformance.client import Client, Response
from conformance.plugin import CheckRecorder, SuiteContext
from conformance.suite.support import Probes, describe, envelope_problems, unknown_id


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


@catalog.check("VID-ERR-003")
def test_delete_unknown_404(
    ctx: SuiteContext, client: Client, check: CheckRecorder, require_feature: Callable[[str], None]
) -> None:
    require_feature("delete")
    _expect_404(client.delete(unknown_id(ctx)), "delete", check)


@catalog.check("VID-ERR-004")
def test_remix_unknown_404(
    ctx: SuiteContext, probes: Probes, check: CheckRecorder, require_feature: Callable[[str], None]
) -> None:
    require_feature("remix")
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

"""validation: invalid creates are refused with 400/422, name the field, and create no job."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import catalog, contract
from conformance.suite.kit import (
    REJECTION_STATUSES,
    CheckRecorder,
    Client,
    Jobs,
    Probes,
    SuiteContext,
    Target,
    describe,
    js,
)

PROMPT_MAX = 32000
UNKNOWN_MODEL = "vc-no-such-model-1"


@dataclass(frozen=True)
class Case:
    """One invalid create: which field is wrong, and how."""

    check_id: str
    field: str
    value: Any
    """The value sent; ``None`` = the field is left out."""
    what: str
    json_only: bool = False


CASES = (
    Case("VID-VAL-001", "seconds", "5", 'seconds "5"'),
    Case("VID-VAL-002", "seconds", "10", 'seconds "10"'),
    Case("VID-VAL-003", "seconds", 4, "seconds as the integer 4", json_only=True),
    Case("VID-VAL-004", "seconds", "abc", 'seconds "abc"'),
    Case("VID-VAL-005", "size", "999x999", 'size "999x999"'),
    Case("VID-VAL-006", "size", "16:9", 'size "16:9"'),
    Case("VID-VAL-007", "prompt", None, "a create without prompt"),
    Case("VID-VAL-008", "prompt", "", "an empty prompt"),
    Case("VID-VAL-009", "prompt", "long", f"a prompt of {PROMPT_MAX + 1} characters"),
    Case("VID-VAL-010", "model", UNKNOWN_MODEL, f"model {js(UNKNOWN_MODEL)}"),
)


def _declared_extension(target: Target, case: Case) -> bool:
    """The profile documents this value as accepted (beyond the contract)."""
    if case.field == "seconds" and isinstance(case.value, str):
        allowed = set(target.extension_seconds) | set(target.seconds)
        return case.value in allowed and case.value not in contract.SECONDS
    if case.field == "size":
        allowed = set(target.extension_sizes) | set(target.sizes)
        return case.value in allowed and case.value not in contract.SIZES
    return False


def _probe_value(ctx: SuiteContext, case: Case) -> Any:
    if case.value == "long":
        marker = f"[vc {ctx.run_tag} probe] "
        return marker + "x" * (PROMPT_MAX + 1 - len(marker))
    return case.value


def _rejections(ctx: SuiteContext) -> list[dict[str, Any]]:
    return ctx.rejections


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=catalog.check(c.check_id), id=c.check_id) for c in CASES]
)
def test_invalid_create_rejected(
    case: Case, ctx: SuiteContext, target: Target, jobs: Jobs, probes: Probes, check: CheckRecorder
) -> None:
    if _declared_extension(target, case):
        check.extension(f"{case.what} is a documented extension of this vendor; not probed")
        return
    encoding = jobs.pool.working_encoding()
    if encoding is None:
        pytest.skip("no create encoding was accepted in this run (see VID-CREATE-001/002)")
    if case.json_only:
        if "json" not in target.create_encodings:
            pytest.skip("JSON create is not declared; an integer cannot be sent as a form field")
        if "json" not in jobs.pool.accepted_encodings():
            pytest.skip("no JSON create was accepted in this run (see VID-CREATE-001)")
        encoding = "json"
    fields = probes.valid_fields(**{case.field: _probe_value(ctx, case)})
    if case.value is None:
        fields.pop(case.field, None)
    seconds = int(case.value) if case.field == "seconds" and str(case.value).isdigit() else 4
    if ctx.probe_started is None:
        ctx.probe_started = time.time()
    result = probes.create(fields, encoding=encoding, purpose=case.check_id, seconds=seconds)
    response = result.response
    if case.field == "model" and result.accepted:
        # The contract's model is an open string (api §2.1, §9.6): accepting a name the checker
        # made up is legal, though a typo then runs on some model. Worth knowing, not a failure.
        check.attach(response.exchange)
        check.observe(
            f"{case.what} was accepted ({response.status}, job {result.video_id}): "
            "model is an open string in the contract, so a misspelt model name starts a job"
        )
        return
    assert not result.accepted, (
        f"{case.what} was accepted ({response.status}, job {result.video_id}): "
        "a job the client did not mean to create, and billed"
    )
    _rejections(ctx).append(
        {
            "check": case.check_id,
            "param": case.field,
            "status": response.status,
            "body": response.json(),
            "exchange": response.exchange,
        }
    )
    # A model the provider does not serve may also be 404 (OpenAI's model_not_found).
    allowed = (*REJECTION_STATUSES, 404) if case.field == "model" else REJECTION_STATUSES
    assert response.status in allowed, f"{case.what} answered {describe(response)}, not " + (
        "400, 404 or 422" if case.field == "model" else "400 (or 422)"
    )
    check.note(f"{case.what} rejected with {response.status}")


@pytest.mark.late
@catalog.check("VID-VAL-011")
def test_rejections_name_param(ctx: SuiteContext, check: CheckRecorder) -> None:
    rejected = [r for r in _rejections(ctx) if r["status"] in REJECTION_STATUSES]
    if not rejected:
        pytest.skip("no create was rejected with 400/422 in this run")
    wrong = []
    for r in rejected:
        body = r["body"]
        error = body.get("error") if isinstance(body, dict) else None
        param = error.get("param") if isinstance(error, dict) else None
        if param != r["param"]:
            # JSON, not Python reprs: a missing param reads null, as on the wire.
            wrong.append(
                f"{r['check']}: param {json.dumps(param)}, expected {json.dumps(r['param'])}"
            )
            check.attach(r["exchange"])
    assert not wrong, "error.param does not name the field: " + "; ".join(wrong[:5])
    check.note(f"{len(rejected)} rejections name the offending field in error.param")


@pytest.mark.late
@catalog.check("VID-VAL-012")
def test_rejected_creates_make_no_job(
    ctx: SuiteContext, target: Target, client: Client, check: CheckRecorder
) -> None:
    rejected = _rejections(ctx)
    if not rejected:
        pytest.skip("no create was rejected in this run")
    if not ctx.features.offered("list"):
        check.detail("unverified_rejections", len(rejected))
        pytest.skip(
            f"{len(rejected)} rejected create(s) cannot be verified without list; "
            "treat them as possibly billed"
        )
    started = (ctx.probe_started or 0) - 2
    known = {j.video_id for j in ctx.budget.created if j.video_id}
    known |= {j.video_id for j in ctx.pool.jobs.values() if j.video_id}
    known |= set(ctx.created_by_checks)
    marker = f"[vc {ctx.run_tag} probe]"
    response = client.list_videos(limit=100, order="desc")
    body = response.json()
    if (
        response.status != 200
        or not isinstance(body, dict)
        or not isinstance(body.get("data"), list)
    ):
        pytest.skip(f"list answered {describe(response)}; cannot verify")
    strays = []
    for video in body["data"]:
        if not isinstance(video, dict) or video.get("id") in known:
            continue
        created_at = video.get("created_at")
        if isinstance(created_at, int) and created_at < started:
            continue
        prompt = video.get("prompt")
        if prompt in (None, "") or (isinstance(prompt, str) and marker in prompt):
            strays.append(str(video.get("id")))
    assert not strays, (
        f"{len(strays)} job(s) appeared after creates that were rejected "
        f"({', '.join(strays[:5])}): the customer is billed for errors"
    )
    check.note(f"after {len(rejected)} rejected creates, list shows no job they created")

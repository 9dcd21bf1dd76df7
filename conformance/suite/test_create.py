"""create: both request encodings accepted, defaults applied, the requested job echoed."""

from __future__ import annotations

import pytest

from conformance import catalog, contract
from conformance.jobs import CreateAttempt
from conformance.suite.kit import CheckRecorder, Jobs, Target, describe, js

CONTRACT_DEFAULTS = {"seconds": contract.DEFAULT_SECONDS, "size": contract.DEFAULT_SIZE}


def _attempts(jobs: Jobs) -> list[CreateAttempt]:
    """Every text create the pool sent, fallbacks included: the main job (JSON first) and the
    ``sdk`` job (openai-python, multipart)."""
    out: list[CreateAttempt] = []
    for purpose in ("main", "sdk"):
        if not jobs.pool.planned(purpose):
            continue
        job = jobs.pool.get_created(purpose)
        assert job is not None
        if not job.attempts and job.outcome == "error":
            raise RuntimeError(f"the {purpose} job hit a harness error: {job.reason}")
        out += job.attempts
    return out


def _judge_encoding(target: Target, jobs: Jobs, encoding: str, check: CheckRecorder) -> None:
    """A valid create in ``encoding`` is accepted; a refusal counts when the same fields were
    accepted in the other encoding (so the encoding, not the request, was refused)."""
    attempts = _attempts(jobs)
    if not attempts:
        pytest.skip("no create was sent in this run")
    tried = [a for a in attempts if a.encoding == encoding]
    label = "JSON" if encoding == "json" else encoding
    if not tried:
        pytest.skip(f"no {label} create was needed: the other encoding was accepted first")
    accepted = [a for a in tried if a.accepted]
    if accepted:
        check.attach(accepted[0].response.exchange)
        body = accepted[0].response.json()
        video_id = body.get("id") if isinstance(body, dict) else None
        assert video_id, f"the {label} create answered {accepted[0].response.status} without an id"
        check.note(f"{label} create answered {accepted[0].response.status} with id {video_id}")
        return
    refused = tried[0]
    check.attach(refused.response.exchange)
    other = [
        a for a in attempts if a.encoding != encoding and a.accepted and a.fields == refused.fields
    ]
    if not other:
        raise AssertionError(
            f"a valid {label} create answered {describe(refused.response)} (nothing the run sent "
            "in the other encoding was accepted either)"
        )
    check.attach(other[0].response.exchange)
    documented = (
        f" (the profile declares create_encodings = [{', '.join(target.create_encodings)}])"
        if encoding not in target.create_encodings
        else ""
    )
    raise AssertionError(
        f"a valid {label} create answered {describe(refused.response)}, while the same fields "
        f"sent as {other[0].encoding} were accepted{documented}"
    )


@catalog.check("VID-CREATE-001")
def test_json_create_accepted(target: Target, jobs: Jobs, check: CheckRecorder) -> None:
    _judge_encoding(target, jobs, "json", check)


@catalog.check("VID-CREATE-002")
def test_multipart_create_accepted(target: Target, jobs: Jobs, check: CheckRecorder) -> None:
    _judge_encoding(target, jobs, "multipart", check)


@catalog.check("VID-CREATE-003")
def test_create_answers_200(target: Target, jobs: Jobs, check: CheckRecorder) -> None:
    job = jobs.created("main")
    assert job.create is not None
    check.attach(job.create.exchange)
    status = job.create.status
    documented = (
        f" (the vendor documents {target.create_status})" if target.create_status == status else ""
    )
    assert status == 200, f"create answered {status}, the contract documents 200{documented}"
    check.note("create answered 200")


@catalog.check("VID-CREATE-004")
def test_defaults_applied(jobs: Jobs, check: CheckRecorder) -> None:
    job = jobs.finished("sdk")  # openai-python's create with only the prompt
    assert job.create is not None
    check.attach(job.create.exchange)
    problems = []
    for where, body in job.observed[:1] + job.observed[-1:]:
        for key, expected in CONTRACT_DEFAULTS.items():
            if body.get(key) != expected:
                problems.append(
                    f"{key} is {js(body.get(key))} in the {where} response, not {js(expected)}"
                )
    assert not problems, "a create without seconds and size: " + "; ".join(dict.fromkeys(problems))
    check.note('omitted seconds and size came back as "4" and "720x1280"')


def _model_matches(requested: str, echoed: object) -> bool:
    # A dated snapshot of the requested model (sora-2 → sora-2-2025-10-06) is the same model.
    return echoed == requested or (isinstance(echoed, str) and echoed.startswith(requested + "-"))


@catalog.check("VID-CREATE-005")
def test_requested_fields_echoed(jobs: Jobs, check: CheckRecorder) -> None:
    job = jobs.finished("main")
    assert job.create is not None
    check.attach(job.create.exchange)
    problems = []
    for where, body in job.observed[:1] + job.observed[-1:]:
        for key, requested in job.spec.requested.items():
            if requested is None:
                continue
            echoed = body.get(key)
            ok = _model_matches(requested, echoed) if key == "model" else echoed == requested
            if not ok:
                problems.append(
                    f"requested {key} {js(requested)}, the {where} response says {js(echoed)}"
                )
    assert not problems, "; ".join(dict.fromkeys(problems))
    asked = ", ".join(f"{k}={v}" for k, v in job.spec.requested.items() if v is not None)
    check.note(f"the job echoes {asked}")


@catalog.check("VID-CREATE-006")
def test_model_may_be_omitted(jobs: Jobs, check: CheckRecorder) -> None:
    job = jobs.get("sdk")  # openai-python's create with only the prompt
    if job is None:
        pytest.skip("no create without model was planned in this run")
    jobs.pool.get_created("sdk")
    without = [a for a in job.attempts if "model" not in a.fields]
    if not without:
        if job.outcome == "error":
            raise RuntimeError(f"the sdk job hit a harness error: {job.reason}")
        pytest.skip(f"no create without model was sent: {job.outcome} {job.reason}".strip())
    accepted = [a for a in without if a.accepted]
    if accepted:
        check.attach(accepted[0].response.exchange)
        body = accepted[0].response.json()
        model = body.get("model") if isinstance(body, dict) else None
        check.note(f"a create without model was accepted (the job runs {js(model)})")
        return
    # The finding needs a pair that differs only by the model: refused without it, accepted
    # with it, in the same encoding (a refusal of the encoding itself is VID-CREATE-001/002's).
    for refused in without:
        resent = next(
            (
                a
                for a in job.attempts
                if "model" in a.fields and a.encoding == refused.encoding and a.accepted
            ),
            None,
        )
        if resent is not None:
            check.attach(refused.response.exchange, resent.response.exchange)
            raise AssertionError(
                f"a create without model answered {describe(refused.response)}: the contract "
                f"makes model optional (default sora-2); resent with model "
                f"{js(resent.fields.get('model'))}, it answered {resent.response.status}"
            )
    check.attach(without[0].response.exchange)
    pytest.skip(
        f"a create without model answered {describe(without[0].response)}, and no create "
        "that differs only by the model was accepted to tell why"
    )

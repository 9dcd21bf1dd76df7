"""create: both request encodings accepted, defaults applied, the requested job echoed."""

from __future__ import annotations

import pytest

from conformance import catalog
from conformance.config import Target
from conformance.jobs import FinishedJob
from conformance.plugin import CheckRecorder, Jobs, Unsupported
from conformance.suite.support import Probes, describe

CONTRACT_DEFAULTS = {"seconds": "4", "size": "720x1280"}


def _create_answer(target: Target, jobs: Jobs, encoding: str) -> FinishedJob:
    """The pool job created with ``encoding``, once its create answered."""
    if encoding not in target.create_encodings and _pool_job(jobs, encoding) is None:
        declared = ", ".join(target.create_encodings)
        raise Unsupported(f"the profile declares create_encodings = [{declared}], not {encoding}")
    for purpose in ("main", "defaults"):
        job = jobs.pool.get_created(purpose)
        if job is not None and job.spec.encoding == encoding:
            if job.create is None:
                if job.outcome == "error":
                    raise RuntimeError(job.reason)
                pytest.skip(f"the {encoding} create was not sent: {job.reason}")
            return job
    pytest.skip(f"no {encoding} create job in this run")


def _accepted(job: FinishedJob, encoding: str, check: CheckRecorder) -> None:
    assert job.create is not None
    check.attach(job.create.exchange)
    assert job.create.ok, f"a valid {encoding} create answered {describe(job.create)}"
    assert job.video_id, f"the {encoding} create answered {job.create.status} without an id"
    check.note(f"{encoding} create answered {job.create.status} with id {job.video_id}")


def _pool_job(jobs: Jobs, encoding: str) -> FinishedJob | None:
    """A pool job that was created with ``encoding``, if the run planned one."""
    for purpose in ("main", "defaults"):
        job = jobs.pool.get_created(purpose)
        if job is not None and job.spec.encoding == encoding:
            return job
    return None


@catalog.check("VID-CREATE-001")
def test_json_create_accepted(
    target: Target, jobs: Jobs, probes: Probes, check: CheckRecorder
) -> None:
    if "json" in target.create_encodings or _pool_job(jobs, "json") is not None:
        _accepted(_create_answer(target, jobs, "json"), "JSON", check)
        return
    # The vendor documents no JSON create, yet the contract lists it (api §2, §5.2) and curl
    # users and older SDKs send it (dev E2): it is probed once, so a refusal is the finding it
    # is instead of "unsupported".
    result = probes.create(
        probes.valid_fields(),
        encoding="json",
        purpose="VID-CREATE-001",
        seconds=int(target.main_seconds),
    )
    check.attach(result.response.exchange)
    assert result.accepted, (
        f"a valid JSON create answered {describe(result.response)}; the profile documents "
        f"only {', '.join(target.create_encodings)}, and curl users, openai-python before 2.27 "
        "and openai-node before 6.28 send JSON"
    )
    check.note(f"JSON create answered {result.response.status} with id {result.video_id}")


@catalog.check("VID-CREATE-002")
def test_multipart_create_accepted(target: Target, jobs: Jobs, check: CheckRecorder) -> None:
    _accepted(_create_answer(target, jobs, "multipart"), "multipart", check)


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
    job = jobs.finished("defaults")
    assert job.create is not None
    check.attach(job.create.exchange)
    problems = []
    for where, body in job.observed[:1] + job.observed[-1:]:
        for key, expected in CONTRACT_DEFAULTS.items():
            if body.get(key) != expected:
                problems.append(
                    f"{key} is {body.get(key)!r} in the {where} response, not {expected!r}"
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
                    f"requested {key} {requested!r}, the {where} response says {echoed!r}"
                )
    assert not problems, "; ".join(dict.fromkeys(problems))
    asked = ", ".join(f"{k}={v}" for k, v in job.spec.requested.items() if v is not None)
    check.note(f"the job echoes {asked}")


@catalog.check("VID-CREATE-006")
def test_model_may_be_omitted(jobs: Jobs, check: CheckRecorder) -> None:
    job = jobs.get("defaults")
    if job is None:
        pytest.skip("no create without model was planned in this run")
    jobs.created("defaults")  # waits for the create; skips with the reason if it never answered
    refused = job.refused_first
    if refused is not None:
        check.attach(refused.exchange)
        fallback = job.spec.fallback_fields or {}
        resent = job.create
        then = (
            f"; resent with model {fallback.get('model')!r}, it answered {resent.status}"
            if resent is not None
            else ""
        )
        raise AssertionError(
            f"a create without model answered {describe(refused)}: the contract makes model "
            f"optional (default sora-2){then}"
        )
    assert job.create is not None
    check.attach(job.create.exchange)
    body = job.create.json()
    model = body.get("model") if isinstance(body, dict) else None
    check.note(f"a create without model was accepted (the job runs {model!r})")

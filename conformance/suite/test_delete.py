"""delete: the deleted object, and the video gone afterwards.

These checks run last (``destructive``) and delete one finished job of the pool that no other
check needs once the ordinary checks are done: the ``remix``, else the ``sdk`` job (unless
VID-SDK-003 deleted it through openai-python), else the ``failing``, ``image`` or ``main`` job.
The remix comes first because it stays listed until the end: created later than the other
jobs, it gives the list order check (late) two distinct ``created_at`` to sort without a job
of its own. The contract promises deletion of completed or failed
videos only, so a job that did not finish is not deleted here.
"""

from __future__ import annotations

import pytest

from conformance import catalog, contract
from conformance.suite.kit import (
    CheckRecorder,
    Client,
    FeatureMap,
    Jobs,
    PoolJob,
    SuiteContext,
    describe,
    js,
)

TARGETS = ("remix", "sdk", "failing", "image", "main")
"""The jobs VID-DEL may delete, first preferred (all planned for it or for other checks)."""


def _target(ctx: SuiteContext, jobs: Jobs) -> PoolJob:
    """The first finished job of ``TARGETS`` that is still there (skips when there is none)."""
    gone = set(ctx.deleted)
    states = []
    for purpose in TARGETS:
        job = jobs.pool.get(purpose)
        if job is None:
            continue
        if job.outcome == "error":
            raise RuntimeError(f"the {purpose!r} job hit a harness error: {job.reason}")
        if job.outcome in ("completed", "failed") and job.video_id and job.video_id not in gone:
            return job
        states.append(f"{purpose}: {'deleted' if job.video_id in gone else job.outcome}")
    pytest.skip(
        "no finished job to delete; only finished ones are ("
        + (", ".join(states) or "none planned")
        + ")"
    )


@pytest.mark.destructive
@catalog.check("VID-DEL-001")
def test_delete_answers_deleted_object(
    ctx: SuiteContext,
    client: Client,
    jobs: Jobs,
    check: CheckRecorder,
    features: FeatureMap,
) -> None:
    job = _target(ctx, jobs)
    assert job.video_id is not None
    ctx.delete_target = job.video_id
    response = client.delete(job.video_id)
    if response.ok:
        ctx.deleted.append(job.video_id)
    # The job exists (it just finished), so "no such route" cannot be "no such video".
    features.judge_route("delete", response, f"DELETE of the finished job {job.video_id}")
    assert response.ok, f"DELETE of a finished job answered {describe(response)}"
    body = response.json()
    problems = contract.errors("DeletedVideo", body)
    assert not problems, (
        'the delete answer is not {id, object: "video.deleted", deleted: true}: '
        + "; ".join(problems[:4])
    )
    assert body["deleted"] is True, f"delete answered deleted: {js(body['deleted'])}"
    assert body["id"] == job.video_id, f"delete of {job.video_id} answered the id {js(body['id'])}"
    check.note(f'{response.status} {{id, object: "video.deleted", deleted: true}}')


@pytest.mark.destructive
@catalog.check("VID-DEL-002")
def test_deleted_video_is_gone(
    ctx: SuiteContext,
    client: Client,
    check: CheckRecorder,
    features: FeatureMap,
) -> None:
    video_id = ctx.delete_target
    if video_id is None or video_id not in ctx.deleted:
        pytest.skip("no job was deleted by VID-DEL-001")
    retrieve = client.retrieve(video_id)
    content = client.content(video_id, follow_redirects=False)
    assert retrieve.status == 404, (
        f"retrieve of the deleted video {video_id} answered {describe(retrieve)}, not 404"
    )
    assert content.status == 404, (
        f"/content of the deleted video {video_id} answered {describe(content)}, not 404"
    )
    check.note("after delete, retrieve and /content answer 404")

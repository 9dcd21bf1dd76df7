"""delete: the deleted object, and the video gone afterwards.

These checks run last (``destructive``) and delete the ``defaults`` job, which the pool plans
for them and no other check needs once the ordinary checks are done. The contract promises
deletion of completed or failed videos only, so a job that did not finish is not deleted here.
"""

from __future__ import annotations

import pytest

from conformance import catalog, contract
from conformance.suite.kit import (
    CheckRecorder,
    Client,
    FeatureMap,
    Jobs,
    SuiteContext,
    describe,
    js,
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
    job = jobs.finished("defaults")
    if job.outcome not in ("completed", "failed") or job.video_id is None:
        pytest.skip(f"the defaults job did not finish ({job.outcome}); only finished ones are")
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
    jobs: Jobs,
    check: CheckRecorder,
    features: FeatureMap,
) -> None:
    job = jobs.finished("defaults")
    if job.video_id is None or job.video_id not in ctx.deleted:
        pytest.skip("the defaults job was not deleted (see VID-DEL-001)")
    retrieve = client.retrieve(job.video_id)
    content = client.content(job.video_id, follow_redirects=False)
    assert retrieve.status == 404, (
        f"retrieve of the deleted video {job.video_id} answered {describe(retrieve)}, not 404"
    )
    assert content.status == 404, (
        f"/content of the deleted video {job.video_id} answered {describe(content)}, not 404"
    )
    check.note("after delete, retrieve and /content answer 404")

"""remix: a remix links its source and completes with an MP4.

The pool creates the ``remix`` job (a remix of the ``main`` job once that completed) through
openai-python's ``client.videos.remix`` (VID-SDK-003 judges what the SDK made of it); these
checks judge the raw answer, recorded as our own client would have, and our poller's record.
"""

from __future__ import annotations

import pytest

from conformance import catalog
from conformance.suite.kit import CheckRecorder, FeatureMap, Jobs, describe, js


def _remix_created(
    jobs: Jobs, check: CheckRecorder, features: FeatureMap
) -> tuple[str, dict[str, object]]:
    """The remix job's source id and its create answer (a failure when it was refused)."""
    source = jobs.completed("main")
    job = jobs.finished("remix")  # the pool creates the remix only after main completed
    response = job.create
    if response is None:
        pytest.skip(f"the remix was not sent: {job.outcome} {job.reason}".strip())
    check.attach(response.exchange)
    features.judge_route("remix", response, f"remix of the completed job {source.video_id}")
    assert job.created, f"remix of a completed job answered {describe(response)}"
    body = response.json()
    assert isinstance(body, dict), f"remix answered no JSON object: {describe(response)}"
    assert source.video_id is not None
    return source.video_id, body


@catalog.check("VID-REMIX-001")
def test_remix_links_source(jobs: Jobs, check: CheckRecorder, features: FeatureMap) -> None:
    source_id, body = _remix_created(jobs, check, features)
    remix = jobs.finished("remix")
    bodies = [("remix create", body)] + [
        (f"remix poll #{i}", b) for i, (_, b) in enumerate(remix.observed[1:])
    ]
    for where, video in bodies:
        link = video.get("remixed_from_video_id") if isinstance(video, dict) else None
        assert link == source_id, (
            f"the {where} answer has remixed_from_video_id {js(link)}, "
            f"not the source {js(source_id)}"
        )
    assert body.get("id") != source_id, "remix answered the source video itself, not a new job"
    check.note(f"remix {body.get('id')} links its source {source_id} on create and every poll")


@catalog.check("VID-REMIX-002")
def test_remix_completes(jobs: Jobs, check: CheckRecorder, features: FeatureMap) -> None:
    _remix_created(jobs, check, features)
    job = jobs.finished("remix")
    error = (job.final or {}).get("error")
    assert job.outcome == "completed", f"the remix job {job.video_id} ended {job.outcome}" + (
        f": {error}" if error else f" ({job.reason or job.terminal_word})"
    )
    response = job.content
    assert response is not None, "the remix job's content was not downloaded"
    check.attach(response.exchange)
    assert response.status == 200, f"/content of the completed remix answered {describe(response)}"
    probe = job.probe()
    assert probe.ok, f"the remix's content is not a decodable video: {probe.error}"
    check.note(f"the remix completed: {probe.width}x{probe.height}, {probe.frames} frames")

"""image_to_video: a multipart create with an ``input_reference`` image file completes.

The pool creates the ``image`` job: multipart with a JPEG at the job's size, as the SDK sends
``input_reference=open("frame.jpg", "rb")`` (a file part with a filename and a Content-Type).
"""

from __future__ import annotations

import pytest

from conformance import catalog
from conformance.suite.kit import CheckRecorder, FeatureMap, Jobs, describe


@catalog.check("VID-I2V-001")
def test_image_reference_completes(jobs: Jobs, check: CheckRecorder, features: FeatureMap) -> None:
    job = jobs.get("image")
    if job is None:
        pytest.skip("no image job in this run")
    if job.create is None:
        pytest.skip(f"the image job was not sent: {job.outcome} {job.reason}".strip())
    check.attach(job.create.exchange)
    features.judge_route(
        "image_to_video", job.create, "a multipart create with an input_reference image file"
    )
    assert job.created, (
        f"a multipart create with an input_reference image file answered {describe(job.create)}"
    )
    if job.outcome == "error":
        raise RuntimeError(f"the image job hit a harness error: {job.reason}")
    assert job.outcome == "completed", (
        f"the image-to-video job ended {job.outcome} "
        f"({job.terminal_word or job.reason or 'no reason given'})"
    )
    response = job.content
    assert response is not None, "the image-to-video job's content was not downloaded"
    check.attach(response.exchange)
    assert response.status == 200, f"/content of the image job answered {describe(response)}"
    probe = job.probe()
    assert probe.ok, f"the image-to-video content is not a decodable video: {probe.error}"
    check.note(f"input_reference accepted; the job completed ({probe.width}x{probe.height})")

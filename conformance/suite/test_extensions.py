"""extensions: values the vendor documents beyond the contract (profile ``[extensions]``).

A declared extension that works is reported as an extension (``kind="extension"``, never a
failure of the contract); one that is refused or not honoured fails (a MAY check: the vendor's
own documentation misleads integrators). Nothing declared: ``unsupported``.
"""

from __future__ import annotations

import pytest

from conformance import catalog, media
from conformance.suite.kit import (
    CheckRecorder,
    Jobs,
    PoolJob,
    Target,
    Unsupported,
    describe,
    duration_tolerance,
    js,
)


def _accepted(jobs: Jobs, purpose: str, what: str, check: CheckRecorder) -> PoolJob:
    job = jobs.get(purpose)  # finished, whatever happened: a rejection is this check's failure
    if job is None or job.create is None:
        reason = f"{job.outcome} {job.reason}".strip() if job is not None else "not planned"
        pytest.skip(f"the create with the declared {what} was not sent: {reason}")
    if job.outcome == "error":
        raise RuntimeError(f"the {what} job hit a harness error: {job.reason}")
    check.attach(job.create.exchange)
    assert job.created, f"the declared {what} was rejected: {describe(job.create)}"
    return job


def _completed_probe(job: PoolJob, what: str, check: CheckRecorder) -> media.VideoProbe:
    assert job.outcome == "completed", (
        f"the job with the declared {what} ended {job.outcome} "
        f"({job.terminal_word or job.reason or 'no reason given'})"
    )
    response = job.content
    assert response is not None and response.status == 200, (
        f"/content of the job with the declared {what} answered "
        f"{describe(response) if response is not None else 'nothing'}"
    )
    check.attach(response.exchange)
    probe = job.probe()
    assert probe.ok, f"the video with the declared {what} does not decode: {probe.error}"
    return probe


@catalog.check("VID-EXT-001")
def test_declared_seconds(target: Target, jobs: Jobs, check: CheckRecorder) -> None:
    if not target.extension_seconds:
        raise Unsupported("the profile declares no extra durations ([extensions] seconds)")
    seconds = target.extension_seconds[0]
    what = f'seconds "{seconds}"'
    job = _accepted(jobs, "extension_seconds", what, check)
    echoed = (job.final or {}).get("seconds")
    assert echoed == seconds, f"the job with {what} reports seconds {js(echoed)}"
    probe = _completed_probe(job, what, check)
    if seconds.isdigit() and probe.duration_s is not None:
        tolerance = duration_tolerance(int(seconds))
        assert abs(probe.duration_s - int(seconds)) <= tolerance, (
            f"the job with {what} lasts {probe.duration_s:.2f} s (tolerance {tolerance:g} s)"
        )
    check.extension(f"the declared extra duration {what} is accepted and honoured")


@catalog.check("VID-EXT-002")
def test_declared_sizes(target: Target, jobs: Jobs, check: CheckRecorder) -> None:
    if not target.extension_sizes:
        raise Unsupported("the profile declares no extra sizes ([extensions] sizes)")
    size = target.extension_sizes[0]
    what = f'size "{size}"'
    job = _accepted(jobs, "extension_size", what, check)
    echoed = (job.final or {}).get("size")
    assert echoed == size, f"the job with {what} reports size {js(echoed)}"
    probe = _completed_probe(job, what, check)
    actual = f"{probe.width}x{probe.height}"
    if "x" in size:
        assert actual == size, f"the job with {what} rendered {actual}"
    check.extension(f"the declared extra size {what} is accepted and rendered at {actual}")

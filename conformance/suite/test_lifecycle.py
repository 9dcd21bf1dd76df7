"""lifecycle: status vocabulary and order, progress, completed_at, failures, timeouts, poll hint."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from conformance import catalog
from conformance.contract import STATUSES
from conformance.suite.kit import (
    CheckRecorder,
    Jobs,
    PoolJob,
    Target,
    VideoLedger,
    every_video,
    js,
)

RANK = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}
TERMINAL = ("completed", "failed")
INTEGER_HEADER = re.compile(r"^[0-9]+$")


def _created_jobs(jobs: Jobs) -> list[PoolJob]:
    created = [j for j in jobs.all() if j.video_id]
    if not created:
        pytest.skip("no job was created in this run")
    return created


def _followed_jobs(jobs: Jobs) -> list[PoolJob]:
    """Created jobs seen at least twice (create and a retrieve): a rule about how a job moves
    has no evidence from a job that was never retrieved."""
    followed = [j for j in _created_jobs(jobs) if len(j.observed) >= 2]
    if not followed:
        pytest.skip("no created job was ever retrieved with a 2xx, so none could be followed")
    return followed


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@pytest.mark.late
@catalog.check("VID-LIFE-001")
def test_status_vocabulary(jobs: Jobs, ledger: VideoLedger, check: CheckRecorder) -> None:
    seen = every_video(jobs.all(), ledger)
    if not seen:
        pytest.skip("no Video object was seen in this run")
    odd: dict[str, str] = {}
    for where, body in seen:
        status = body.get("status") if isinstance(body, dict) else None
        if status not in STATUSES:
            odd.setdefault(repr(status), where)
    assert not odd, (
        "status outside queued/in_progress/completed/failed: "
        + "; ".join(f"{word} ({where})" for word, where in odd.items())
        + ". openai-python's create_and_poll returns early, without error, on any other word, "
        "so callers download a job that is not finished"
    )
    check.note(f"{len(seen)} Video objects use only the four status words")


@pytest.mark.late
@catalog.check("VID-LIFE-002")
def test_status_moves_forward(jobs: Jobs, check: CheckRecorder) -> None:
    problems = []
    for job in _followed_jobs(jobs):
        words = [b.get("status") for _, b in job.observed if b.get("status") in RANK]
        for before, after in itertools.pairwise(words):
            if RANK[after] < RANK[before] or (before in TERMINAL and after != before):
                problems.append(f"{job.purpose} job went from {js(before)} to {js(after)}")
                break
    assert not problems, "; ".join(problems)
    check.note("every job's status only moved forward")


@pytest.mark.late
@catalog.check("VID-LIFE-003")
def test_progress_integer_in_range(jobs: Jobs, ledger: VideoLedger, check: CheckRecorder) -> None:
    seen = every_video(jobs.all(), ledger)
    if not seen:
        pytest.skip("no Video object was seen in this run")
    bad: dict[str, str] = {}
    for where, body in seen:
        value = body.get("progress", "<missing>") if isinstance(body, dict) else "<missing>"
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100):
            bad.setdefault(repr(value), where)
    assert not bad, "progress is not an integer 0..100: " + "; ".join(
        f"{value} ({where})" for value, where in list(bad.items())[:5]
    )
    check.note(f"progress is an integer 0..100 in {len(seen)} Video objects")


@pytest.mark.late
@catalog.check("VID-LIFE-004")
def test_progress_never_decreases(jobs: Jobs, check: CheckRecorder) -> None:
    problems = []
    for job in _followed_jobs(jobs):
        values = [b.get("progress") for _, b in job.observed]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        for before, after in itertools.pairwise(numbers):
            if after < before:
                problems.append(f"{job.purpose} job progress went from {before} to {after}")
                break
    assert not problems, "; ".join(problems)
    check.note("progress never decreased")


@pytest.mark.late
@catalog.check("VID-LIFE-005")
def test_progress_100_when_completed(jobs: Jobs, check: CheckRecorder) -> None:
    completed = [
        (job.purpose, b)
        for job in _created_jobs(jobs)
        for _, b in job.observed
        if b.get("status") == "completed"
    ]
    if not completed:
        pytest.skip("no job was seen completed")
    bad = [
        f"{p} job: progress {js(b.get('progress'))}"
        for p, b in completed
        if b.get("progress") != 100
    ]
    assert not bad, "completed but " + "; ".join(dict.fromkeys(bad))
    check.note("every completed job reports progress 100")


@pytest.mark.late
@catalog.check("VID-LIFE-006")
def test_completed_at_only_when_terminal(jobs: Jobs, check: CheckRecorder) -> None:
    problems = []
    for job in _followed_jobs(jobs):
        for where, body in job.observed:
            status, value = body.get("status"), body.get("completed_at")
            if status in ("queued", "in_progress") and value is not None:
                problems.append(
                    f"{job.purpose} job {where}: {status} with completed_at {js(value)}"
                )
            if status == "completed" and not _is_int(value):
                problems.append(
                    f"{job.purpose} job {where}: completed with completed_at {js(value)}"
                )
    assert not problems, "; ".join(list(dict.fromkeys(problems))[:5])
    check.note("completed_at is null while a job runs and an integer once it completed")


@pytest.mark.late
@catalog.check("VID-LIFE-007")
def test_failed_job_carries_error(target: Target, jobs: Jobs, check: CheckRecorder) -> None:
    failed = [j for j in jobs.all() if j.outcome == "failed"]
    if not failed:
        planned = jobs.get("failing")
        if planned is None:
            pytest.skip("no job failed and the profile names no failing_prompt to make one fail")
        if planned.outcome == "completed":
            pytest.skip("the profile's failing_prompt did not make the job fail (it completed)")
        pytest.skip(f"the failing job did not fail: {planned.outcome} {planned.reason}".strip())
    problems = []
    for job in failed:
        error = (job.final or {}).get("error")
        if not isinstance(error, dict):
            problems.append(f"{job.purpose} job failed with error {js(error)}, not an object")
            continue
        for key in ("code", "message"):
            if not isinstance(error.get(key), str):
                problems.append(
                    f"{job.purpose} job: error.{key} is {js(error.get(key))}, not a string"
                )
    if failed[0].polls:
        check.attach(failed[0].polls[-1].exchange)
    assert not problems, "; ".join(problems)
    check.note(f"{len(failed)} failed job(s) carry error {{code, message}}")


@pytest.mark.late
@catalog.check("VID-LIFE-008")
def test_jobs_finish_within_timeout(target: Target, jobs: Jobs, check: CheckRecorder) -> None:
    created = _created_jobs(jobs)
    stuck = [f"{j.purpose} job: {j.reason}" for j in created if j.outcome in ("timeout", "broken")]
    assert not stuck, "; ".join(stuck)
    slowest = max(j.duration_s for j in created)
    check.note(
        f"{len(created)} job(s) reached a terminal status; slowest {slowest:.1f} s "
        f"(timeout {target.job_timeout_s:g} s)"
    )


@pytest.mark.late
@catalog.check("VID-LIFE-009")
def test_poll_after_header_integer(jobs: Jobs, check: CheckRecorder) -> None:
    values = []
    for job in _created_jobs(jobs):
        for poll in job.polls:
            raw = {k.lower(): v for k, v in poll.headers.items()}.get("openai-poll-after-ms")
            if raw is not None:
                values.append(raw)
                if not INTEGER_HEADER.match(raw):
                    check.attach(poll.exchange)
    bad = sorted({v for v in values if not INTEGER_HEADER.match(v)})
    assert not bad, (
        f"openai-poll-after-ms is {js(bad[0])}: the SDK parses it with int() and raises "
        "inside poll()"
    )
    if values:
        check.note(f"openai-poll-after-ms sent {len(values)} time(s), always an integer")
        return
    polls = sum(len(j.polls) for j in _created_jobs(jobs))
    if not polls:
        pytest.skip("no job was retrieved, so no answer could carry the header")
    # Legal (the header is not in the official spec, api §7), but worth knowing (dev G2).
    check.observe(
        f"openai-poll-after-ms was never sent in {polls} retrieves: legal, but openai-python's "
        "poll() then asks every 1 s unless the caller passes poll_interval_ms"
    )

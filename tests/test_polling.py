"""The poll schedule: hints first, then the job's progress rate, then a fraction of its age."""

from __future__ import annotations

import pytest

from conformance.polling import FLOOR_S, PollSchedule, hinted_delay


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (200, {"openai-poll-after-ms": "250"}, 0.25),
        (200, {"openai-poll-after-ms": "soon"}, None),  # the SDK int()s it: not a hint
        (429, {"Retry-After": "2"}, 2.0),
        (429, {"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        (503, {"retry-after": "999"}, 60.0),
        (503, {"retry-after": "nan"}, None),
        (200, {"Retry-After": "2"}, None),  # only flow control answers carry it
    ],
)
def test_hints(status: int, headers: dict[str, str], expected: float | None) -> None:
    assert hinted_delay(status, headers) == (pytest.approx(expected) if expected else None)


def _simulate(duration: float, *, with_progress: bool, queued: float = 0.0) -> tuple[float, int]:
    """(notice delay, polls) of the schedule on a job that completes at ``duration``."""
    schedule = PollSchedule()
    schedule.observe(0.0, {"status": "queued", "progress": 0})
    t, polls = 0.01, 0
    while True:
        polls += 1
        if t >= duration:
            return t - duration, polls
        running = t >= queued
        progress = int(100 * (t - queued) / (duration - queued)) if running else 0
        body: dict[str, object] = {"status": "in_progress" if running else "queued"}
        if with_progress:
            body["progress"] = progress
        schedule.observe(t, body)
        t += schedule.next_delay(t, 200, {})


@pytest.mark.parametrize("duration", [2.7, 3.0, 12.0, 95.0, 600.0])
def test_progress_rate_notices_completion_within_a_tenth_of_the_job(duration: float) -> None:
    delay, polls = _simulate(duration, with_progress=True, queued=0.2 * duration)
    assert delay <= 0.1 * duration
    fixed_1s_polls = int(duration) + 1
    assert polls <= 2 * fixed_1s_polls


@pytest.mark.parametrize("duration", [3.0, 60.0, 900.0])
def test_without_progress_the_wait_grows_with_the_job_and_never_drops_below_the_floor(
    duration: float,
) -> None:
    delay, polls = _simulate(duration, with_progress=False)
    assert delay <= max(0.1 * duration * 1.1, FLOOR_S)
    assert polls <= 2 * (int(duration) + 1)


def test_a_hint_wins_over_the_estimate() -> None:
    schedule = PollSchedule()
    schedule.observe(0.0, {"status": "in_progress", "progress": 0})
    schedule.observe(1.0, {"status": "in_progress", "progress": 50})
    assert schedule.estimated_completion() == (pytest.approx(2.0), False)
    assert schedule.next_delay(1.0, 200, {"openai-poll-after-ms": "5000"}) == 5.0


def test_progress_that_does_not_move_gives_no_estimate() -> None:
    schedule = PollSchedule()
    for t in (0.0, 1.0, 2.0):
        schedule.observe(t, {"status": "in_progress", "progress": 40})
    assert schedule.estimated_completion() is None
    assert schedule.next_delay(20.0, 200, {}) == pytest.approx(2.0)

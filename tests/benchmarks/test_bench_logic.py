"""Pure logic of the benchmarks: chains of dependent jobs, the duration sweep, summaries."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.polling import HINT_MS, Observation, durations, no_hint_rows, summarise
from benchmarks.providers import StoredJob
from benchmarks.wall import longest_chain


def _job(
    job_id: str, created: float, completed: float | None, source: str | None = None
) -> StoredJob:
    return StoredJob(
        id=job_id,
        status="completed" if completed is not None else "in_progress",
        seconds=4,
        created_at=created,
        started_at=created,
        completed_at=completed,
        remixed_from=source,
        deleted=True,
    )


def test_longest_chain_follows_remix_links_to_the_root() -> None:
    jobs = [
        _job("main", 100.0, 103.0),
        _job("other", 100.1, 103.5),
        _job("remix", 103.2, 106.4, source="main"),
    ]
    assert longest_chain(jobs) == pytest.approx(6.4)


def test_longest_chain_without_links_is_the_longest_job() -> None:
    assert longest_chain([_job("a", 0.0, 3.0), _job("b", 1.0, 5.0)]) == pytest.approx(4.0)


def test_longest_chain_ignores_unfinished_jobs_and_survives_cycles() -> None:
    jobs = [_job("a", 0.0, None), _job("x", 1.0, 2.0, source="y"), _job("y", 0.5, 1.0, "x")]
    assert longest_chain(jobs) == pytest.approx(1.5)
    assert longest_chain([_job("a", 0.0, None)]) is None


def test_durations_sweep_one_hint_period_evenly() -> None:
    values = durations(5)
    steps = {round(b - a, 6) for a, b in itertools.pairwise(values)}
    assert steps == {HINT_MS / 1000 / 5}
    assert values[-1] - values[0] < HINT_MS / 1000


def test_summarise_counts_unnoticed_jobs_but_not_their_delays() -> None:
    observations = [
        Observation("ours", True, 0.1, 5, job_s=2.0),
        Observation("ours", True, 0.3, 7, job_s=3.0),
        Observation("ours", True, None, 40),
        Observation("ours", False, 2.0, 3),
        Observation("fixed 1 s", True, 0.9, 4),
    ]
    row = summarise(observations, "ours", True)
    assert row == ["ours", "hint", "2/3", "200 ms", "280 ms", "300 ms", "7.5 %", "6", "6.00"]


def test_no_hint_rows_compare_with_the_fixed_poller_per_kind_and_length() -> None:
    observations = [
        Observation("ours", False, 0.2, 6, job_s=4.0, group=2.7),
        Observation("ours", False, 0.4, 8, job_s=4.0, group=2.7),
        Observation("fixed 1 s", False, 0.5, 3, job_s=4.0, group=2.7),
        Observation("fixed 1 s", False, 0.7, 5, job_s=4.0, group=2.7),
        Observation("ours", False, 1.0, 9, job_s=10.0, group=6.0, progress=False),
        Observation("fixed 1 s", False, 0.5, 9, job_s=10.0, group=6.0, progress=False),
        Observation("ours", True, 0.1, 20, job_s=4.0, group=2.7),  # a hint round: left out
    ]
    rows = no_hint_rows(observations)
    assert rows == [
        ["no hint", "4.00 s", "300 ms", "7.5 %", "7.00", "4.00", "1.75"],
        ["no hint, no progress", "10.00 s", "1000 ms", "10.0 %", "9.00", "9.00", "1.00"],
    ]


def test_figures_split_a_command_into_start_up_chain_and_tail() -> None:
    from benchmarks.command import CommandRun
    from benchmarks.wall import figures, timeline

    jobs = [
        _job("main", 1000.8, 1003.9),
        _job("other", 1000.9, 1003.5),
        _job("remix", 1004.0, 1007.1, source="main"),
    ]
    run = CommandRun("this commit", 0, wall_s=7.6, started_wall=1000.0, jobs=jobs)
    f = figures(run)
    assert f.startup_s == pytest.approx(0.8)
    assert f.chain_s == pytest.approx(6.3)
    assert f.tail_s == pytest.approx(0.5)
    assert f.chain_ratio == pytest.approx(7.6 / 6.3)
    assert f.serial_sum_s == pytest.approx(3.1 + 2.6 + 3.1)
    rows = timeline(f)
    assert rows[0][3] == "0.80 s"
    assert rows[-1][1:4] == ["+7.10 s", "+7.60 s", "0.50 s"]
    assert rows[3][5] == "job 1"  # the remix names its source


def test_a_job_still_rendering_at_the_cap_is_not_lost() -> None:
    from benchmarks.throughput import LevelResult, _merge, jobs_per_client

    result = LevelResult(4, 4, stored_jobs=4)
    facts = {
        "wall_s": 3.0, "latencies": {"retrieve": [0.01]}, "accepted_ids": ["a", "b"],
        "finished": 1, "refused_creates": 0, "errors": [], "transport_errors": [],
        "loop_lags": [0.001], "unfinished_at_cap": 1,
    }  # fmt: skip
    _merge(result, facts)
    _merge(result, {**facts, "accepted_ids": ["c", "d"], "unfinished_at_cap": 0, "wall_s": 4.0})
    assert result.wall_s == 4.0
    assert result.unfinished_at_cap == 1
    # d ended without a download and was not running at the cap: lost; b was still rendering.
    assert result.lost == 1
    assert [jobs_per_client(n, 3) for n in (1, 10, 100, 1000)] == [3, 3, 1, 1]

"""The run's observer: events reach the installed display; the line log says what changed."""

from __future__ import annotations

import io

from conformance import live
from conformance.budget import Budget, BudgetLimits
from conformance.live_state import RunState


def _log(verbose: bool = False) -> tuple[live.LineLog, io.StringIO]:
    stream = io.StringIO()
    state = RunState(totals={"create": 2, "auth": 1}, fuzz_budget_s=60)
    return live.LineLog(state, verbose=verbose, stream=stream), stream


def test_outside_a_run_events_go_nowhere() -> None:
    assert type(live.events()) is live.RunEvents
    live.events().job_update("main", "queued", 0)  # no display: nothing happens, nothing raises


def test_observing_installs_and_restores() -> None:
    display, _ = _log()
    with live.observing(display):
        assert live.events() is display
    assert type(live.events()) is live.RunEvents


def test_line_log_prints_job_status_changes_only() -> None:
    display, stream = _log()
    display.job_update("main", "queued", 0)
    display.job_update("main", "queued", 0)
    display.job_update("main", "in_progress", 40)
    display.job_update("main", "in_progress", 60)
    display.job_done("main", "completed")
    display.job_done("main", "completed")  # a second settle is not a second line
    lines = stream.getvalue().splitlines()
    assert [line.split("] ", 1)[1] for line in lines[:2]] == [
        "job main: queued 0%",
        "job main: in_progress 40%",
    ]
    assert len(lines) == 3 and "job main: completed after" in lines[2]


def test_off_contract_progress_is_shown_as_sent() -> None:
    display, stream = _log()
    display.job_update("main", "processing", "45%")
    assert "job main: processing progress '45%'" in stream.getvalue()


def test_counters_and_heartbeat() -> None:
    display, stream = _log()
    display._last_beat -= live.HEARTBEAT_S  # as if the last summary were long ago
    display.check_done("VID-CREATE-001", "create", "passed")
    display.check_done("VID-AUTH-001", "auth", "failed")
    display.fuzz_progress(120, 2)
    display.budget(3, 12, 0.0)
    state = display.state
    assert state.checks_line() == "checks 2/3 (1 failed)"
    assert "property phase 120 requests, 2 findings" in state.fuzz_line()
    assert state.budget_line(40) == "budget 3/40 jobs, 12 s, $0.00"
    assert "checks 1/3" in stream.getvalue()  # one heartbeat line, at the first event


def test_verbose_prints_exchanges() -> None:
    quiet, quiet_stream = _log()
    quiet.exchange("GET", "http://h/v1/videos/x", 200, 3.2)
    assert quiet_stream.getvalue() == ""
    loud, stream = _log(verbose=True)
    loud.exchange("GET", "http://h/v1/videos/x", 200, 3.2)
    loud.exchange("POST", "http://h/v1/videos", None, None)
    assert stream.getvalue().splitlines() == [
        "  GET http://h/v1/videos/x -> 200 (3 ms)",
        "  POST http://h/v1/videos -> no answer",
    ]


def test_the_budget_meter_reports_accepted_jobs() -> None:
    display, _ = _log()
    budget = Budget(BudgetLimits(max_jobs=3, max_video_seconds=20, price_per_second=0.5))
    with live.observing(display):
        reservation = budget.reserve(4, "main")
        assert reservation is not None
        reservation.confirm("video_1")
        rejected = budget.reserve(4, "probe")
        assert rejected is not None
        rejected.cancel()
    assert (display.state.spent_jobs, display.state.spent_seconds) == (1, 4)
    assert display.state.cost == 2.0


def test_make_display_picks_by_terminal() -> None:
    totals = {"create": 1}
    assert type(live.make_display(totals, fuzz_budget_s=None, quiet=True)) is live.RunEvents
    assert isinstance(live.make_display(totals, fuzz_budget_s=None, tty=False), live.LineLog)
    panel = live.make_display(totals, fuzz_budget_s=60, tty=True)
    assert isinstance(panel, live.LiveDisplay)
    panel.job_update("main", "in_progress", 50)
    panel.check_done("VID-CREATE-001", "create", "passed")
    assert panel.render() is not None


def test_feature_totals_count_the_selection() -> None:
    totals = live.feature_totals({"VID-CREATE-001", "VID-AUTH-001", "VID-AUTH-002"})
    assert totals["create"] == 1 and totals["auth"] == 2 and totals["list"] == 0


def test_the_end_of_the_property_phase_is_a_line() -> None:
    display, stream = _log()
    display.fuzz_progress(10, 0)
    display.fuzz_done(240, 1)
    assert "property phase done: 240 requests, 1 finding(s)" in stream.getvalue()
    assert display.state.fuzz_line() == "property phase done (240 requests, 1 findings)"


def test_the_line_log_beats_without_events(monkeypatch) -> None:
    import time

    monkeypatch.setattr(live, "HEARTBEAT_S", 0.05)
    display, stream = _log()
    with live.shown(display):
        time.sleep(0.3)
    assert "checks 0/3 · property phase 0 requests" in stream.getvalue()


def test_events_after_the_run_never_raise() -> None:
    display, stream = _log()
    stream.close()
    display.job_done("main", "error", "run interrupted while polling")  # must not raise

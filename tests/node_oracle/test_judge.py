"""Judging what the openai-node oracle saw (synthetic oracle output; no node needed)."""

from __future__ import annotations

from typing import Any

from conformance.node_oracle.driver import OracleCall, OraclePlan, OracleRun
from conformance.node_oracle.judge import content_expired, problems

MP4_HEAD = "000000206674797069736f6d00000200"
NOT_FOUND = {"name": "NotFoundError", "status": 404, "code": "not_found", "message": "404 gone"}


def _video(status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {"type": "object", "id": "video_1", "object": "video", "status": status, **extra}


def _clean_calls() -> list[OracleCall]:
    return [
        OracleCall("poll", True, _video(polls=1)),
        OracleCall("downloadContent", True, {"length": 900, "head_hex": MP4_HEAD}),
        OracleCall("list", True, {"pages": 1, "ids": ["video_1"], "has_more": False}),
        OracleCall("retrieve_unknown", False, error=NOT_FOUND),
        OracleCall("create", True, _video("queued", id="video_2")),
        OracleCall("createAndPoll", True, _video(id="video_2")),
        OracleCall("downloadContent_created", True, {"length": 900, "head_hex": MP4_HEAD}),
        OracleCall("remix", True, _video("queued", id="video_3", remixed_from_video_id="video_2")),
        OracleCall("remix_poll", True, _video(id="video_3")),
        OracleCall("delete_remix", True, {"type": "object", "deleted": True}),
        OracleCall("delete", True, {"type": "object", "deleted": True}),
        OracleCall("delete_unknown", False, error=NOT_FOUND),
    ]


PLAN = OraclePlan(
    base_url="http://127.0.0.1:1/v1",
    existing_id="video_1",
    list=True,
    create={"prompt": "x"},
    remix="y",
    delete=True,
)


def _swap(calls: list[OracleCall], new: OracleCall) -> list[OracleCall]:
    return [new if c.call == new.call else c for c in calls]


def test_a_clean_run_has_no_problems() -> None:
    assert problems(OracleRun("v20", "6.49.0", _clean_calls()), PLAN) == []


def test_an_unknown_status_word_ends_the_poll_loop_early() -> None:
    calls = _swap(_clean_calls(), OracleCall("poll", True, _video("processing")))
    found = problems(OracleRun("v20", "6.49.0", calls), PLAN)
    assert found == [
        "the poll loop (videos.retrieve) on the run's job ended with status 'processing', "
        "not 'completed'"
    ]


def test_a_body_not_labelled_json_comes_back_as_a_string() -> None:
    calls = _swap(
        _clean_calls(), OracleCall("poll", True, {"type": "string", "value": '{"id":"video_1"}'})
    )
    [found] = problems(OracleRun("v20", "6.49.0", calls), PLAN)
    assert "a string" in found


def test_a_download_that_is_not_an_mp4_and_a_500_for_an_unknown_id() -> None:
    calls = _swap(
        _clean_calls(),
        OracleCall("downloadContent", True, {"length": 20, "head_hex": "7b226572726f72223a"}),
    )
    calls = _swap(
        calls,
        OracleCall(
            "retrieve_unknown",
            False,
            error={"name": "InternalServerError", "status": 500, "message": "boom"},
        ),
    )
    found = problems(OracleRun("v20", "6.49.0", calls), PLAN)
    assert len(found) == 2
    assert "not an MP4" in found[0]
    assert "InternalServerError (500)" in found[1] and "not NotFoundError" in found[1]


def test_a_refused_create_is_reported_and_later_calls_are_not_required() -> None:
    calls = [c for c in _clean_calls() if c.call in ("poll", "downloadContent", "list")]
    calls += [
        OracleCall("retrieve_unknown", False, error=NOT_FOUND),
        OracleCall(
            "create",
            False,
            error={"name": "APIError", "status": 415, "message": "415 unsupported media type"},
        ),
        OracleCall("delete_unknown", False, error=NOT_FOUND),
    ]
    assert problems(OracleRun("v20", "6.49.0", calls), PLAN) == [
        "videos.create raised APIError (415): 415 unsupported media type"
    ]


def test_a_missing_call_is_a_problem_not_a_pass() -> None:
    calls = [c for c in _clean_calls() if c.call != "list"]
    found = problems(OracleRun("v20", "6.49.0", calls), PLAN)
    assert found == ["the oracle did not reach list (an earlier call broke the flow)"]


def test_only_planned_calls_are_judged() -> None:
    plan = OraclePlan(base_url="http://127.0.0.1:1/v1", existing_id="video_1")
    calls = [c for c in _clean_calls() if c.call in ("poll", "downloadContent", "retrieve_unknown")]
    assert problems(OracleRun("v20", "6.49.0", calls), plan) == []


def test_a_404_download_after_expires_at_is_not_held_against_the_vendor() -> None:
    expired = {"name": "NotFoundError", "status": 404, "message": "content has expired"}
    calls = _swap(_clean_calls(), OracleCall("poll", True, _video(expires_at=1000), at=999.0))
    late = _swap(calls, OracleCall("downloadContent", False, error=expired, at=1001.0))
    assert content_expired(OracleRun("v20", "6.49.0", late))
    assert problems(OracleRun("v20", "6.49.0", late), PLAN) == []
    early = _swap(calls, OracleCall("downloadContent", False, error=expired, at=999.5))
    assert not content_expired(OracleRun("v20", "6.49.0", early))
    assert "NotFoundError (404)" in problems(OracleRun("v20", "6.49.0", early), PLAN)[0]


def test_a_404_download_without_expires_at_is_not_judged() -> None:
    gone = {"name": "NotFoundError", "status": 404, "message": "content has expired"}
    calls = _swap(_clean_calls(), OracleCall("downloadContent", False, error=gone, at=5.0))
    assert content_expired(OracleRun("v20", "6.49.0", calls))
    assert problems(OracleRun("v20", "6.49.0", calls), PLAN) == []
    # any other error on the download is still a problem
    boom = {"name": "InternalServerError", "status": 500, "message": "boom"}
    calls = _swap(_clean_calls(), OracleCall("downloadContent", False, error=boom, at=5.0))
    assert not content_expired(OracleRun("v20", "6.49.0", calls))
    assert len(problems(OracleRun("v20", "6.49.0", calls), PLAN)) == 1

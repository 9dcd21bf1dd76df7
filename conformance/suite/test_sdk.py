"""sdk: the official openai-python drives the vendor, as an integrator's unchanged code would.

VID-SDK-001 creates one job with ``create_and_poll`` (lax client, the default) and downloads it;
VID-SDK-003 lists, remixes and deletes through the SDK (the declared features); VID-SDK-002
(late) asks a strict client (``_strict_response_validation=True``) to retrieve and list, and
puts every Video, list and deleted body the run saw through the same validation.
A response that arrives but breaks the SDK fails the check; no answer at all is an error.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable
from typing import Any

import pydantic
import pytest

from conformance import catalog, media
from conformance.budget import Budget, Reservation
from conformance.config import Target
from conformance.plugin import CheckRecorder, Jobs, SuiteContext, Unsupported, VideoLedger
from conformance.suite.sdk import (
    PollTimeout,
    SdkTranscript,
    bounded_poll,
    describe_sdk_error,
    is_network_error,
    openai,
    quiet,
    sdk_client,
)
from conformance.suite.support import contract_jobs, every_video

LIST_SEARCH_ITEMS = 200
SDK_FEATURES = ("list", "remix", "delete")
EVIDENCE_PASSED = 2
EVIDENCE_FAILED = 6


def _transcripts(ctx: SuiteContext) -> list[SdkTranscript]:
    return ctx.shared.setdefault("sdk_transcripts", [])


def _new_transcript(ctx: SuiteContext) -> SdkTranscript:
    transcript = SdkTranscript()
    _transcripts(ctx).append(transcript)
    return transcript


def _evidence(check: CheckRecorder, transcript: SdkTranscript, failed: bool) -> None:
    exchanges = transcript.exchanges
    if failed:
        # the first request (what was sent) and the last ones (where it broke)
        check.attach(*exchanges[:1], *exchanges[1:][-(EVIDENCE_FAILED - 1) :])
    else:
        check.attach(*exchanges[:EVIDENCE_PASSED])


def _settle(
    reservation: Reservation, transcript: SdkTranscript, ctx: SuiteContext, path_suffix: str
) -> str | None:
    """Confirm the budget for a job the SDK created (and remember it for clean-up)."""
    created = [
        body.get("id")
        for method, path, status, body in transcript.bodies
        if method == "POST"
        and path.endswith(path_suffix)
        and 200 <= status < 300
        and isinstance(body, dict)
    ]
    video_id = next((v for v in created if isinstance(v, str)), None)
    answered = any(
        e.method == "POST" and e.status is not None and e.url.split("?")[0].endswith(path_suffix)
        for e in transcript.exchanges
    )
    if video_id is not None:
        reservation.confirm(video_id)
        ctx.created_by_checks.append(video_id)
        ctx.shared.setdefault("sdk_created", []).append(video_id)
    elif answered and not created:
        reservation.cancel()
    else:
        reservation.confirm(None)  # it may have reached the vendor: count it
    return video_id


def _reserve(budget: Budget, target: Target, purpose: str) -> Reservation:
    reservation = budget.reserve(int(target.main_seconds), purpose)
    if reservation is None:
        limits = budget.limits
        pytest.skip(
            f"over budget: the SDK job could bill {target.main_seconds} s "
            f"(max_jobs={limits.max_jobs}, max_video_seconds={limits.max_video_seconds})"
        )
    return reservation


def _network(exc: Exception, what: str) -> RuntimeError:
    return RuntimeError(f"no answer to the SDK's {what}: {describe_sdk_error(exc)}")


@catalog.check("VID-SDK-001")
def test_sdk_create_and_poll(
    ctx: SuiteContext, target: Target, budget: Budget, ledger: VideoLedger, check: CheckRecorder
) -> None:
    reservation = _reserve(budget, target, "VID-SDK-001 create_and_poll")
    transcript = _new_transcript(ctx)
    client = sdk_client(target, transcript, strict=False)
    params: dict[str, Any] = {
        "prompt": f"A red balloon rising over rooftops [vc {ctx.run_tag} sdk]",
        "size": target.main_size,
        "seconds": target.main_seconds,
    }
    if target.model:
        params["model"] = target.model
    failed = True
    try:
        with quiet(), bounded_poll(client, target.job_timeout_s):
            try:
                video = client.videos.create_and_poll(**params)
            except PollTimeout as exc:
                raise AssertionError(f"create_and_poll never returned: {exc}") from None
            except Exception as exc:
                if is_network_error(exc):
                    raise _network(exc, "create_and_poll") from None
                raise AssertionError(
                    f"openai-python's create_and_poll raised {describe_sdk_error(exc)}"
                ) from None
            finally:
                _settle(reservation, transcript, ctx, "/videos")
            for _, path, status, body in transcript.bodies:
                if 200 <= status < 300 and not path.endswith("/content"):
                    ledger.add(f"SDK response {path}", body)
            if video.status != "completed":
                if video.status == "failed":
                    raise AssertionError(
                        f"create_and_poll returned the job {video.id} failed: {video.error}"
                    )
                raise AssertionError(
                    f"openai-python's poll returned early on the word {video.status!r}: "
                    "create_and_poll hands back an unfinished job without an error, and the "
                    "caller's download then gets no video"
                )
            try:
                content = client.videos.download_content(video.id)
            except Exception as exc:
                if is_network_error(exc):
                    raise _network(exc, "download_content") from None
                raise AssertionError(
                    f"download_content of the completed job raised {describe_sdk_error(exc)}"
                ) from None
        probe = media.probe_video(content.content)
        assert probe.ok, (
            f"download_content returned {len(content.content)} bytes that are not a video "
            f"(looks like {media.sniff(content.content) or 'unknown data'}): {probe.error}"
        )
        ctx.shared["sdk_video"] = {"id": video.id, "expires_at": video.expires_at}
        failed = False
        check.note(
            f"create_and_poll returned completed; download_content gave a {probe.width}x"
            f"{probe.height} MP4 ({len(content.content)} bytes)"
        )
    finally:
        _evidence(check, transcript, failed)


def _sdk_list(client: openai.OpenAI, video_id: str) -> str | None:
    """The problem with finding ``video_id`` through the SDK's auto-paging list, if any."""
    pager = client.videos.list(order="desc", limit=20)
    seen = 0
    for video in itertools.islice(pager, LIST_SEARCH_ITEMS):
        seen += 1
        if video.id == video_id:
            return None
    if seen >= LIST_SEARCH_ITEMS:
        return None  # a busy account: not found among the newest is no evidence
    return f"list (auto-paging, {seen} items) never yields the job {video_id} the SDK created"


def _sdk_remix(
    ctx: SuiteContext,
    client: openai.OpenAI,
    budget: Budget,
    transcript: SdkTranscript,
    source: dict[str, Any],
) -> str | None:
    """The problem with remixing ``source`` through the SDK, if any."""
    reservation = _reserve(budget, ctx.target, "VID-SDK-003 remix")
    try:
        remix = client.videos.remix(source["id"], prompt=f"The same, at dawn [vc {ctx.run_tag}]")
    except openai.APIStatusError as exc:
        expires_at = source.get("expires_at")
        if isinstance(expires_at, int) and time.time() >= expires_at:
            return None  # the source expired before the remix: nothing to judge
        return f"remix raised {describe_sdk_error(exc)}"
    finally:
        _settle(reservation, transcript, ctx, "/remix")
    if remix.remixed_from_video_id != source["id"]:
        return (
            f"remix returned remixed_from_video_id {remix.remixed_from_video_id!r}, "
            f"not {source['id']!r}"
        )
    return None


def _sdk_delete(ctx: SuiteContext, client: openai.OpenAI, video_id: str) -> str | None:
    """The problem with deleting ``video_id`` through the SDK, if any."""
    try:
        deleted = client.videos.delete(video_id)
    except openai.APIStatusError as exc:
        return f"delete raised {describe_sdk_error(exc)}"
    ctx.shared.setdefault("deleted", []).append(video_id)
    if deleted.deleted is not True or deleted.id != video_id or deleted.object != "video.deleted":
        return (
            f"delete returned id={deleted.id!r}, object={deleted.object!r}, "
            f"deleted={deleted.deleted!r}: code reading .deleted sees no deletion"
        )
    return None


@catalog.check("VID-SDK-003")
def test_sdk_list_remix_delete(
    ctx: SuiteContext, target: Target, budget: Budget, check: CheckRecorder
) -> None:
    declared = [f for f in SDK_FEATURES if target.declares(f)]
    if not declared:
        raise Unsupported("the profile declares none of list, remix and delete")
    source = ctx.shared.get("sdk_video")
    if source is None:
        pytest.skip("no job completed through the SDK (see VID-SDK-001)")
    transcript = _new_transcript(ctx)
    client = sdk_client(target, transcript, strict=False)
    problems: list[str] = []
    steps: list[tuple[str, Callable[[], str | None]]] = [
        ("list", lambda: _sdk_list(client, source["id"])),
        ("remix", lambda: _sdk_remix(ctx, client, budget, transcript, source)),
        ("delete", lambda: _sdk_delete(ctx, client, source["id"])),  # last: remix needs it
    ]
    try:
        with quiet():
            for feature, step in steps:
                if feature not in declared:
                    continue
                try:
                    problem = step()
                except Exception as exc:
                    if is_network_error(exc):
                        raise _network(exc, feature) from None
                    problem = f"{feature} raised {describe_sdk_error(exc)}"
                if problem:
                    problems.append(problem)
    finally:
        _evidence(check, transcript, bool(problems))
    assert not problems, "openai-python: " + "; ".join(problems)
    check.note(f"{', '.join(declared)} work through openai-python")


def _first_error(exc: Exception) -> str:
    cause = exc.__cause__ if isinstance(exc, openai.APIResponseValidationError) else exc
    if isinstance(cause, pydantic.ValidationError) and cause.errors():
        error = cause.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']} (got {error.get('input')!r})"[:200]
    return describe_sdk_error(exc)


def _strict_calls(
    ctx: SuiteContext, target: Target, jobs: Jobs, check: CheckRecorder
) -> tuple[list[str], int]:
    """Retrieve every live job of the run and list once, through a strict client."""
    transcript = _new_transcript(ctx)
    client = sdk_client(target, transcript, strict=True)
    deleted = set(ctx.shared.get("deleted", []))
    ids = [j.video_id for j in contract_jobs(jobs.all()) if j.video_id]
    ids += ctx.shared.get("sdk_created", [])
    calls: list[tuple[str, Callable[[], object]]] = [
        (f"retrieve {video_id}", functools.partial(client.videos.retrieve, video_id))
        for video_id in dict.fromkeys(ids)
        if video_id not in deleted
    ]
    if target.declares("list"):
        calls.append(("list", lambda: client.videos.list(limit=20).data))
    problems = []
    with quiet():
        for what, call in calls:
            try:
                call()
            except openai.APIResponseValidationError as exc:
                problems.append(f"strict {what}: {_first_error(exc)}")
            except openai.APIStatusError:
                continue  # an error status is not a parse failure; other checks judge it
            except Exception as exc:
                if is_network_error(exc):
                    raise _network(exc, what) from None
                raise
    if problems:
        _evidence(check, transcript, True)
    return problems, len(calls)


def _validate(kind: str, body: Any) -> str | None:
    from openai._models import validate_type
    from openai.pagination import SyncConversationCursorPage
    from openai.types import Video, VideoDeleteResponse

    model: Any = {
        "video": Video,
        "list": SyncConversationCursorPage[Video],
        "deleted": VideoDeleteResponse,
    }[kind]
    try:
        validate_type(type_=model, value=body)
    except pydantic.ValidationError as exc:
        return _first_error(exc)
    return None


def _seen_bodies(ctx: SuiteContext, jobs: Jobs, ledger: VideoLedger) -> list[tuple[str, str, Any]]:
    """(kind, where, body) of every successful Video, list and deleted body of the run."""
    seen = [("video", where, body) for where, body in every_video(jobs.all(), ledger)]
    for transcript in _transcripts(ctx):
        for method, path, status, body in transcript.bodies:
            if not 200 <= status < 300 or path.endswith("/content"):
                continue
            if method == "DELETE":
                seen.append(("deleted", f"SDK DELETE {path}", body))
            elif method == "GET" and path.rstrip("/").endswith("/videos"):
                seen.append(("list", f"SDK list {path}", body))
            else:
                seen.append(("video", f"SDK {method} {path}", body))
    return seen


@pytest.mark.late
@catalog.check("VID-SDK-002")
def test_sdk_strict_validation(
    ctx: SuiteContext, target: Target, jobs: Jobs, ledger: VideoLedger, check: CheckRecorder
) -> None:
    problems, calls = _strict_calls(ctx, target, jobs, check)
    seen = _seen_bodies(ctx, jobs, ledger)
    if not calls and not seen:
        pytest.skip("no Video was seen in this run")
    rejected: dict[str, str] = {}
    for kind, where, body in seen:
        problem = _validate(kind, body)
        if problem is not None:
            rejected.setdefault(problem, where)
    problems += [f"{where}: {problem}" for problem, where in rejected.items()]
    assert not problems, (
        f"{len(problems)} response(s) fail openai-python's strict validation "
        "(typed clients raise APIResponseValidationError): " + "; ".join(problems[:4])
    )
    check.note(
        f"{calls} strict SDK call(s) and {len(seen)} response bodies parse under strict validation"
    )

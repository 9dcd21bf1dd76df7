"""sdk: the official openai-python drives the vendor, as an integrator's unchanged code would.

The job pool runs the SDK's billable calls from the start of the run, so these checks create no
job of their own: the ``sdk`` job is openai-python's ``create_and_poll`` + ``download_content``
(lax client, the default), and the pool's ``remix`` job is sent by ``client.videos.remix``.
VID-SDK-001 judges what ``create_and_poll`` and ``download_content`` returned; VID-SDK-003
judges the SDK's remix, then lists and deletes the SDK job through the SDK (the declared
features); VID-SDK-002 (late) asks a strict client
(``_strict_response_validation=True``) to retrieve and list, and puts every Video, list and
deleted body the run saw through the same validation. A response that arrives but breaks the
SDK fails the check; no answer at all is an error. What the three checks share (the pool's SDK
job, their transcripts and evidence, strict parsing of a body) is in ``support_sdk.py``.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable

import pytest

from conformance import catalog, media
from conformance.jobs import SDK_FEATURES
from conformance.sdk import (
    PollTimeout,
    SdkCall,
    SdkJobRun,
    describe_sdk_error,
    is_network_error,
    is_throttled,
    openai,
    quiet,
    sdk_client,
)
from conformance.suite.kit import (
    CheckRecorder,
    Exchange,
    Jobs,
    PoolJob,
    SuiteContext,
    Target,
    Throttled,
    Unsupported,
    VideoLedger,
    contract_jobs,
    js,
)
from conformance.suite.support_sdk import (
    attach_evidence,
    declared_extension_only,
    first_error,
    new_transcript,
    no_answer,
    sdk_job,
    seen_bodies,
    strict_problem,
)

LIST_SEARCH_ITEMS = 200
FLOW_CONTROL_RETRIES = 4


def _judge_create_and_poll(job: PoolJob, run: SdkJobRun) -> str:
    """What create_and_poll and download_content did, as a pass note (raises otherwise)."""
    if run.video is None:
        exc = run.error
        if isinstance(exc, PollTimeout):
            raise AssertionError(f"create_and_poll never returned: {exc}")
        if exc is None or is_network_error(exc) or job.outcome == "error":
            raise no_answer(exc or RuntimeError(job.reason), "create_and_poll")
        if isinstance(exc, openai.APIStatusError) and exc.status_code in (429, 503):
            # Flow control outlasted the SDK's own retries: not a finding about the SDK path.
            raise Throttled(f"openai-python's create_and_poll: {describe_sdk_error(exc)}")
        raise AssertionError(f"openai-python's create_and_poll raised {describe_sdk_error(exc)}")
    video = run.video
    if video.status != "completed":
        if video.status == "failed":
            raise AssertionError(
                f"create_and_poll returned the job {video.id} failed: {video.error}"
            )
        raise AssertionError(
            f"openai-python's poll returned early on the word {js(video.status)}: "
            "create_and_poll hands back an unfinished job without an error, and the "
            "caller's download then gets no video"
        )
    if run.content is None:
        exc = run.error
        if exc is None or is_network_error(exc):
            raise no_answer(exc or RuntimeError("no response"), "download_content")
        raise AssertionError(
            f"download_content of the completed job raised {describe_sdk_error(exc)}"
        )
    probe = job.probe()
    assert probe.ok, (
        f"download_content returned {len(run.content)} bytes that are not a video "
        f"(looks like {media.sniff(run.content) or 'unknown data'}): {probe.error}"
    )
    return (
        f"create_and_poll returned completed; download_content gave a {probe.width}x"
        f"{probe.height} MP4 ({len(run.content)} bytes)"
    )


@catalog.check("VID-SDK-001")
def test_sdk_create_and_poll(jobs: Jobs, check: CheckRecorder) -> None:
    job, run = sdk_job(jobs)
    failed = True
    try:
        note = _judge_create_and_poll(job, run)
        failed = False
        check.note(note)
    finally:
        attach_evidence(check, run.transcript.exchanges, failed)


def _past_flow_control(step: Callable[[], str | None]) -> str | None:
    """``step()``, sent again (a few times, with a pause) while openai-python gives up on
    429/503 after its own retries: list and delete are safe to repeat, and flow control is
    never a finding."""
    for attempt in range(FLOW_CONTROL_RETRIES):
        try:
            return step()
        except openai.APIStatusError as exc:
            if not is_throttled(exc) or attempt == FLOW_CONTROL_RETRIES - 1:
                raise
            time.sleep(2.0 * (attempt + 1))
    raise RuntimeError("no attempt was made")


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


def _sdk_remix(jobs: Jobs, notes: list[str]) -> str | None:
    """The problem with the remix the pool sent through the SDK (of the main job), if any."""
    remix = jobs.pool.get_created("remix")
    call = remix.sdk if remix is not None else None
    if remix is None or not isinstance(call, SdkCall):
        state = "not planned" if remix is None else f"{remix.outcome} {remix.reason}".strip()
        notes.append(f"remix not exercised ({state})")
        return None
    source = jobs.get("main")
    source_id = source.video_id if source is not None else None
    if call.error is not None:
        if is_network_error(call.error):
            raise no_answer(call.error, "remix")
        if is_throttled(call.error):
            raise Throttled(f"openai-python's remix: {describe_sdk_error(call.error)}")
        return f"remix raised {describe_sdk_error(call.error)}"
    video = call.value
    if not isinstance(video, openai.types.Video):
        return f"remix returned {type(video).__name__}, not a Video: the answer is not JSON"
    if video.remixed_from_video_id != source_id:
        return (
            f"remix returned remixed_from_video_id {js(video.remixed_from_video_id)}, "
            f"not {js(source_id)}"
        )
    return None


def _sdk_delete(ctx: SuiteContext, client: openai.OpenAI, video_id: str) -> str | None:
    """The problem with deleting ``video_id`` through the SDK, if any."""
    try:
        deleted = client.videos.delete(video_id)
    except openai.APIStatusError as exc:
        if is_throttled(exc):
            raise
        return f"delete raised {describe_sdk_error(exc)}"
    ctx.deleted.append(video_id)
    if deleted.deleted is not True or deleted.id != video_id or deleted.object != "video.deleted":
        return (
            f"delete returned id={js(deleted.id)}, object={js(deleted.object)}, "
            f"deleted={js(deleted.deleted)}: code reading .deleted sees no deletion"
        )
    return None


def _remix_exchanges(jobs: Jobs) -> list[Exchange]:
    remix = jobs.get("remix")
    call = remix.sdk if remix is not None else None
    return list(call.transcript.exchanges) if isinstance(call, SdkCall) else []


@catalog.check("VID-SDK-003")
def test_sdk_list_remix_delete(
    ctx: SuiteContext, target: Target, jobs: Jobs, check: CheckRecorder
) -> None:
    declared = [f for f in SDK_FEATURES if ctx.features.offered(f)]
    if not declared:
        absent = ", ".join(f"{f} ({ctx.features.state(f)})" for f in SDK_FEATURES)
        raise Unsupported(f"none of list, remix and delete is offered: {absent}")
    job, run = sdk_job(jobs)
    try:
        _judge_create_and_poll(job, run)
    except (AssertionError, RuntimeError):
        pytest.skip("no job completed through the SDK (see VID-SDK-001)")
    video = run.video
    transcript = new_transcript(ctx)
    client = sdk_client(
        target,
        transcript,
        strict=False,
        transport=ctx.pool.sdk_transport,
        run_ends_at=ctx.client.run_ends_at,
    )
    problems: list[str] = []
    notes: list[str] = []
    # The SDK job is this check's own: nothing else needs it once it finished, so it is
    # deleted here (VID-DEL-001 deletes another job, last).
    steps: list[tuple[str, Callable[[], str | None]]] = [
        ("list", lambda: _sdk_list(client, video.id)),
        ("remix", lambda: _sdk_remix(jobs, notes)),
        ("delete", lambda: _sdk_delete(ctx, client, video.id)),
    ]
    try:
        with quiet():
            for feature, step in steps:
                if feature not in declared:
                    continue
                try:
                    problem = _past_flow_control(step)
                except Exception as exc:
                    if is_network_error(exc):
                        raise no_answer(exc, feature) from None
                    if is_throttled(exc):
                        raise Throttled(
                            f"openai-python's {feature}: {describe_sdk_error(exc)}"
                        ) from None
                    problem = f"{feature} raised {describe_sdk_error(exc)}"
                if problem:
                    problems.append(problem)
    finally:
        client.close()
        exchanges = _remix_exchanges(jobs) + transcript.exchanges
        attach_evidence(check, exchanges, bool(problems))
    assert not problems, "openai-python: " + "; ".join(problems)
    check.note(
        f"{', '.join(declared)} work through openai-python"
        + (f"; {'; '.join(notes)}" if notes else "")
    )


def _strict_calls(
    ctx: SuiteContext, target: Target, jobs: Jobs, check: CheckRecorder, extensions: set[str]
) -> tuple[list[str], int]:
    """Retrieve every live job of the run and list once, through a strict client."""
    transcript = new_transcript(ctx)
    client = sdk_client(
        target,
        transcript,
        strict=True,
        transport=ctx.pool.sdk_transport,
        run_ends_at=ctx.client.run_ends_at,
    )
    deleted = set(ctx.deleted)
    ids = [j.video_id for j in contract_jobs(jobs.all()) if j.video_id]
    calls: list[tuple[str, Callable[[], object]]] = [
        (f"retrieve {video_id}", functools.partial(client.videos.retrieve, video_id))
        for video_id in dict.fromkeys(ids)
        if video_id not in deleted
    ]
    if ctx.features.offered("list"):
        calls.append(("list", lambda: client.videos.list(limit=20).data))
    problems = []
    with quiet():
        for what, call in calls:
            try:
                call()
            except openai.APIResponseValidationError as exc:
                extension = declared_extension_only(exc, target)
                if extension is not None:
                    extensions.add(extension)
                    continue
                problems.append(f"strict {what}: {first_error(exc)}")
            except openai.APIStatusError:
                continue  # an error status is not a parse failure; other checks judge it
            except Exception as exc:
                if is_network_error(exc):
                    raise no_answer(exc, what) from None
                raise
    if problems:
        attach_evidence(check, transcript.exchanges, True)
    return problems, len(calls)


@pytest.mark.late
@catalog.check("VID-SDK-002")
def test_sdk_strict_validation(
    ctx: SuiteContext, target: Target, jobs: Jobs, ledger: VideoLedger, check: CheckRecorder
) -> None:
    extensions: set[str] = set()
    problems, calls = _strict_calls(ctx, target, jobs, check, extensions)
    seen = seen_bodies(ctx, jobs, ledger)
    if not calls and not seen:
        pytest.skip("no Video was seen in this run")
    rejected: dict[str, str] = {}
    for kind, where, body in seen:
        problem = strict_problem(kind, body, target, extensions)
        if problem is not None:
            rejected.setdefault(problem, where)
    problems += [f"{where}: {problem}" for problem, where in rejected.items()]
    assert not problems, (
        f"{len(problems)} response(s) fail openai-python's strict validation "
        "(typed clients raise APIResponseValidationError): " + "; ".join(problems[:4])
    )
    message = (
        f"{calls} strict SDK call(s) and {len(seen)} response bodies parse under strict validation"
    )
    if extensions:
        check.observe(
            f"{message}, except jobs of the documented extra size {', '.join(sorted(extensions))}"
            ", which the SDK's strict size literal rejects"
        )
        return
    check.note(message)

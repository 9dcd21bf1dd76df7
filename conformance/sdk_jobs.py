"""The job pool's billable calls through openai-python: ``create_and_poll`` and ``remix``.

The pool runs these in its own threads from the start of the run (``jobs.pool`` for the ``sdk``
job, ``jobs.create`` for the remix), so that the SDK checks bill nothing of their own; they
judge what was stored. Each call gets a client of its own (``sdk.sdk_client``, lax validation:
the integrator's default) and never raises for what the SDK does: its value or error and the
raw answers come back in an ``sdk.SdkJobRun`` or ``sdk.SdkCall``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TypeVar

import httpx2

from conformance.config import Target
from conformance.sdk import (
    PollInterrupted,
    SdkCall,
    SdkJobRun,
    SdkTranscript,
    bounded_poll,
    detached,
    is_throttled,
    quiet,
    sdk_client,
)

T = TypeVar("T")


def drive_create_and_poll(
    target: Target,
    params: Mapping[str, str],
    stop: threading.Event | None = None,
    transport: httpx2.BaseTransport | None = None,
    run_ends_at: float | None = None,
) -> SdkJobRun:
    """``create_and_poll`` with ``params`` through a lax client (the integrator's default), then
    ``download_content`` when it returned the job completed; never raises for what the SDK does.

    The SDK sends every create as multipart/form-data; its poll honours
    ``openai-poll-after-ms`` (1 s without it) and is bounded by the target's job timeout.
    """
    transcript = SdkTranscript()
    run = SdkJobRun(transcript)
    client = sdk_client(
        target, transcript, strict=False, transport=transport, run_ends_at=run_ends_at
    )
    try:
        with quiet(), bounded_poll(client, target.job_timeout_s, stop):
            try:
                run.video = client.videos.create_and_poll(**dict(params))  # type: ignore[arg-type]
            except Exception as exc:
                created = _created_id(transcript)
                if not is_throttled(exc) or created is None:
                    run.error = detached(exc)
                    return run
                # The job exists and the SDK gave up polling it on flow control, which is no
                # finding: its own poll helper carries on, as an integrator's retry would.
                try:
                    run.video = _past_throttling(lambda: client.videos.poll(created), stop)
                except Exception as again:
                    run.error = detached(again)
                    return run
            if getattr(run.video, "status", None) != "completed":
                return run
            run.stage = "download_content"
            video_id = run.video.id
            try:
                run.content = _past_throttling(
                    lambda: client.videos.download_content(video_id).content, stop
                )
            except Exception as exc:
                run.error = detached(exc)
    finally:
        client.close()
    return run


FLOW_CONTROL_RESUMES = 4
"""Times an SDK call that gave up on 429/503 is made again (after the SDK's own retries)."""


def _past_throttling(call: Callable[[], T], stop: threading.Event | None) -> T:
    """``call()``, again after a pause while openai-python gives up on flow control."""
    pause = stop or threading.Event()
    for attempt in range(FLOW_CONTROL_RESUMES):
        try:
            return call()
        except Exception as exc:
            if not is_throttled(exc) or attempt == FLOW_CONTROL_RESUMES - 1:
                raise
            if pause.wait(2.0 * (attempt + 1)):
                raise PollInterrupted("run interrupted while openai-python waited") from None
    raise RuntimeError("no attempt was made")


def _created_id(transcript: SdkTranscript) -> str | None:
    """The id the create answered with, when it was accepted."""
    create = transcript.last("POST", "/videos")
    body = create.json() if create is not None and 200 <= create.status < 300 else None
    video_id = body.get("id") if isinstance(body, dict) else None
    return video_id if isinstance(video_id, str) and video_id else None


def drive_remix(
    target: Target,
    source_id: str,
    prompt: str,
    transport: httpx2.BaseTransport | None = None,
    run_ends_at: float | None = None,
) -> SdkCall:
    """``client.videos.remix(source_id, prompt=prompt)`` through a lax client; never raises for
    what the SDK does (a body that breaks it is ``error``, the raw answer is in the transcript)."""
    transcript = SdkTranscript()
    call = SdkCall(transcript)
    client = sdk_client(
        target, transcript, strict=False, transport=transport, run_ends_at=run_ends_at
    )
    try:
        with quiet():
            call.value = client.videos.remix(source_id, prompt=prompt)
    except Exception as exc:
        call.error = detached(exc)
    finally:
        client.close()
    return call

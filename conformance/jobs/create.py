"""Sending a job's create: fallbacks while the vendor refuses, and flow control for the SDK.

Both create paths (our client, openai-python) go through ``send_in_turn``: the job's create,
then each of its fallbacks while the answer proves no job was made. What a create answer means
for the job (accepted with an id, or rejected) is decided in one place, ``JobPool._accept``.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from conformance.client import Client, ProviderFault, Response, Unreachable
from conformance.config import Target
from conformance.flow_control import should_retry
from conformance.jobs.model import CreateAttempt, PoolJob

REFUSAL_STATUSES = frozenset({400, 406, 415, 422})
"""Create answers that refuse the request as sent (no job made): a fallback may be tried."""


class _SdkAnswered(Protocol):
    transcript: Any
    """``sdk.SdkTranscript``: every response the SDK received."""


SdkCallT = TypeVar("SdkCallT", bound=_SdkAnswered)


def send_in_turn(job: PoolJob, send: Callable[[str, dict[str, str]], Response]) -> Response:
    """Send the job's create with ``send(encoding, fields)``, then each fallback in turn while
    the vendor refuses it; every create sent is kept in ``job.attempts``."""
    tries = [(job.spec.encoding, job.spec.fields), *job.spec.fallbacks]
    response: Response | None = None
    for encoding, fields in tries:
        if response is not None and response.status not in REFUSAL_STATUSES:
            break
        # Refused, so nothing was created: the reservation still covers the resend.
        response = send(encoding, dict(fields))
        job.attempts.append(CreateAttempt(encoding, dict(fields), response))
    assert response is not None
    return response


def past_flow_control(
    client: Client, stop: threading.Event, send: Callable[[], SdkCallT], path: str
) -> SdkCallT:
    """``send()`` (an SDK create through ``path``), again while its answer is flow control
    that proves no job was made, within the client's retry deadline."""
    until = time.monotonic() + client.retry_deadline_s
    attempt = 0
    while True:
        call = send()
        answered = call.transcript.last("POST", path)
        throttled = answered is not None and should_retry(
            "POST", path, answered.status, answered.headers
        )
        attempt += 1
        wait = min(2.0 * attempt, 10.0)
        if not throttled or time.monotonic() + wait > until:
            return call
        stop.wait(wait)


def sdk_remix(
    client: Client,
    target: Target,
    stop: threading.Event,
    sdk_transport: Any,
    job: PoolJob,
    source_id: str,
) -> Response:
    """Send the remix through openai-python; its raw answer, as our client would have
    recorded it (an error answer is also kept for the envelope check)."""
    from conformance import sdk_jobs

    # A remix the SDK gave up on over flow control made no job (429 proves it; the SDK
    # retries a 503 only with Retry-After): it is sent again within the retry deadline.
    call = past_flow_control(
        client,
        stop,
        lambda: sdk_jobs.drive_remix(
            target,
            source_id,
            job.spec.fields["prompt"],
            sdk_transport,
            run_ends_at=client.run_ends_at,
        ),
        "/remix",
    )
    job.sdk = call
    response = sdk_answer(call, "/remix", "remix").as_response()
    client.note_error("remix", response)
    return response


def sdk_answer(call: Any, path: str, what: str) -> Any:
    """The last ``POST`` to ``path`` in an openai-python call's transcript (``sdk.SdkResponse``).

    No such exchange: ``ProviderFault`` when the SDK met broken HTTP, else ``Unreachable``.
    """
    from conformance import sdk

    raw = call.transcript.last("POST", path)
    if raw is None:
        why = sdk.describe_sdk_error(call.error) if call.error else "no response"
        if call.error is not None and sdk.is_provider_fault(call.error):
            raise ProviderFault(f"openai-python's {what} got no usable answer: {why}")
        raise Unreachable(f"openai-python's {what} got no answer: {why}")
    return raw


def reference_image(size: str) -> tuple[str, bytes, str]:
    """A small JPEG at ``size`` (WxH) for ``input_reference`` (the image must match the size)."""
    from PIL import Image, ImageDraw

    try:
        width, height = (int(v) for v in size.lower().split("x", 1))
    except ValueError:
        width, height = 720, 1280
    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 4, 3 * width // 4, height // 2), fill=(240, 200, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return ("reference.jpg", buffer.getvalue(), "image/jpeg")


def image_files(job: PoolJob, default_size: str) -> Mapping[str, tuple[str, bytes, str]] | None:
    """The ``input_reference`` file of an image job (``None`` for every other job)."""
    if not job.spec.with_image:
        return None
    return {"input_reference": reference_image(job.spec.fields.get("size") or default_size)}

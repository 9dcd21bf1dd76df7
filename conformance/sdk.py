"""The official ``openai`` SDK pointed at the target, as an integrator would point it.

``sdk_client`` builds ``OpenAI(base_url=..., max_retries=0)`` (no retry may start a second
billed job) in lax or strict response validation, with a transcript of every response it got
(``SdkTranscript``) so that the checks can show evidence and validate what the SDK saw, and the
job pool can take the raw answers as its own record of a job.
The SDK's poll helper has no overall timeout; ``bounded_poll`` gives it the job timeout.

The job pool drives the SDK's billable calls (``drive_create_and_poll``, ``drive_remix``) in its
own threads, from the start of the run; the ``sdk`` checks judge what they stored.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import httpx2

from conformance.client import Response, summarise_body
from conformance.config import Target
from conformance.redact import redact_headers, redact_text
from conformance.report.model import Exchange

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import openai


class PollTimeout(Exception):
    """The SDK's poll loop was still sleeping when the job timeout ran out."""


class PollInterrupted(Exception):
    """The run was interrupted while the SDK's poll loop slept."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the SDK's DeprecationWarning on every video method (the Sora shutdown notice)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@dataclass(frozen=True)
class SdkResponse:
    """One response the SDK received, raw, as the job pool records a response of its own."""

    method: str
    url: str
    path: str
    status: int
    headers: dict[str, str]
    content: bytes
    exchange: Exchange
    at: float
    """``time.monotonic()`` when it arrived."""
    wall: float
    """``time.time()`` when it arrived."""

    def as_response(self) -> Response:
        """The answer as a ``client.Response`` (what the checks read for a pool job)."""
        return Response(
            method=self.method,
            url=self.url,
            status=self.status,
            headers=httpx.Headers(self.headers),
            content=self.content,
            exchange=self.exchange,
            exchanges=[self.exchange],
        )

    def json(self) -> Any:
        """The parsed JSON body, or ``None`` when the body is not JSON."""
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            return None


def _request_body(request: httpx2.Request) -> str | None:
    ctype = request.headers.get("content-type", "")
    try:
        content = request.content
    except httpx2.RequestNotRead:
        return f"<streamed body {ctype}>"
    if not content:
        return None
    if ctype.startswith("multipart/"):
        return f"<{len(content)} bytes multipart/form-data>"
    return summarise_body(content, ctype)


@dataclass
class SdkTranscript:
    """Every response the SDK received: evidence, and the JSON bodies for strict validation."""

    exchanges: list[Exchange] = field(default_factory=list)
    bodies: list[tuple[str, str, int, Any]] = field(default_factory=list)
    """(method, path, status, parsed JSON body) of every JSON response."""
    responses: list[SdkResponse] = field(default_factory=list)
    """Every response, raw (bodies included), in arrival order."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_response(self, response: httpx2.Response) -> None:
        """httpx2 response hook: read the body (the SDK reads it anyway) and remember it."""
        response.read()
        request = response.request
        ctype = response.headers.get("content-type", "")
        headers = dict(response.headers)
        exchange = Exchange(
            method=request.method,
            url=redact_text(str(request.url)),
            request_headers=redact_headers(dict(request.headers)),
            request_body=_request_body(request),
            status=response.status_code,
            response_headers=redact_headers(headers),
            response_body=summarise_body(response.content, ctype),
        )
        body: Any = None
        if "json" in ctype:
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                body = json.loads(response.content)
        raw = SdkResponse(
            method=request.method,
            url=str(request.url),
            path=request.url.path,
            status=response.status_code,
            headers=headers,
            content=response.content,
            exchange=exchange,
            at=time.monotonic(),
            wall=time.time(),
        )
        with self._lock:
            self.exchanges.append(exchange)
            self.responses.append(raw)
            if body is not None:
                self.bodies.append((request.method, request.url.path, response.status_code, body))

    def last(self, method: str, path_suffix: str) -> SdkResponse | None:
        """The last response to ``method`` on a path ending in ``path_suffix``."""
        with self._lock:
            matches = [
                r for r in self.responses if r.method == method and r.path.endswith(path_suffix)
            ]
        return matches[-1] if matches else None


def sdk_client(
    target: Target,
    transcript: SdkTranscript,
    *,
    strict: bool,
    transport: httpx2.BaseTransport | None = None,
) -> openai.OpenAI:
    """An ``OpenAI`` client for ``target`` (``x-api-key`` added when the profile needs it);
    ``transport`` replaces the network (tests)."""
    headers = {"x-api-key": target.api_key} if target.auth in ("x-api-key", "both") else None
    http_client = openai.DefaultHttpxClient(
        event_hooks={"response": [transcript.on_response]},
        timeout=target.request_timeout_s,
        transport=transport,
    )
    return openai.OpenAI(
        base_url=target.base_url,
        api_key=target.api_key,
        max_retries=0,
        timeout=target.request_timeout_s,
        default_headers=headers,
        http_client=http_client,
        _strict_response_validation=strict,
    )


@contextlib.contextmanager
def bounded_poll(
    client: openai.OpenAI, timeout_s: float, stop: threading.Event | None = None
) -> Iterator[None]:
    """Let the SDK's own poll loop run unchanged, but raise ``PollTimeout`` once it would
    sleep past ``timeout_s`` (the SDK polls forever; a stuck job must not hang the run), and
    ``PollInterrupted`` as soon as ``stop`` is set."""
    videos = client.videos
    deadline = time.monotonic() + timeout_s
    original = videos._sleep
    interrupt = stop or threading.Event()

    def sleep(seconds: float) -> None:
        if time.monotonic() + seconds > deadline:
            raise PollTimeout(f"still polling after the job timeout of {timeout_s:g} s")
        if interrupt.wait(seconds):
            raise PollInterrupted("run interrupted while openai-python polled")

    videos._sleep = sleep  # type: ignore[method-assign]
    try:
        yield
    finally:
        videos._sleep = original  # type: ignore[method-assign]


def describe_sdk_error(exc: Exception) -> str:
    """One redacted line for an exception the SDK raised on a vendor response."""
    if isinstance(exc, openai.APIStatusError):
        return redact_text(f"{type(exc).__name__} ({exc.status_code}): {exc.message}")[:300]
    cause = exc.__cause__
    if isinstance(exc, openai.APIConnectionError) and cause is not None:
        # "Connection error." alone hides why (refused, reset, or a replay's missing answer).
        return redact_text(f"{type(exc).__name__}: {exc} ({type(cause).__name__}: {cause})")[:300]
    return redact_text(f"{type(exc).__name__}: {exc}")[:300]


def is_network_error(exc: Exception) -> bool:
    """No HTTP answer arrived: a harness/network error, never the vendor's failure."""
    return isinstance(exc, openai.APIConnectionError)


@dataclass
class SdkJobRun:
    """What ``create_and_poll`` and ``download_content`` did with one job (the ``sdk`` job)."""

    transcript: SdkTranscript
    video: Any = None
    """The ``Video`` ``create_and_poll`` returned (``None`` when it raised)."""
    error: Exception | None = None
    """What the SDK raised, in ``stage``."""
    stage: str = "create_and_poll"
    """``create_and_poll`` or ``download_content``: where ``error`` came from."""
    content: bytes | None = None
    """The bytes ``download_content`` returned (``None`` when it was not reached or raised)."""


@dataclass
class SdkCall:
    """One SDK method call: what it returned or raised, with the transcript of its requests."""

    transcript: SdkTranscript
    value: Any = None
    error: Exception | None = None


def drive_create_and_poll(
    target: Target,
    params: Mapping[str, str],
    stop: threading.Event | None = None,
    transport: httpx2.BaseTransport | None = None,
) -> SdkJobRun:
    """``create_and_poll`` with ``params`` through a lax client (the integrator's default), then
    ``download_content`` when it returned the job completed; never raises for what the SDK does.

    The SDK sends every create as multipart/form-data; its poll honours
    ``openai-poll-after-ms`` (1 s without it) and is bounded by the target's job timeout.
    """
    transcript = SdkTranscript()
    run = SdkJobRun(transcript)
    client = sdk_client(target, transcript, strict=False, transport=transport)
    try:
        with quiet(), bounded_poll(client, target.job_timeout_s, stop):
            try:
                run.video = client.videos.create_and_poll(**dict(params))  # type: ignore[arg-type]
            except Exception as exc:
                run.error = exc
                return run
            if getattr(run.video, "status", None) != "completed":
                return run
            run.stage = "download_content"
            try:
                run.content = client.videos.download_content(run.video.id).content
            except Exception as exc:
                run.error = exc
    finally:
        client.close()
    return run


def drive_remix(
    target: Target, source_id: str, prompt: str, transport: httpx2.BaseTransport | None = None
) -> SdkCall:
    """``client.videos.remix(source_id, prompt=prompt)`` through a lax client; never raises for
    what the SDK does (a body that breaks it is ``error``, the raw answer is in the transcript)."""
    transcript = SdkTranscript()
    call = SdkCall(transcript)
    client = sdk_client(target, transcript, strict=False, transport=transport)
    try:
        with quiet():
            call.value = client.videos.remix(source_id, prompt=prompt)
    except Exception as exc:
        call.error = exc
    finally:
        client.close()
    return call

"""The official ``openai`` SDK pointed at the target, as an integrator would point it.

``sdk_client`` builds ``OpenAI(base_url=...)`` with the SDK's default retry policy (2 retries,
its own backoff, ``Retry-After`` honoured) except that a billable create is re-sent only on an
answer that proves no job was made (``flow_control``), in lax or strict response validation,
over ``sdk_transport.GuardedTransport`` (credentials never leave the target's origin; every hop
has a total deadline and a body cap), with a transcript of every response it got
(``SdkTranscript``) so that the checks can show evidence and validate what the SDK saw, and the
job pool can take the raw answers as its own record of a job.
The SDK's poll helper has no overall timeout; ``bounded_poll`` gives it the job timeout.

The job pool drives the SDK's billable calls (``sdk_jobs``) in its own threads, from the start
of the run; the ``sdk`` checks judge what they stored (``SdkJobRun``, ``SdkCall``).
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import httpx2

from conformance.client import Response, summarise_body
from conformance.config import Target
from conformance.flow_control import RETRY_WAIT_CAP_S, is_billable
from conformance.flow_control import should_retry as flow_control_retry
from conformance.http_limits import parse_json
from conformance.redact import redact_headers, redact_text
from conformance.report.model import Exchange
from conformance.sdk_transport import GuardedTransport, SdkProviderFault, SdkRunDeadline

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
        """The parsed JSON body, or ``None`` when the body is not JSON (or nests too deep)."""
        return parse_json(self.content)[0]


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
        body: Any = parse_json(response.content)[0] if "json" in ctype else None
        raw = SdkResponse(
            method=request.method,
            url=redact_text(str(request.url)),
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

    @property
    def throttles(self) -> int:
        """429/503 answers the SDK received (each one it retried is in the transcript too)."""
        with self._lock:
            return sum(r.status in (429, 503) for r in self.responses)

    def last(self, method: str, path_suffix: str) -> SdkResponse | None:
        """The last response to ``method`` on a path ending in ``path_suffix``."""
        with self._lock:
            matches = [
                r for r in self.responses if r.method == method and r.path.endswith(path_suffix)
            ]
        return matches[-1] if matches else None


class _OracleOpenAI(openai.OpenAI):
    """``openai.OpenAI`` whose retry rule spares billable creates (see ``flow_control``)."""

    def _should_retry(self, response: httpx2.Response) -> bool:
        request = response.request
        if is_billable(request.method, request.url.path) and not flow_control_retry(
            request.method, request.url.path, response.status_code, response.headers
        ):
            # The SDK would re-send a create on 408/409/5xx: the job may already exist, and
            # with no idempotency key a second one would be billed.
            return False
        return super()._should_retry(response)

    def _calculate_retry_timeout(
        self,
        remaining_retries: int,
        options: Any,
        response_headers: httpx2.Headers | None = None,
    ) -> float:
        # The SDK waits up to 120 s when Retry-After asks; the run waits at most
        # RETRY_WAIT_CAP_S per answer, as the Client does (a run must stay bounded).
        wait = super()._calculate_retry_timeout(remaining_retries, options, response_headers)
        return min(wait, RETRY_WAIT_CAP_S)


def sdk_client(
    target: Target,
    transcript: SdkTranscript,
    *,
    strict: bool,
    transport: httpx2.BaseTransport | None = None,
    run_ends_at: float | None = None,
) -> openai.OpenAI:
    """An ``OpenAI`` client for ``target`` (``x-api-key`` added when the profile needs it);
    ``transport`` replaces the network (tests) and is wrapped by ``GuardedTransport`` all the
    same; past ``run_ends_at`` (``time.monotonic()``, e.g. ``Client.run_ends_at``) nothing is
    sent and the call raises ``SdkRunDeadline``. Both validation modes keep the SDK's default
    retries (flow control is not a finding), each wait capped at ``RETRY_WAIT_CAP_S``;
    billable creates are retried only on 429 or a 503 with ``Retry-After``."""
    headers = {"x-api-key": target.api_key} if target.auth in ("x-api-key", "both") else None
    http_client = openai.DefaultHttpxClient(
        event_hooks={"response": [transcript.on_response]},
        timeout=target.request_timeout_s,
        transport=GuardedTransport(target, transport, run_ends_at),
    )
    return _OracleOpenAI(
        base_url=target.base_url,
        api_key=target.api_key,
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


def detached(exc: Exception) -> Exception:
    """``exc`` without its tracebacks (its cause and context chain too), to be kept in a
    record: a traceback holds every frame's locals alive, among them a partial body of up to
    the media cap that the SDK was reading when the bound stopped it."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        link.__traceback__ = None
        link = link.__cause__ or link.__context__
    return exc


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
    """Nothing answered at all (connection refused, DNS failure, connect timeout): a
    harness/network error, never the vendor's failure. A provider that answered badly (a reset
    after connecting, a malformed or cut-off answer, a body over its cap, a total deadline run
    out, an unsafe redirect) is the provider's failure: ``is_provider_fault``."""
    if not isinstance(exc, openai.APIConnectionError) or isinstance(
        exc, SdkProviderFault | SdkRunDeadline
    ):
        return False
    cause = exc.__cause__
    return cause is None or isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout)


def is_provider_fault(exc: Exception) -> bool:
    """The SDK got an answer that is not usable HTTP (see ``is_network_error``)."""
    return (
        isinstance(exc, openai.APIConnectionError)
        and not isinstance(exc, SdkRunDeadline)
        and not is_network_error(exc)
    )


def is_throttled(exc: Exception | None) -> bool:
    """The SDK gave up on flow control (429, or 503) after its own retries."""
    return isinstance(exc, openai.APIStatusError) and exc.status_code in (429, 503)


def is_run_deadline(exc: Exception) -> bool:
    """The SDK's request was not sent because the run's deadline had passed."""
    return isinstance(exc, SdkRunDeadline)


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

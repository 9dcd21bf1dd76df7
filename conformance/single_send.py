"""One request on the wire and its answer read within bounds: the single send under ``Client``.

``SingleSender.send`` sends exactly one request (no redirect, no retry: ``conformance.redirects``
and ``Client.request`` do those) and reads the answer within the limits of ``http_limits``:

- a total deadline per request, enforced down to the socket by the transport of
  ``deadline_transport`` and never past the run's deadline;
- a cap on the header count and on the decoded body; a large body (a download) also takes a
  process-wide slot, so concurrent downloads cannot together hold more than a few caps;
- once the provider has left ``HUNG_LIMIT`` requests in a row without a complete answer, the
  next ones fail at once instead of each waiting out its deadline;
- a target off this machine reached over plain http gets a warning, once per host: the key
  travels unencrypted.

Every attempt becomes a redacted ``Exchange`` handed to the recorder, answered or not; no usable
answer raises the ``TransportFailure`` kind that says whose failure it is (``_failure``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from conformance import __version__
from conformance.answers import (
    ProviderFault,
    RunDeadlineExceeded,
    TransportFailure,
    Unreachable,
    summarise_body,
)
from conformance.config import Target
from conformance.http_limits import (
    JSON_BODY_CAP,
    MAX_RESPONSE_HEADERS,
    BoundedDecoder,
    Overrun,
    deadline_pool,
    deadline_scope,
    media_slots,
    read_bounded,
    shared_ssl_context,
)
from conformance.redact import redact_headers, redact_text
from conformance.report.model import Exchange

HUNG_LIMIT = 3
"""Requests in a row that ran out their total deadline after which the provider counts as hung."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_warned_plain_http: set[str] = set()
_warn_lock = threading.Lock()


def deadline_transport() -> httpx.HTTPTransport:
    """httpx's transport with the network backend that enforces each request's total
    deadline (``http_limits.DeadlineBackend``)."""
    context = shared_ssl_context()
    transport = httpx.HTTPTransport(verify=context)
    transport._pool = deadline_pool(httpcore, context)
    return transport


@contextlib.contextmanager
def _acquired(
    slot: threading.BoundedSemaphore | contextlib.nullcontext[None], deadline: float
) -> Iterator[None]:
    """Hold ``slot`` (a semaphore) for the block, waiting at most until ``deadline``."""
    if not isinstance(slot, threading.BoundedSemaphore):
        yield
        return
    if not slot.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise Overrun("total deadline of the request exceeded waiting for other downloads")
    try:
        yield
    finally:
        slot.release()


class SingleSender:
    """Sends single requests to one target. Thread-safe: the job pool sends from many threads.

    ``run_ends_at`` is asked at every send, since the run's deadline may move (the runner grants
    the cleanup a grace period); ``record`` receives every exchange, answered or not.
    """

    def __init__(
        self,
        target: Target,
        *,
        transport: httpx.BaseTransport,
        run_ends_at: Callable[[], float],
        record: Callable[[Exchange], None],
    ) -> None:
        self.target = target
        self._http = httpx.Client(
            timeout=httpx.Timeout(target.request_timeout_s, connect=10.0),
            follow_redirects=False,
            transport=transport,
            # Only encodings whose inflation ``BoundedDecoder`` can cap.
            headers={
                "User-Agent": f"video-conformance/{__version__}",
                "Accept-Encoding": "gzip, deflate",
            },
        )
        self._run_ends_at = run_ends_at
        self._record = record
        self._lock = threading.Lock()
        self._hung_streak = 0
        """Requests in a row cut off at their total deadline (reset by any complete answer)."""
        self.request_count = 0
        self._warn_plain_http(target.base_url)

    def close(self) -> None:
        self._http.close()

    @staticmethod
    def _warn_plain_http(base_url: str) -> None:
        """Say once per host that a target off this machine is reached without TLS."""
        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "http" or host in LOOPBACK_HOSTS or host.startswith("127."):
            return
        with _warn_lock:
            if host in _warned_plain_http:
                return
            _warned_plain_http.add(host)
        print(
            f"warning: {host} is reached over plain http; the API key travels unencrypted",
            file=sys.stderr,
        )

    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        content: bytes | None,
        multipart: dict[str, Any] | None,
        params: Mapping[str, str | int] | None,
        timeout: float | None,
        max_bytes: int,
    ) -> tuple[httpx.Response, bytes, Exchange]:
        """Send one request and read its answer: the response, its decoded body (at most
        ``max_bytes``) and the recorded exchange. ``timeout`` is the total deadline (default:
        the target's request timeout, capped by its job timeout).

        Raises ``ProviderFault``, ``Unreachable`` or ``RunDeadlineExceeded``.
        """
        started = time.monotonic()
        if started >= self._run_ends_at():
            raise RunDeadlineExceeded(
                f"{method} {url}: not sent, the run deadline of "
                f"{self.target.run_deadline_s:g} s has passed"
            )
        if self._hung_streak >= HUNG_LIMIT:
            # Hung requests must not queue one after another: once the provider has left
            # several in a row unanswered, the rest fail at once, as what they would have met.
            raise ProviderFault(
                f"{method} {redact_text(url)}: not sent: the provider left the last "
                f"{self._hung_streak} requests without a complete answer within their deadline"
            )
        # A single answer that takes longer than a whole job may is no answer.
        total = (
            timeout
            if timeout is not None
            else min(self.target.request_timeout_s, self.target.job_timeout_s)
        )
        deadline = min(started + total, self._run_ends_at())
        request = self._http.build_request(
            method,
            url,
            headers=headers,
            content=content,
            files=multipart,
            params=params,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        safe_url = redact_text(str(request.url))
        exchange = Exchange(
            method=method,
            url=safe_url,
            request_headers=redact_headers(dict(request.headers)),
            request_body=_describe_request_body(content, multipart),
        )
        with self._lock:
            self.request_count += 1
        response: httpx.Response | None = None
        # Large bodies take a process-wide slot, so concurrent downloads cannot together hold
        # more than MEDIA_READS_AT_ONCE caps; the wait for a slot counts against the deadline.
        slot = media_slots if max_bytes > JSON_BODY_CAP else contextlib.nullcontext()
        try:
            with deadline_scope(deadline), _acquired(slot, deadline):
                response = self._http.send(request, stream=True)
                exchange.status = response.status_code
                # Counted before anything reads them by name: httpx.Headers looks a name up
                # in a list, so 10 000 headers cost 10^8 steps to copy into a dict.
                if len(response.headers.raw) > MAX_RESPONSE_HEADERS:
                    raise Overrun(
                        f"{len(response.headers.raw)} header lines (limit {MAX_RESPONSE_HEADERS})"
                    )
                exchange.response_headers = redact_headers(dict(response.headers))
                decoder = BoundedDecoder(response.headers.get("content-encoding", ""), max_bytes)
                # A response built in memory (a test's MockTransport) was read at creation;
                # its raw stream can still be iterated.
                raw = (
                    iter(response.stream)  # type: ignore[arg-type]
                    if response.is_stream_consumed
                    else response.iter_raw()
                )
                body = read_bounded(raw, decoder, deadline)
        except Exception as exc:
            failure: TransportFailure | None = self._failure(
                exc, method, safe_url, exchange, started, deadline
            )
        else:
            failure = None
        finally:
            if response is not None:
                response.close()
        if failure is not None:
            # Raised outside the handler: the failure must not keep the original exception as
            # its context, whose traceback holds the partial body (up to the cap) alive.
            exchange.elapsed_ms = round((time.monotonic() - started) * 1000, 1)
            exchange.error = str(failure)
            self._record(exchange)
            raise failure
        assert response is not None
        exchange.response_body = summarise_body(body, response.headers.get("content-type", ""))
        exchange.elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        self._record(exchange)
        with self._lock:
            self._hung_streak = 0
        return response, body, exchange

    def _failure(
        self,
        exc: Exception,
        method: str,
        url: str,
        exchange: Exchange,
        started: float,
        deadline: float,
    ) -> TransportFailure:
        """The kind of failure ``exc`` is (the taxonomy is in ``conformance.client``)."""
        what = f"{method} {url}"
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        out_of_time = time.monotonic() >= deadline - 0.05
        if out_of_time and deadline >= self._run_ends_at():
            return RunDeadlineExceeded(f"{what}: cut off at the run deadline", exchange)
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) and exchange.status is None:
            return Unreachable(f"{what}: {detail}", exchange)
        if isinstance(exc, httpx.TimeoutException | Overrun) and out_of_time:
            with self._lock:
                self._hung_streak += 1
            return ProviderFault(
                f"{what}: no complete response within {deadline - started:.0f} s", exchange
            )
        if isinstance(exc, Overrun | ValueError):
            return ProviderFault(f"{what}: {exc}", exchange)
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return ProviderFault(
                f"{what}: malformed or cut-off answer: {detail}", exchange, transient=True
            )
        if isinstance(exc, httpx.TransportError | httpx.DecodingError):
            return ProviderFault(f"{what}: {detail}", exchange)
        if isinstance(exc, httpx.HTTPError):
            return ProviderFault(f"{what}: {detail}", exchange)
        raise exc


def _describe_request_body(content: bytes | None, multipart: dict[str, Any] | None) -> str | None:
    """The request body as the transcript shows it: JSON summarised, multipart as its parts
    (long text cut, files by name, size and type), redacted."""
    if content is not None:
        return summarise_body(content, "application/json")
    if multipart is None:
        return None
    parts = []
    for name, value in multipart.items():
        filename, data = value[0], value[1]
        if filename is None:
            text = str(data)
            if len(text) > 200:
                text = text[:200] + f"... <{len(text)} chars>"
            parts.append(f"{name}={text}")
        else:
            ctype = value[2] if len(value) > 2 else "application/octet-stream"
            parts.append(f"{name}=<file {filename}: {len(data)} bytes {ctype}>")
    return redact_text("multipart/form-data: " + "; ".join(parts))

"""The HTTP client every check and the job pool use (its answers: ``conformance.answers``).

One job: send a request the way the target wants it (auth style, JSON or multipart body,
timeouts), follow redirects safely, and keep a redacted transcript.

- Redirects are followed by hand: a same-origin hop keeps the credentials, a cross-origin hop
  drops every credential header (``Authorization``, ``x-api-key``, ``api-key``, ``Cookie``, and
  any header carrying the key); only http(s) is followed; loops and long chains are refused.
  Every hop is recorded so a check can tell "served" from "redirected".
- Every response is streamed within bounds (``http_limits``): a total deadline per request,
  a cap on the decoded body and on the header count, JSON nesting refused past a depth.
- Flow control (429/503) is waited out as ``flow_control`` says; ``throttles`` and ``retries``
  count it for the report.
- Every exchange becomes a redacted ``report.model.Exchange``; ``capture()`` collects the
  exchanges of the current thread so they can be attached to a ``CheckResult`` as evidence.
- Every error response (status >= 400) is also kept in ``error_responses`` for the envelope check;
  ``note_error`` adds one that reached the provider by another way (an SDK call).
- No usable answer raises a ``TransportFailure`` whose subclass says whose failure it is:
  ``ProviderFault`` (the provider answered badly), ``Throttled`` (flow control outlasted the
  retry deadline), ``Unreachable`` (nothing answered; a ``HarnessError``) or
  ``RunDeadlineExceeded`` (the run is out of time).
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from conformance import __version__
from conformance.answers import (
    ErrorSeen,
    ProviderFault,
    RedirectHop,
    Response,
    RunDeadlineExceeded,
    Throttled,
    TransportFailure,
    Unreachable,
    summarise_body,
    video_path,
)
from conformance.config import Target
from conformance.flow_control import (
    RETRY_DEADLINE_CAP_S,
    TRANSIENT_RETRIES,
    backoff_s,
    should_retry,
)
from conformance.http_limits import (
    JSON_BODY_CAP,
    MAX_RESPONSE_HEADERS,
    BoundedDecoder,
    Overrun,
    deadline_pool,
    deadline_scope,
    media_deadline_s,
    media_slots,
    read_bounded,
    target_media_cap,
)
from conformance.live import events
from conformance.redact import CREDENTIAL_HEADERS, redact_headers, redact_text
from conformance.report.model import Exchange

AuthMode = Literal["default", "none", "wrong", "bearer", "x-api-key"]
"""``default``: the target's style; ``none``: no credentials; ``wrong``: the target's style
with an invalid key; ``bearer`` / ``x-api-key``: only that header with the real key."""

HUNG_LIMIT = 3
"""Requests in a row that ran out their total deadline after which the provider counts as hung."""
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
WRONG_KEY = "vc-wrong-key-0000000000000000"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_warned_plain_http: set[str] = set()
_warn_lock = threading.Lock()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


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


def _deadline_transport() -> httpx.HTTPTransport:
    """httpx's transport with the network backend that enforces each request's total
    deadline (``http_limits.DeadlineBackend``)."""
    transport = httpx.HTTPTransport()
    transport._pool = deadline_pool(httpcore, httpx.create_ssl_context())
    return transport


class Client:
    """Sends requests to one target. Thread-safe: the job pool uses it from many threads.

    Every request has a total deadline (``target.request_timeout_s`` unless ``timeout`` says
    otherwise), a body cap, and waits out flow control (``flow_control``) for at most
    ``retry_deadline_s`` (default ``min(job timeout, 120 s)``). Nothing is sent once the run's
    deadline (``target.run_deadline_s`` from the client's creation) has passed.
    """

    def __init__(
        self,
        target: Target,
        *,
        transport: httpx.BaseTransport | None = None,
        retry_deadline_s: float | None = None,
    ) -> None:
        self.target = target
        self._http = httpx.Client(
            timeout=httpx.Timeout(target.request_timeout_s, connect=10.0),
            follow_redirects=False,
            transport=transport or _deadline_transport(),
            # Only encodings whose inflation ``BoundedDecoder`` can cap.
            headers={
                "User-Agent": f"video-conformance/{__version__}",
                "Accept-Encoding": "gzip, deflate",
            },
        )
        self.retry_deadline_s = (
            retry_deadline_s
            if retry_deadline_s is not None
            else min(target.job_timeout_s, RETRY_DEADLINE_CAP_S)
        )
        self.run_ends_at = time.monotonic() + target.run_deadline_s
        """``time.monotonic()`` after which no request starts."""
        self._hung_streak = 0
        """Requests in a row cut off at their total deadline (reset by any complete answer)."""
        self.media_cap = target_media_cap(
            (*target.sizes, *target.extension_sizes), (*target.seconds, *target.extension_seconds)
        )
        """The cap of a ``/content`` body: what the largest job of this target can make."""
        self._throttled_since: float | None = None
        """When the provider started answering only 429/503 (``None``: it is not doing so)."""
        self._local = threading.local()
        self._lock = threading.Lock()
        self.error_responses: list[ErrorSeen] = []
        self.request_count = 0
        self.throttles = 0
        """Flow-control answers (429/503) waited out or given up on."""
        self.retries = 0
        """Requests sent again (after flow control or a transient failure)."""
        self._warn_plain_http(target.base_url)

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _warn_plain_http(base_url: str) -> None:
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

    # --- capture ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def capture(self) -> Iterator[list[Exchange]]:
        """Collect every exchange this thread makes inside the block."""
        stack: list[list[Exchange]] = self._local.__dict__.setdefault("stack", [])
        log: list[Exchange] = []
        stack.append(log)
        try:
            yield log
        finally:
            stack.remove(log)

    def _record(self, exchange: Exchange) -> None:
        events().exchange(exchange.method, exchange.url, exchange.status, exchange.elapsed_ms)
        for log in self._local.__dict__.get("stack", []):
            log.append(exchange)

    def _count(self, *, throttled: bool = False, retried: bool = False) -> None:
        with self._lock:
            self.throttles += throttled
            self.retries += retried

    # --- requests ----------------------------------------------------------------------------
    def auth_headers(self, mode: AuthMode = "default") -> dict[str, str]:
        """The credential headers for ``mode``."""
        key = WRONG_KEY if mode == "wrong" else self.target.api_key
        style = self.target.auth if mode in ("default", "wrong") else mode
        headers: dict[str, str] = {}
        if mode == "none":
            return headers
        if style in ("bearer", "both"):
            headers["Authorization"] = f"Bearer {key}"
        if style in ("x-api-key", "both"):
            headers["x-api-key"] = key
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        route: str = "",
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        params: Mapping[str, str | int] | None = None,
        auth: AuthMode = "default",
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        timeout: float | None = None,
        max_bytes: int = JSON_BODY_CAP,
        retry_throttled: bool = True,
    ) -> Response:
        """Send one request (``path`` relative to the base URL) and return the final response.

        ``form`` (with optional ``files``) is sent as multipart/form-data even without a file,
        as openai-python 2.27+ does; ``json_body`` as application/json.
        ``timeout`` is the total deadline of each attempt (default: the target's request
        timeout); ``max_bytes`` caps the decoded body. 429/503 are waited out as
        ``flow_control`` says unless ``retry_throttled=False`` (checks of 429 itself); a GET
        cut off by a reset or a short body is sent again up to ``TRANSIENT_RETRIES`` times.

        Raises ``ProviderFault``, ``Throttled``, ``Unreachable`` or ``RunDeadlineExceeded``.
        """
        retry_until = time.monotonic() + self.retry_deadline_s
        attempt = transient = 0
        while True:
            try:
                result = self._follow(
                    method,
                    path,
                    json_body=json_body,
                    form=form,
                    files=files,
                    params=params,
                    auth=auth,
                    headers=headers,
                    follow_redirects=follow_redirects,
                    timeout=timeout,
                    max_bytes=max_bytes,
                )
            except ProviderFault as exc:
                if not (exc.transient and method == "GET" and transient < TRANSIENT_RETRIES):
                    raise
                transient += 1
                self._count(retried=True)
                continue
            if not (retry_throttled and should_retry(method, path, result.status, result.headers)):
                if result.status not in (429, 503):
                    with self._lock:
                        self._throttled_since = None
                break
            self._count(throttled=True)
            wait = backoff_s(attempt, result.headers)
            now = time.monotonic()
            with self._lock:
                since = self._throttled_since = self._throttled_since or now
            # A provider that has answered nothing but "not now" for a whole retry deadline is
            # not waited out again by every later request, one after another.
            storm = now - since >= self.retry_deadline_s
            if storm or now + wait > min(retry_until, self.run_ends_at):
                raise Throttled(
                    f"{method} {self.target.base_url}{path}: still {result.status} after "
                    f"{attempt + 1} answer(s) within the retry deadline of "
                    f"{self.retry_deadline_s:g} s",
                    result.exchange,
                )
            time.sleep(wait)
            attempt += 1
            self._count(retried=True)
        self.note_error(route or f"{method} {path}", result)
        return result

    def note_error(self, route: str, response: Response) -> None:
        """Keep ``response`` for the envelope check (VID-ERR-005) when it is an error (>= 400).

        The client notes its own answers; a caller that reached the provider another way (the
        SDK's remix of the job pool) notes what it got here, so every error of the run is judged.
        """
        if response.status < 400:
            return
        seen = ErrorSeen(route, response.status, response.json(), response.exchange)
        with self._lock:
            self.error_responses.append(seen)

    def _follow(
        self,
        method: str,
        path: str,
        *,
        json_body: Any,
        form: Mapping[str, str] | None,
        files: Mapping[str, tuple[str, bytes, str]] | None,
        params: Mapping[str, str | int] | None,
        auth: AuthMode,
        headers: Mapping[str, str] | None,
        follow_redirects: bool,
        timeout: float | None,
        max_bytes: int,
    ) -> Response:
        """One attempt: send, and follow redirects safely by hand."""
        url = self.target.base_url + path
        send_headers = {"Accept": "application/json", **self.auth_headers(auth), **(headers or {})}
        content: bytes | None = None
        multipart: dict[str, Any] | None = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            send_headers["Content-Type"] = "application/json"
        elif form is not None or files:
            # (None, value) parts make httpx build multipart without a file.
            multipart = {k: (None, v) for k, v in (form or {}).items()}
            multipart.update(files or {})
        exchanges: list[Exchange] = []
        hops: list[RedirectHop] = []
        current_method = method
        seen = {(method, url)}
        while True:
            try:
                response, body, exchange = self._send_once(
                    current_method,
                    url,
                    send_headers,
                    content,
                    multipart,
                    params,
                    timeout,
                    max_bytes,
                )
            except Unreachable as exc:
                if not hops:
                    raise
                # The target answered and sent us somewhere dead: the provider's failure.
                raise ProviderFault(
                    f"redirected to an unreachable URL: {exc}", exc.exchange
                ) from None
            exchanges.append(exchange)
            location = response.headers.get("location")
            if not (follow_redirects and response.status_code in REDIRECT_STATUSES and location):
                break
            next_url = self._redirect_target(str(response.url), location, exchange)
            if len(hops) >= MAX_REDIRECTS:
                raise ProviderFault(
                    f"{current_method} {url}: more than {MAX_REDIRECTS} redirects", exchange
                )
            cross = _origin(next_url) != _origin(url)
            dropped = False
            if cross:
                for name in [h for h in send_headers if self._is_credential(h, send_headers[h])]:
                    del send_headers[name]
                    dropped = True
            hops.append(
                RedirectHop(
                    response.status_code, redact_text(url), redact_text(next_url), cross, dropped
                )
            )
            if response.status_code == 303 or (
                response.status_code in (301, 302) and current_method == "POST"
            ):
                current_method, content, multipart = "GET", None, None
                send_headers.pop("Content-Type", None)
            if (current_method, next_url) in seen:
                raise ProviderFault(
                    f"{current_method} {url}: redirect loop back to {next_url}", exchange
                )
            seen.add((current_method, next_url))
            url, params = next_url, None
        return Response(
            method=current_method,
            url=redact_text(str(response.url)),  # a signed CDN URL may carry the key
            status=response.status_code,
            headers=response.headers,
            content=body,
            exchange=exchanges[-1],
            exchanges=exchanges,
            redirects=hops,
        )

    def _is_credential(self, name: str, value: str) -> bool:
        """A header that must not leave the target's origin: a credential header by name, or
        any header carrying the key."""
        key = self.target.api_key
        return name.lower() in CREDENTIAL_HEADERS or bool(key and key in value)

    @staticmethod
    def _redirect_target(current: str, location: str, exchange: Exchange) -> str:
        """The absolute URL a ``Location`` points to; only http(s) may be followed."""
        try:
            next_url = urljoin(current, location.strip())
            scheme = urlsplit(next_url).scheme.lower()
            host = urlsplit(next_url).hostname
        except ValueError:
            raise ProviderFault(
                f"redirect to an unparsable Location {location!r}", exchange
            ) from None
        if scheme not in ("http", "https") or not host:
            raise ProviderFault(
                f"unsafe redirect to {location!r} (only http(s) is followed)", exchange
            )
        return next_url

    def _send_once(
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
        started = time.monotonic()
        if started >= self.run_ends_at:
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
        deadline = min(started + total, self.run_ends_at)
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
            request_body=self._describe_request_body(content, multipart),
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
        """The kind of failure ``exc`` is (see the taxonomy at the top of this module)."""
        what = f"{method} {url}"
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        out_of_time = time.monotonic() >= deadline - 0.05
        if out_of_time and deadline >= self.run_ends_at:
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

    @staticmethod
    def _describe_request_body(
        content: bytes | None, multipart: dict[str, Any] | None
    ) -> str | None:
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

    # --- conveniences for the video routes ---------------------------------------------------
    def create(
        self,
        fields: Mapping[str, Any],
        *,
        encoding: str = "json",
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        auth: AuthMode = "default",
    ) -> Response:
        """POST /videos with ``fields`` as JSON or as multipart form fields."""
        if encoding == "json":
            return self.request(
                "POST", "/videos", route="create", json_body=dict(fields), auth=auth
            )
        form = {k: str(v) for k, v in fields.items()}
        return self.request("POST", "/videos", route="create", form=form, files=files, auth=auth)

    def retrieve(self, video_id: str, *, auth: AuthMode = "default") -> Response:
        return self.request("GET", video_path(video_id), route="retrieve", auth=auth)

    def content(
        self,
        video_id: str,
        *,
        variant: str | None = None,
        auth: AuthMode = "default",
        follow_redirects: bool = True,
        max_bytes: int | None = None,
    ) -> Response:
        """GET /videos/{id}/content, with the SDK's ``Accept: application/binary``; the body
        may be up to ``max_bytes`` (default: the largest video the target's sizes and durations
        can make, ``http_limits.target_media_cap``), and gets the request timeout plus the time
        that many bytes take at 1 MiB/s."""
        if max_bytes is None:
            max_bytes = self.media_cap
        return self.request(
            "GET",
            video_path(video_id, "/content"),
            route="content",
            params={"variant": variant} if variant else None,
            headers={"Accept": "application/binary"},
            auth=auth,
            follow_redirects=follow_redirects,
            max_bytes=max_bytes,
            timeout=media_deadline_s(self.target.request_timeout_s, max_bytes),
        )

    def delete(self, video_id: str, *, auth: AuthMode = "default") -> Response:
        return self.request("DELETE", video_path(video_id), route="delete", auth=auth)

    def remix(self, video_id: str, prompt: str, *, auth: AuthMode = "default") -> Response:
        """POST /videos/{id}/remix with a JSON body, as the SDK sends it."""
        return self.request(
            "POST",
            video_path(video_id, "/remix"),
            route="remix",
            json_body={"prompt": prompt},
            auth=auth,
        )

    def list_videos(self, *, auth: AuthMode = "default", **params: str | int) -> Response:
        """GET /videos with the given query parameters."""
        return self.request("GET", "/videos", route="list", params=params or None, auth=auth)

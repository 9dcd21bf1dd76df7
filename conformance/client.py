"""The HTTP client every check and the job pool use (its answers: ``conformance.answers``).

One job: send a request the way the target wants it (auth style, JSON or multipart body,
timeouts), follow redirects safely, and keep a redacted transcript. ``Client`` is the surface;
the two layers under it have modules of their own:

- ``conformance.redirects``: redirects are followed by hand: a same-origin hop keeps the
  credentials, a cross-origin hop drops every credential header; only http(s) is followed; loops
  and long chains are refused. Every hop is recorded so a check can tell "served" from
  "redirected".
- ``conformance.single_send``: every response is streamed within bounds (``http_limits``): a
  total deadline per request, a cap on the decoded body and on the header count, JSON nesting
  refused past a depth.
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
import functools
import json
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import httpx

from conformance import redirects
from conformance.answers import (
    ErrorSeen,
    ProviderFault,
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
from conformance.http_limits import JSON_BODY_CAP, media_deadline_s, target_media_cap
from conformance.live import events
from conformance.report.model import Exchange
from conformance.single_send import SingleSender, deadline_transport

# The answers' types are part of this module's surface: checks, the job pool and the runner
# import them from here with the client.
__all__ = [
    "AuthMode",
    "Client",
    "ErrorSeen",
    "ProviderFault",
    "Response",
    "RunDeadlineExceeded",
    "Throttled",
    "TransportFailure",
    "Unreachable",
    "summarise_body",
    "video_path",
]

AuthMode = Literal["default", "none", "wrong", "bearer", "x-api-key"]
"""``default``: the target's style; ``none``: no credentials; ``wrong``: the target's style
with an invalid key; ``bearer`` / ``x-api-key``: only that header with the real key."""

WRONG_KEY = "vc-wrong-key-0000000000000000"


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
        self.retry_deadline_s = (
            retry_deadline_s
            if retry_deadline_s is not None
            else min(target.job_timeout_s, RETRY_DEADLINE_CAP_S)
        )
        self.run_ends_at = time.monotonic() + target.run_deadline_s
        """``time.monotonic()`` after which no request starts."""
        self.media_cap = target_media_cap(
            (*target.sizes, *target.extension_sizes), (*target.seconds, *target.extension_seconds)
        )
        """The cap of a ``/content`` body: what the largest job of this target can make."""
        self._throttled_since: float | None = None
        """When the provider started answering only 429/503 (``None``: it is not doing so)."""
        self._local = threading.local()
        self._lock = threading.Lock()
        self.error_responses: list[ErrorSeen] = []
        self.throttles = 0
        """Flow-control answers (429/503) waited out or given up on."""
        self.retries = 0
        """Requests sent again (after flow control or a transient failure)."""
        self._sender = SingleSender(
            target,
            transport=transport or deadline_transport(),
            run_ends_at=lambda: self.run_ends_at,
            record=self._record,
        )

    @property
    def request_count(self) -> int:
        """Requests sent, every attempt and every redirect hop counted."""
        return self._sender.request_count

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self._sender.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        """One attempt: encode the body, send, and follow redirects safely by hand."""
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

        return redirects.follow(
            functools.partial(self._sender.send, timeout=timeout, max_bytes=max_bytes),
            method,
            self.target.base_url + path,
            send_headers,
            content=content,
            multipart=multipart,
            params=params,
            api_key=self.target.api_key,
            follow_redirects=follow_redirects,
        )

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

"""The network under the official SDK oracle: the same bounds and credential rules as ``Client``.

One job: an ``httpx2`` transport (``GuardedTransport``) for ``sdk.sdk_client`` that

- drops every credential header (``Authorization``, ``x-api-key``, ``api-key``, ``Cookie``, any
  header carrying the key) from a request to any origin but the target's. httpx2 follows the
  SDK's redirects itself and strips only ``Authorization`` on a cross-origin hop, so the
  ``x-api-key`` the SDK sends as a default header would reach a CDN; the transport sees every
  hop, and the SDK never has a reason to send credentials elsewhere.
- gives every hop a total deadline (``target.request_timeout_s``), caps the decoded body
  (media for ``/content``, ``JSON_BODY_CAP`` otherwise) and the header count, decoding
  gzip/deflate itself so that a bomb cannot inflate inside httpx2 (the response handed to the
  SDK then carries no ``Content-Encoding``).
- never lets the SDK's own retry loop re-send a billable create after the request may have
  reached the provider (see ``flow_control``): a failure after connecting is raised as
  ``SdkProviderFault``, an ``openai.APIConnectionError`` the SDK propagates without retrying.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx2

from conformance.config import Target
from conformance.flow_control import is_billable
from conformance.http_limits import (
    JSON_BODY_CAP,
    MAX_RESPONSE_HEADERS,
    BoundedDecoder,
    Overrun,
    deadline_scope,
    deadline_transport2,
    media_deadline_s,
    target_media_cap,
)
from conformance.redact import CREDENTIAL_HEADERS, redact_text

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import openai


class SdkRunDeadline(openai.APIConnectionError):
    """The run's deadline has passed: the SDK's request was not sent (the SDK does not retry
    an ``OpenAIError``). The counterpart of ``client.RunDeadlineExceeded``."""

    def __init__(self, request: httpx2.Request) -> None:
        super().__init__(message="not sent: the run deadline has passed", request=request)


class SdkProviderFault(openai.APIConnectionError):
    """The provider answered the SDK, but not with usable HTTP (over a cap, past the total
    deadline, cut off after a billable create was sent). An ``APIConnectionError`` so that the
    SDK raises it as it is, without retrying; ``sdk.is_network_error`` is false for it."""

    def __init__(self, message: str, request: httpx2.Request) -> None:
        super().__init__(message=redact_text(message), request=request)


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _deadline_transport() -> httpx2.HTTPTransport:
    return deadline_transport2()


class GuardedTransport(httpx2.BaseTransport):
    """Wraps ``inner`` (default: httpx2's transport on a deadline-bound network backend)."""

    def __init__(
        self,
        target: Target,
        inner: httpx2.BaseTransport | None = None,
        run_ends_at: float | None = None,
    ) -> None:
        self._run_ends_at = run_ends_at
        self._origin = _origin(target.base_url)
        self._key = target.api_key
        self._timeout = target.request_timeout_s
        self._media_cap = target_media_cap(
            (*target.sizes, *target.extension_sizes), (*target.seconds, *target.extension_seconds)
        )
        self._inner = inner or _deadline_transport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send one hop within its deadline; the body is bounded as the SDK reads it."""
        if _origin(str(request.url)) != self._origin:
            for name in [n for n, v in request.headers.items() if self._is_credential(n, v)]:
                del request.headers[name]
        billable = is_billable(request.method, request.url.path)
        started = time.monotonic()
        if self._run_ends_at is not None and started >= self._run_ends_at:
            raise SdkRunDeadline(request)
        cap = self._media_cap if request.url.path.endswith("/content") else JSON_BODY_CAP
        timeout = media_deadline_s(self._timeout, cap) if cap > JSON_BODY_CAP else self._timeout
        deadline = started + timeout
        if self._run_ends_at is not None:
            deadline = min(deadline, self._run_ends_at)
        what = f"{request.method} {request.url}"
        try:
            with deadline_scope(deadline):
                response = self._inner.handle_request(request)
        except (httpx2.ConnectError, httpx2.ConnectTimeout):
            raise  # nothing was sent: the SDK may retry, even a create
        except httpx2.TransportError as exc:
            if time.monotonic() >= deadline - 0.05:
                raise SdkProviderFault(
                    f"{what}: no complete response within {timeout:g} s", request
                ) from exc
            if billable:
                raise SdkProviderFault(f"{what}: {type(exc).__name__}: {exc}", request) from exc
            raise
        if len(response.headers.raw) > MAX_RESPONSE_HEADERS:
            response.close()
            raise SdkProviderFault(
                f"{what}: {len(response.headers.raw)} header lines (limit {MAX_RESPONSE_HEADERS})",
                request,
            )
        encoding = response.headers.get("content-encoding", "")
        try:
            decoder = BoundedDecoder(encoding, cap)
        except ValueError as exc:
            response.close()
            raise SdkProviderFault(f"{what}: {exc}", request) from None
        headers = [
            (k, v)
            for k, v in response.headers.raw
            if not (
                encoding and k.lower() in (b"content-encoding", b"content-length")
            )  # the body is handed over decoded, so these no longer describe it
        ]
        stream = _BoundedStream(response.stream, decoder, deadline, request, what, timeout)
        return httpx2.Response(
            response.status_code, headers=headers, stream=stream, extensions=response.extensions
        )

    def _is_credential(self, name: str, value: str) -> bool:
        return name.lower() in CREDENTIAL_HEADERS or bool(self._key and self._key in value)

    def close(self) -> None:
        self._inner.close()


class _BoundedStream(httpx2.SyncByteStream):
    """The body of one response, decoded and bounded while the SDK reads it."""

    def __init__(
        self,
        inner: Any,
        decoder: BoundedDecoder,
        deadline: float,
        request: httpx2.Request,
        what: str,
        timeout: float,
    ) -> None:
        self._inner = inner
        self._decoder = decoder
        self._deadline = deadline
        self._request = request
        self._what = what
        self._timeout = timeout

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        try:
            while True:
                # The scope covers each read only, never a suspended ``yield``.
                with deadline_scope(self._deadline):
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                if time.monotonic() > self._deadline:
                    raise Overrun("past the deadline")
                data = self._decoder.feed(chunk)
                if data:
                    yield data
            tail = self._decoder.flush()
            if tail:
                yield tail
        except Overrun as exc:
            late = time.monotonic() >= self._deadline - 0.05
            reason = f"no complete response within {self._timeout:g} s" if late else str(exc)
            raise SdkProviderFault(f"{self._what}: {reason}", self._request) from None
        except httpx2.TimeoutException:
            raise SdkProviderFault(
                f"{self._what}: no complete response within {self._timeout:g} s", self._request
            ) from None

    def close(self) -> None:
        self._inner.close()

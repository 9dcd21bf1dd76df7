"""The HTTP client every check and the job pool use.

One job: send a request the way the target wants it (auth style, JSON or multipart body,
timeouts), follow redirects safely, and keep a redacted transcript.

- Redirects are followed by hand: a same-origin hop keeps the credentials, a cross-origin hop
  drops ``Authorization`` and ``x-api-key`` (what the SDK's default client does), and every hop
  is recorded so a check can tell "served" from "redirected".
- Every exchange becomes a redacted ``report.model.Exchange``; ``capture()`` collects the
  exchanges of the current thread so they can be attached to a ``CheckResult`` as evidence.
- Every error response (status >= 400) is also kept in ``error_responses`` for the envelope check.
- A network failure raises ``TransportFailure`` (a ``HarnessError``): the harness or the network
  broke, which is never the vendor's conformance failure.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urljoin, urlsplit

import httpx

from conformance import __version__
from conformance.config import Target
from conformance.errors import HarnessError
from conformance.live import events
from conformance.redact import redact_headers, redact_text
from conformance.report.model import Exchange

AuthMode = Literal["default", "none", "wrong", "bearer", "x-api-key"]
"""``default``: the target's style; ``none``: no credentials; ``wrong``: the target's style
with an invalid key; ``bearer`` / ``x-api-key``: only that header with the real key."""

BODY_LIMIT = 4000
"""Characters of a text body kept in the transcript."""
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
WRONG_KEY = "vc-wrong-key-0000000000000000"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_warned_plain_http: set[str] = set()
_warn_lock = threading.Lock()


class TransportFailure(Exception):
    """No usable HTTP response arrived. Never raised itself: one of the three kinds below says
    whose failure it is, and so what a check that meets it reports."""

    kind = "transport"


class ProviderFault(TransportFailure):
    """The provider answered, but not with usable HTTP: malformed or truncated responses, a
    reset after connecting, a body or header over its cap, a decompression bomb, a request that
    ran past its total deadline, an unsafe redirect. The provider's failure: a check that meets
    it fails with this as its evidence (exit 1), and a job that meets it is ``broken``."""

    kind = "provider"


class Throttled(TransportFailure):
    """The provider kept answering 429/503 (flow control) until the run's deadline for the
    request ran out. Not a finding about the contract: the check ends ``error`` ("throttled")."""

    kind = "throttled"


class Unreachable(TransportFailure, HarnessError):
    """Nothing answered at all (connection refused, DNS failure, connect timeout): the harness
    cannot judge; on the first request the run reports "unreachable" (exit 3)."""

    kind = "unreachable"


@dataclass(frozen=True)
class RedirectHop:
    """One redirect the client followed."""

    status: int
    from_url: str
    to_url: str
    cross_origin: bool
    credentials_dropped: bool


@dataclass
class Response:
    """The final response of one request, after any redirects."""

    method: str
    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    exchange: Exchange
    exchanges: list[Exchange] = field(default_factory=list)
    """Every hop, the final one last."""
    redirects: list[RedirectHop] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ('' when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The parsed JSON body, or ``None`` when the body is not JSON."""
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class ErrorSeen:
    """An error response seen during the run, for the envelope check."""

    route: str
    status: int
    body: Any
    exchange: Exchange


def summarise_body(content: bytes, content_type: str) -> str | None:
    """A transcript-safe rendering: text truncated, binary as ``<N bytes type>``."""
    if not content:
        return None
    ctype = content_type.split(";", 1)[0].strip().lower()
    textual = (
        ctype.startswith("text/")
        or ctype.endswith("json")
        or ctype.endswith("+json")
        or ctype in ("application/x-www-form-urlencoded", "")
    )
    if textual:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            textual = False
        else:
            if len(text) > BODY_LIMIT:
                text = text[:BODY_LIMIT] + f"... <{len(content)} bytes in all>"
            return redact_text(text)
    return f"<{len(content)} bytes {ctype or 'unknown type'}>"


def video_path(video_id: str, suffix: str = "") -> str:
    """``/videos/{id}{suffix}`` with the id percent-encoded (every reserved character)."""
    return f"/videos/{quote(video_id, safe='')}{suffix}"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


class Client:
    """Sends requests to one target. Thread-safe: the job pool uses it from many threads."""

    def __init__(self, target: Target, *, transport: httpx.BaseTransport | None = None) -> None:
        self.target = target
        self._http = httpx.Client(
            timeout=httpx.Timeout(target.request_timeout_s, connect=10.0),
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": f"video-conformance/{__version__}"},
        )
        self._local = threading.local()
        self._lock = threading.Lock()
        self.error_responses: list[ErrorSeen] = []
        self.request_count = 0
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
    ) -> Response:
        """Send one request (``path`` relative to the base URL) and return the final response.

        ``form`` (with optional ``files``) is sent as multipart/form-data even without a file,
        as openai-python 2.27+ does; ``json_body`` as application/json.
        """
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
        for _ in range(MAX_REDIRECTS + 1):
            response, exchange = self._send_once(
                current_method, url, send_headers, content, multipart, params, timeout
            )
            exchanges.append(exchange)
            location = response.headers.get("location")
            if not (follow_redirects and response.status_code in REDIRECT_STATUSES and location):
                break
            next_url = urljoin(str(response.url), location)
            cross = _origin(next_url) != _origin(url)
            dropped = False
            if cross:
                for name in [
                    h for h in send_headers if h.lower() in ("authorization", "x-api-key")
                ]:
                    del send_headers[name]
                    dropped = True
            hops.append(RedirectHop(response.status_code, url, next_url, cross, dropped))
            if response.status_code == 303 or (
                response.status_code in (301, 302) and current_method == "POST"
            ):
                current_method, content, multipart = "GET", None, None
                send_headers.pop("Content-Type", None)
            url, params = next_url, None
        result = Response(
            method=current_method,
            url=str(response.url),
            status=response.status_code,
            headers=response.headers,
            content=response.content,
            exchange=exchanges[-1],
            exchanges=exchanges,
            redirects=hops,
        )
        if result.status >= 400:
            with self._lock:
                self.error_responses.append(
                    ErrorSeen(
                        route or f"{method} {path}", result.status, result.json(), exchanges[-1]
                    )
                )
        return result

    def _send_once(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        content: bytes | None,
        multipart: dict[str, Any] | None,
        params: Mapping[str, str | int] | None,
        timeout: float | None,
    ) -> tuple[httpx.Response, Exchange]:
        request = self._http.build_request(
            method,
            url,
            headers=headers,
            content=content,
            files=multipart,
            params=params,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        request_body = self._describe_request_body(content, multipart)
        started = time.monotonic()
        with self._lock:
            self.request_count += 1
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            exchange = Exchange(
                method=method,
                url=redact_text(str(request.url)),
                request_headers=redact_headers(dict(request.headers)),
                request_body=request_body,
                elapsed_ms=round((time.monotonic() - started) * 1000, 1),
                error=redact_text(f"{type(exc).__name__}: {exc}"),
            )
            self._record(exchange)
            raise Unreachable(
                f"{method} {redact_text(str(request.url))}: {type(exc).__name__}: "
                f"{redact_text(str(exc)) or 'no response'}"
            ) from None
        exchange = Exchange(
            method=method,
            url=redact_text(str(request.url)),
            request_headers=redact_headers(dict(request.headers)),
            request_body=request_body,
            status=response.status_code,
            response_headers=redact_headers(dict(response.headers)),
            response_body=summarise_body(
                response.content, response.headers.get("content-type", "")
            ),
            elapsed_ms=round((time.monotonic() - started) * 1000, 1),
        )
        self._record(exchange)
        return response, exchange

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
    ) -> Response:
        """GET /videos/{id}/content, with the SDK's ``Accept: application/binary``."""
        return self.request(
            "GET",
            video_path(video_id, "/content"),
            route="content",
            params={"variant": variant} if variant else None,
            headers={"Accept": "application/binary"},
            auth=auth,
            follow_redirects=follow_redirects,
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

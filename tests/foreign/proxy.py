"""A thin rewriting proxy in front of any video API base URL, plus a second "CDN" origin.

Each rewrite is a legal variation of the contract that real gateways show: extra keys in
objects, added or dropped headers, chunked transfer of the media, ``/content`` answered with a
302 to a signed URL on another origin, and flow control (429 / 503 with ``Retry-After``).
A correct checker must judge the provider behind it exactly as it judges it directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.foreign.asgi_provider import Receive, Scope, Send
from tests.foreign.serve import serve_asgi

HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "te", "upgrade"}
)
CHUNK = 16 * 1024


@dataclass(frozen=True)
class ProxyOptions:
    """The rewrites, each off by default."""

    extra_keys: bool = False
    """Add keys the contract does not name to every JSON object answered with 200."""
    extra_headers: bool = False
    """Add vendor headers (request id, rate-limit counters) to every response."""
    drop_poll_after: bool = False
    """Remove ``openai-poll-after-ms`` (the header is optional)."""
    chunked_content: bool = False
    """Send ``/content`` bodies with chunked transfer encoding and no Content-Length."""
    redirect_content: bool = False
    """Answer a successful ``/content`` with 302 to a signed URL on a second origin."""
    throttle_every: int = 0
    """Answer every N-th request with 429 and ``Retry-After`` (0: never)."""
    unavailable_once: str = ""
    """``METHOD /path-suffix`` whose first request is answered 503 with ``Retry-After``."""
    retry_after_s: int = 1


def _envelope(message: str, type_: str, code: str) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": type_, "param": None, "code": code}}
    ).encode()


class Cdn:
    """The second origin: serves stored blobs at signed URLs, needs no (and takes no) key."""

    def __init__(self) -> None:
        self.secret = secrets.token_bytes(16)
        self.blobs: dict[str, tuple[str, bytes]] = {}
        self.origin = ""
        self.requests: list[dict[str, str]] = []

    def sign(self, token: str, expires: int) -> str:
        return hmac.new(self.secret, f"{token}:{expires}".encode(), hashlib.sha256).hexdigest()

    def store(self, content_type: str, data: bytes) -> str:
        """Keep ``data`` and return its signed URL, valid for ten minutes."""
        token = secrets.token_urlsafe(12)
        self.blobs[token] = (content_type, data)
        expires = int(time.time()) + 600
        return f"{self.origin}/blob/{token}?expires={expires}&sig={self.sign(token, expires)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(headers)
        query = parse_qs(scope.get("query_string", b"").decode())
        token = scope["path"].rsplit("/", 1)[-1]
        expires = query.get("expires", ["0"])[-1]
        sig = query.get("sig", [""])[-1]
        status, ctype, body = 403, "application/xml", b"<Error><Code>AccessDenied</Code></Error>"
        if "authorization" in headers:
            # Like a presigned object-store URL: a second credential is refused.
            status, body = 400, b"<Error><Code>InvalidArgument</Code></Error>"
        elif (
            token in self.blobs
            and expires.isdigit()
            and int(expires) >= time.time()
            and hmac.compare_digest(sig, self.sign(token, int(expires)))
        ):
            status, (ctype, body) = 200, self.blobs[token]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", ctype.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class Proxy:
    """ASGI app forwarding ``/v1/...`` to ``upstream`` (a base URL ending in ``/v1``)."""

    def __init__(self, upstream: str, options: ProxyOptions, cdn: Cdn | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.options = options
        self.cdn = cdn
        self.count = 0
        self.throttled = 0
        self.unavailable_sent = False
        self._lock = threading.Lock()

    def _flow_control(self, method: str, path: str) -> tuple[int, bytes] | None:
        with self._lock:
            self.count += 1
            every = self.options.throttle_every
            if every and self.count % every == 0:
                self.throttled += 1
                return 429, _envelope("rate limit reached", "rate_limit_error", "rate_limited")
            target = self.options.unavailable_once
            if target and not self.unavailable_sent:
                want_method, _, want_suffix = target.partition(" ")
                if method == want_method and path.endswith(want_suffix):
                    self.unavailable_sent = True
                    return 503, _envelope("engine overloaded", "server_error", "overloaded")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        refused = self._flow_control(method, path)
        if refused is not None:
            status, payload = refused
            headers = [
                (b"content-type", b"application/json"),
                (b"retry-after", str(self.options.retry_after_s).encode()),
            ]
            await self._answer(send, status, headers, payload)
            return
        forward = [
            (k.decode(), v.decode()) for k, v in scope["headers"] if k.decode() not in HOP_HEADERS
        ]
        # The upstream path keeps whatever prefix follows the proxy's own /v1.
        suffix = path[len("/v1") :] if path.startswith("/v1") else path
        url = self.upstream + suffix
        query = scope.get("query_string", b"").decode()
        if query:
            url += "?" + query
        async with httpx.AsyncClient(timeout=60.0) as client:
            upstream = await client.request(method, url, headers=forward, content=body)
        await self._relay(send, path, upstream)

    async def _relay(self, send: Send, path: str, upstream: httpx.Response) -> None:
        is_content = path.endswith("/content")
        headers = [
            (k.encode(), v.encode())
            for k, v in upstream.headers.items()
            if k.lower() not in HOP_HEADERS
            and not (self.options.drop_poll_after and k.lower() == "openai-poll-after-ms")
        ]
        if self.options.extra_headers:
            headers += [
                (b"x-request-id", f"req_{secrets.token_hex(8)}".encode()),
                (b"x-ratelimit-remaining-requests", b"42"),
                (b"server", b"foreign-gateway/1.0"),
            ]
        body = upstream.content
        if is_content and upstream.status_code == 200 and self.options.redirect_content:
            assert self.cdn is not None
            ctype = upstream.headers.get("content-type", "application/octet-stream")
            location = self.cdn.store(ctype, body)
            await self._answer(
                send,
                302,
                [(b"location", location.encode()), (b"content-type", b"text/plain")],
                b"Found",
            )
            return
        ctype = upstream.headers.get("content-type", "")
        if self.options.extra_keys and upstream.is_success and ctype.startswith("application/json"):
            body = json.dumps(_with_extra_keys(json.loads(body))).encode()
        if is_content and upstream.status_code == 200 and self.options.chunked_content:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            for start in range(0, len(body), CHUNK):
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[start : start + CHUNK],
                        "more_body": True,
                    }
                )
            await send({"type": "http.response.body", "body": b""})
            return
        await self._answer(send, upstream.status_code, headers, body)

    @staticmethod
    async def _answer(
        send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _with_extra_keys(value: Any) -> Any:
    """Vendor keys on the object and on each item of a list page (objects are open)."""
    if isinstance(value, dict):
        out = dict(value)
        if isinstance(out.get("data"), list):
            out["data"] = [_with_extra_keys(item) for item in out["data"]]
        out["x_gateway"] = {"region": "eu-west", "cached": False}
        return out
    return value


@contextlib.contextmanager
def proxied(upstream: str, options: ProxyOptions) -> Iterator[tuple[str, Proxy]]:
    """Serve a ``Proxy`` to ``upstream`` (and its CDN when redirecting); yields its ``/v1`` URL."""
    with contextlib.ExitStack() as stack:
        cdn = None
        if options.redirect_content:
            cdn = Cdn()
            cdn.origin = stack.enter_context(serve_asgi(cdn))
        proxy = Proxy(upstream, options, cdn)
        origin = stack.enter_context(serve_asgi(proxy))
        yield f"{origin}/v1", proxy

"""Bounds on what a provider can make the checker hold or wait for.

One job: the limits themselves and the small machines that enforce them while bytes arrive —
a total deadline per request that a server trickling one byte a second cannot stretch, a
decoder that stops inflating past a cap, and a JSON parser that refuses absurd nesting.
Used by ``client.Client`` and by the SDK oracle's transport (``sdk.sdk_client``).
"""

from __future__ import annotations

import functools
import io
import json
import re
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import Any

import httpcore

MiB = 1024 * 1024

JSON_BODY_CAP = 8 * MiB
"""Most bytes (after decoding) of any non-media body. The largest legitimate answer, a full
list page of 100 videos, is a few hundred KiB."""
MEDIA_BODY_CAP = 128 * MiB
"""Most bytes of a ``/content`` body. A 20 s 1792x1024 clip at a generous 25 Mbit/s is ~60 MiB;
twice that still keeps the checker (which holds the body, and briefly a joined copy) far below
500 MB of memory whatever the provider sends."""
MEDIA_MIN_RATE = 1 * MiB
"""Slowest download (bytes per second) a media body is given time for on top of the request
timeout: a legitimate 100 MB video over a slow link must not read as a hung provider."""
MAX_RESPONSE_HEADERS = 256
"""Most header lines in one response (h11 already caps their total size at 64 KiB)."""
MAX_JSON_DEPTH = 64
"""Deepest JSON nesting accepted from a provider; the contract's deepest object is 4 levels."""


class Overrun(Exception):
    """A response broke a bound (size, decompressed size, deadline); the message says which."""


# --- total deadline per request ----------------------------------------------------------------
#
# httpx has only per-operation timeouts: its read timeout restarts with every byte, so a server
# sending one byte a second holds a request forever. The deadline of the request in progress is
# kept per thread (a Client sends each request in the caller's thread) and every socket
# operation of the network backend gets at most what is left of it.

_deadline = threading.local()


def current_deadline() -> float | None:
    """The ``time.monotonic()`` by which this thread's request must be complete, if any."""
    value: float | None = getattr(_deadline, "at", None)
    return value


class deadline_scope:
    """``with deadline_scope(at):`` bounds every socket operation of this thread until ``at``."""

    def __init__(self, at: float) -> None:
        self._at = at
        self._saved: float | None = None

    def __enter__(self) -> None:
        self._saved = current_deadline()
        _deadline.at = self._at

    def __exit__(self, *exc: object) -> None:
        _deadline.at = self._saved


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    at = current_deadline()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("total deadline of the request exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A network stream whose every operation gets at most what is left of the deadline."""

    def __init__(self, stream: Any, core: Any) -> None:
        self._stream = stream
        self._core = core

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._stream.read(max_bytes, _bounded(timeout, self._core.ReadTimeout))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, self._core.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _DeadlineStream:
        inner = self._stream.start_tls(
            ssl_context, server_hostname, _bounded(timeout, self._core.ConnectTimeout)
        )
        return _DeadlineStream(inner, self._core)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend:
    """The sync network backend of ``core`` (``httpcore``, or ``httpcore2`` under the SDK's
    httpx2) with every operation bounded by ``deadline_scope``."""

    def __init__(self, core: Any = httpcore) -> None:
        self._core = core
        self._backend = core.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> _DeadlineStream:
        stream = self._backend.connect_tcp(
            host, port, _bounded(timeout, self._core.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self._core)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> _DeadlineStream:
        stream = self._backend.connect_unix_socket(
            path, _bounded(timeout, self._core.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream, self._core)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def deadline_transport2() -> Any:
    """httpx2's transport (openai-python's HTTP stack) with the deadline-bound network backend.

    Here rather than in ``sdk_transport``, which imports openai-python (most of a second): a
    run builds this transport at start-up, before its first job, and needs the SDK only later.
    """
    import httpcore2
    import httpx2

    context = shared_ssl_context()
    transport = httpx2.HTTPTransport(verify=context)
    transport._pool = deadline_pool(httpcore2, context)
    return transport


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context (certifi's roots) for every transport of the process.

    Building one reads the whole CA bundle (tens of milliseconds); httpx and httpx2 would each
    build two per transport (one for the pool they make, one for the pool we put in its place).
    A context is safe to share between threads and connection pools.
    """
    import httpx

    return httpx.create_ssl_context()


def deadline_pool(core: Any, ssl_context: Any, **limits: Any) -> Any:
    """A ``core.ConnectionPool`` on a ``DeadlineBackend``; httpx and httpx2 offer no way to
    choose the backend, so their transports get this as ``_pool``."""
    return core.ConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.get("max_connections", 100),
        max_keepalive_connections=limits.get("max_keepalive_connections", 20),
        keepalive_expiry=limits.get("keepalive_expiry", 5.0),
        network_backend=DeadlineBackend(core),
    )


# --- bounded decoding ----------------------------------------------------------------------------


class BoundedDecoder:
    """Undoes ``Content-Encoding`` (identity, gzip, deflate, in any chain) while counting bytes.

    Raises ``Overrun`` as soon as the decoded body would pass ``cap``: zlib is asked for at most
    the bytes still allowed, so a 10 MB gzip bomb never inflates past the cap in memory.
    Other encodings (br, zstd) were not offered in ``Accept-Encoding``; meeting one is
    ``ValueError``.
    """

    def __init__(self, content_encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        names = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        self._stages: list[Any] = []
        # Encodings are listed in the order applied; undo them last first.
        for name in reversed(names):
            if name in ("identity", ""):
                continue
            if name in ("gzip", "x-gzip"):
                self._stages.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif name == "deflate":
                self._stages.append(_Deflate())
            else:
                raise ValueError(f"content-encoding {name!r} that was not offered")

    def feed(self, data: bytes) -> bytes:
        """Decode one chunk of wire bytes."""
        for stage in self._stages:
            data = self._inflate(stage, data)
        return self._count(data)

    def flush(self) -> bytes:
        """What the decoders still hold at the end of the body."""
        out = b""
        for stage in self._stages:
            out = self._inflate(stage, out) + stage.flush()
        return self._count(out)

    def _inflate(self, stage: Any, data: bytes) -> bytes:
        parts: list[bytes] = []
        allowed = self.cap - self.size + 1
        while data:
            chunk = stage.decompress(data, allowed)
            parts.append(chunk)
            allowed -= len(chunk)
            if allowed <= 0:
                raise Overrun(f"decompressed body over {self.cap} bytes")
            data = stage.unconsumed_tail
        return b"".join(parts)

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.cap:
            raise Overrun(f"body over {self.cap} bytes")
        return data


class _Deflate:
    """``deflate`` as sent in the wild: zlib-wrapped as RFC 9110 says, or raw."""

    def __init__(self) -> None:
        self._obj = zlib.decompressobj()
        self._first = True

    @property
    def unconsumed_tail(self) -> bytes:
        return self._obj.unconsumed_tail

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._first:
            self._first = False
            try:
                return self._obj.decompress(data, max_length)
            except zlib.error:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._obj.decompress(data, max_length)

    def flush(self) -> bytes:
        return self._obj.flush()


MEDIA_READS_AT_ONCE = 2
"""Media bodies (over ``JSON_BODY_CAP``) read at the same time, process-wide: with the cap per
body this bounds what concurrent downloads can hold at once (2 x 128 MiB)."""
media_slots = threading.BoundedSemaphore(MEDIA_READS_AT_ONCE)


def media_deadline_s(request_timeout_s: float, cap: int) -> float:
    """Total deadline of a media request: the request timeout plus the time the largest
    allowed body takes at ``MEDIA_MIN_RATE``."""
    return request_timeout_s + cap / MEDIA_MIN_RATE


def media_cap(seconds: str | int | float, size: str) -> int:
    """A cap for the ``/content`` body of a job of ``seconds`` at ``size`` (``WxH``):
    2 bytes per pixel per second of video — about 20x what H.264 needs for good quality at
    30 fps — never under 32 MiB (images, short clips) nor over ``MEDIA_BODY_CAP``."""
    try:
        width, height = (int(n) for n in size.lower().split("x", 1))
        estimate = int(float(seconds) * width * height * 2)
    except (ValueError, TypeError):
        return MEDIA_BODY_CAP
    return max(32 * MiB, min(MEDIA_BODY_CAP, estimate))


def target_media_cap(sizes: Iterable[str], seconds: Iterable[str]) -> int:
    """The largest ``media_cap`` of any size and duration a target's jobs may ask for (its own
    and its declared extensions): the cap of every ``/content`` body of the run."""
    caps = [media_cap(s, z) for s in seconds for z in sizes]
    return max(caps) if caps else MEDIA_BODY_CAP


def read_bounded(chunks: Iterator[bytes], decoder: BoundedDecoder, deadline: float) -> bytes:
    """Join the decoded ``chunks`` of a body; ``Overrun`` past the cap or the deadline.

    Collected in a ``BytesIO``, whose ``getvalue()`` hands its buffer over without a copy, so a
    body costs its size once, not twice as a list of chunks and their join would.
    """
    buffer = io.BytesIO()
    try:
        for chunk in chunks:
            buffer.write(decoder.feed(chunk))
            if time.monotonic() > deadline:
                raise Overrun("total deadline of the request exceeded while the body arrived")
        buffer.write(decoder.flush())
        return buffer.getvalue()
    except BaseException:
        buffer.close()  # frees the partial body now, not when the traceback goes
        raise


# --- JSON ----------------------------------------------------------------------------------------

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = [0] * 256
for _b in b"[{":
    _DELTA[_b] = 1
for _b in b"]}":
    _DELTA[_b] = -1


def json_depth(content: bytes) -> int:
    """The deepest nesting of ``content`` read as JSON (strings ignored), in C-speed steps."""
    brackets = _STRING.sub(b'""', content).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    return max(accumulate(map(_DELTA.__getitem__, brackets)))


def parse_json(content: bytes | str) -> tuple[Any, str | None]:
    """``(value, None)`` for JSON, ``(None, why)`` otherwise — never raises.

    Nesting deeper than ``MAX_JSON_DEPTH`` is refused before parsing: it would exhaust the
    parser's (or a later validator's) recursion.
    """
    raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    if not raw.strip():
        return None, "empty body"
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        return None, f"JSON nested {depth} levels deep (limit {MAX_JSON_DEPTH})"
    try:
        return json.loads(raw), None
    except RecursionError:
        return None, "JSON nested too deep to parse"
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"not JSON: {str(exc)[:120]}"

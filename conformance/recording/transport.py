"""Recording transports: wrap the real transport of our client (``httpx``) and log every
exchange into a ``HarRecorder`` (openai-python's, over ``httpx2``, are in ``sdk_transports``).

The response body is teed as the client reads it (never read ahead, so the client's own
streaming, caps and deadlines behave as without recording); the HAR keeps at most the
recorder's cap of it, decoded (``content-encoding`` undone), as HAR viewers expect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx

from conformance.recording.har import Entry, HarRecorder
from conformance.recording.keys import ClientKind


def _http_version(response: Any) -> str:
    raw = response.extensions.get("http_version", b"HTTP/1.1")
    return raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)


def _reason(response: Any) -> str:
    raw = response.extensions.get("reason_phrase", b"")
    return raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw or "")


def decode_body(
    lib: Any, raw: bytes, headers: Any, cap: int = 16 * 1024 * 1024
) -> tuple[bytes, str]:
    """``raw`` with its ``content-encoding`` undone (at most ``cap`` bytes: a decompression
    bomb is kept as it came), and a note when that was not possible."""
    from conformance.http_limits import BoundedDecoder, Overrun

    encoding = headers.get("content-encoding", "")
    if not encoding or encoding.lower() == "identity":
        return raw, ""
    try:
        decoder = BoundedDecoder(encoding, cap)
        return decoder.feed(raw) + decoder.flush(), ""
    except Overrun:
        return raw, f"content-encoding {encoding} not undone (inflates past {cap} bytes); raw bytes"
    except Exception as exc:  # a truncated or corrupt encoding: keep the wire bytes
        return raw, f"content-encoding {encoding} not undone ({type(exc).__name__}); raw bytes"


class Tee:
    """Passes the inner stream's chunks through, keeping the first ``cap`` bytes."""

    def __init__(
        self,
        inner: Any,
        cap: int,
        done: Callable[[bytes, int, bool], None],
        take: Callable[[int], int] = lambda wanted: wanted,
    ) -> None:
        self._inner = inner
        self._cap = cap
        self._take = take
        self._done = done
        self._kept: list[bytes] = []
        self._kept_len = 0
        self._size = 0
        self._finished = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._size += len(chunk)
            room = self._take(min(self._cap - self._kept_len, len(chunk)))
            if room > 0:
                piece = chunk[:room]
                self._kept.append(piece)
                self._kept_len += len(piece)
            yield chunk
        self._finish(complete=True)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._finish(complete=False)

    def _finish(self, complete: bool) -> None:
        if not self._finished:
            self._finished = True
            self._done(b"".join(self._kept), self._size, complete)


class _HttpxTee(Tee, httpx.SyncByteStream):
    pass


def record_exchange(
    recorder: HarRecorder,
    client: ClientKind,
    lib: Any,
    tee: type[Tee],
    inner: Any,
    request: Any,
) -> Any:
    request.read()  # multipart bodies are streams; read() keeps them resendable
    entry = recorder.begin(
        client, request.method, str(request.url), request.headers, request.content
    )
    try:
        response = inner.handle_request(request)
    except BaseException as exc:
        recorder.fail(entry, exc)
        raise
    version = _http_version(response)
    recorder.respond(entry, response.status_code, _reason(response), response.headers, version)
    headers = response.headers

    def done(kept: bytes, size: int, complete: bool) -> None:
        _end(recorder, entry, lib, headers, kept, size, complete)

    return lib.Response(
        status_code=response.status_code,
        headers=response.headers,
        stream=tee(response.stream, recorder.cap, done, recorder.take),
        extensions=response.extensions,
    )


def _end(
    recorder: HarRecorder,
    entry: Entry,
    lib: Any,
    headers: Any,
    kept: bytes,
    size: int,
    complete: bool,
) -> None:
    notes = []
    if not complete:
        notes.append("the client stopped reading the body early")
    wire_size = size
    if size > len(kept):
        # A cut body cannot be decoded: keep the wire bytes and say which encoding they are in.
        body = kept
        if headers.get("content-encoding"):
            notes.append(f"content-encoding {headers['content-encoding']} kept (body cut)")
    else:
        body, note = decode_body(lib, kept, headers, recorder.cap)
        size = len(body)
        if note:
            notes.append(note)
    recorder.end(entry, body, size, wire_size, "; ".join(notes))


class RecordingTransport(httpx.BaseTransport):
    """An ``httpx`` transport that logs every exchange of our client into ``recorder``."""

    def __init__(
        self,
        recorder: HarRecorder,
        inner: httpx.BaseTransport | None = None,
        client: ClientKind = "ours",
    ) -> None:
        self.recorder = recorder
        self._inner = inner or httpx.HTTPTransport()
        self._client: ClientKind = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = record_exchange(
            self.recorder, self._client, httpx, _HttpxTee, self._inner, request
        )
        return response

    def close(self) -> None:
        self._inner.close()

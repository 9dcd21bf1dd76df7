"""A hostile HTTP server on loopback: raw asyncio sockets, one misbehaviour per switch.

Built on nothing of ours (no framework, no ``conformance.provider``) so that it breaks HTTP the
way a stranger would. The first path segment picks the behaviour and the rest is the API path:
``http://127.0.0.1:PORT/<behaviour>/v1`` is a base URL whose every answer misbehaves that way
(``url(behaviour)`` builds it). Routes a behaviour does not concern answer like a minimal,
correct provider, so the whole checker can be pointed at it too.

Every request is recorded (``received``: method, path, headers) so a test can prove what did
or did not reach this origin.

Usage::

    with running_hostile() as server, running_hostile() as other:
        server.redirect_target = other.url("ok") + "/videos/v/content"
        base_url = server.url("redirect-other")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

BEHAVIOURS: dict[str, str] = {
    "ok": "a minimal correct provider",
    "trickle": "every answer sent one byte per second, status line included",
    "trickle-body": "headers at once, then the body one byte per second",
    "endless": "/content streams an endless body",
    "huge-json": "a 200 MB JSON body",
    "gzip-bomb": "a gzip body that inflates to 10 GB",
    "deep-json": "JSON nested 100 000 levels deep",
    "reset": "the connection is reset (RST) after the request is read",
    "short-body": "Content-Length 1000, 10 bytes sent, then close",
    "bad-chunking": "chunked transfer with an invalid chunk size",
    "many-headers": "10 000 header lines",
    "empty": "the connection is closed without a byte",
    "http09": "a body without a status line (HTTP/0.9)",
    "tls": "TLS handshake bytes on the plain port",
    "silent": "the request is read and never answered",
    "redirect-other": "/content redirects to another origin (``redirect_target``)",
    "redirect-file": "/content redirects to file:///etc/passwd",
    "redirect-loop": "/content redirects to itself",
    "throttle-after": "429 with Retry-After: 1, always",
    "throttle-bare": "429 without Retry-After, always",
    "throttle-once": "the first request of each path gets 429 Retry-After: 1, then a normal answer",
    "throttle-ms": "the first request of each path gets 429 retry-after-ms: 200, then normal",
    "unavailable": "503 without Retry-After, always",
    "unavailable-once": "the first request of each path gets 503 Retry-After: 1, then normal",
    "echo-key": "401 echoing every request header (credentials included) in body and headers",
}

_VIDEO = {
    "id": "video_hostile1",
    "object": "video",
    "model": "sora-2",
    "status": "completed",
    "progress": 100,
    "created_at": 1700000000,
    "completed_at": 1700000010,
    "expires_at": 1800000000,
    "seconds": "4",
    "size": "720x1280",
    "prompt": "p",
    "remixed_from_video_id": None,
    "error": None,
}


@dataclass
class Received:
    """One request the server read."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class HostileServer:
    """The running server: its port, what it received, and where ``redirect-other`` points."""

    port: int = 0
    redirect_target: str = ""
    received: list[Received] = field(default_factory=list)
    _seen_paths: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, behaviour: str) -> str:
        """The base URL (``.../v1``) whose answers misbehave as ``behaviour`` says."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        return f"http://127.0.0.1:{self.port}/{behaviour}/v1"

    def first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._seen_paths:
                return False
            self._seen_paths.add(key)
            return True

    # --- one connection ----------------------------------------------------------------------
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                keep = await self._answer(request, writer)
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # Shutdown: asyncio's stream callback would log a cancelled handler as an error.
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> Received | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length:
            await reader.readexactly(length)
        received = Received(method, target, headers)
        with self._lock:
            self.received.append(received)
        return received

    async def _answer(self, request: Received, writer: asyncio.StreamWriter) -> bool:
        behaviour, _, rest = request.path.lstrip("/").partition("/")
        path = "/" + rest.split("?", 1)[0]
        is_content = path.endswith("/content")
        handler = getattr(self, "_b_" + behaviour.replace("-", "_"), None)
        if handler is None:
            await _send(writer, 404, b'{"error":{"message":"unknown behaviour"}}')
            return True
        result: bool = await handler(request, path, is_content, writer)
        return result

    # --- the normal provider -----------------------------------------------------------------
    async def _normal(self, request: Received, path: str, writer: asyncio.StreamWriter) -> bool:
        if path.endswith("/content"):
            await _send(writer, 200, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4")
        elif request.method == "POST":
            body = json.dumps({**_VIDEO, "status": "queued", "progress": 0}).encode()
            await _send(writer, 200, body)
        elif path.rstrip("/").endswith("/videos"):
            page = {"object": "list", "data": [_VIDEO], "has_more": False}
            await _send(writer, 200, json.dumps(page).encode())
        elif request.method == "DELETE":
            await _send(
                writer, 200, b'{"id":"video_hostile1","object":"video.deleted","deleted":true}'
            )
        else:
            await _send(writer, 200, json.dumps(_VIDEO).encode())
        return True

    async def _b_ok(self, r: Received, path: str, content: bool, w: asyncio.StreamWriter) -> bool:
        return await self._normal(r, path, w)

    # --- slow ----------------------------------------------------------------------------------
    async def _b_trickle(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        raw = _response_bytes(200, json.dumps(_VIDEO).encode())
        for i in range(len(raw)):
            w.write(raw[i : i + 1])
            await w.drain()
            await asyncio.sleep(1)
        return False

    async def _b_trickle_body(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        body = json.dumps(_VIDEO).encode() * 100
        w.write(_head(200, "application/json", len(body)))
        for i in range(len(body)):
            w.write(body[i : i + 1])
            await w.drain()
            await asyncio.sleep(1)
        return False

    async def _b_silent(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(3600)
        return False

    # --- big -----------------------------------------------------------------------------------
    async def _b_endless(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        if not c:
            return await self._normal(r, p, w)
        w.write(b"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = b"\x00" * 65536
        framed = b"10000\r\n" + chunk + b"\r\n"
        while True:
            w.write(framed)
            await w.drain()

    async def _b_huge_json(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        size = 200 * 1024 * 1024
        w.write(_head(200, "application/json", size))
        w.write(b'{"id":"')
        filler = b"x" * 65536
        sent = 7
        while sent < size - 2:
            piece = filler[: min(len(filler), size - 2 - sent)]
            w.write(piece)
            sent += len(piece)
            await w.drain()
        w.write(b'"}')
        await w.drain()
        return False

    async def _b_gzip_bomb(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        w.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        zeros = b"0" * (1024 * 1024)
        for _ in range(10 * 1024):  # 10 GiB of inflated body
            data = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
            w.write(b"%x\r\n%s\r\n" % (len(data), data))
            await w.drain()
        data = compressor.flush()
        w.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
        await w.drain()
        return False

    async def _b_deep_json(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        await _send(w, 200, b"[" * 100_000 + b"]" * 100_000)
        return True

    async def _b_many_headers(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        lines = b"".join(b"x-h%d: v\r\n" % i for i in range(10_000))
        w.write(b"HTTP/1.1 200 OK\r\n" + lines + b"content-length: 2\r\n\r\n{}")
        await w.drain()
        return False

    # --- broken --------------------------------------------------------------------------------
    async def _b_reset(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        sock = w.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        w.transport.abort()
        return False

    async def _b_short_body(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        w.write(_head(200, "application/json", 1000) + b'{"id":"vid')
        await w.drain()
        return False

    async def _b_bad_chunking(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        w.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
        )
        await w.drain()
        return False

    async def _b_empty(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        return False

    async def _b_http09(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        w.write(b"<html>hello from 1991</html>\n")
        await w.drain()
        return False

    async def _b_tls(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        # A TLS alert record (handshake failure), what a TLS-only port sends to plain HTTP.
        w.write(b"\x15\x03\x01\x00\x02\x02\x28" + b"\x16\x03\x03\x00\x31\x02\x00\x00\x2d")
        await w.drain()
        return False

    # --- redirects -----------------------------------------------------------------------------
    async def _b_redirect_other(
        self, r: Received, p: str, c: bool, w: asyncio.StreamWriter
    ) -> bool:
        if not c:
            return await self._normal(r, p, w)
        await _send(w, 302, b"", extra={"location": self.redirect_target})
        return True

    async def _b_redirect_file(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        if not c:
            return await self._normal(r, p, w)
        await _send(w, 302, b"", extra={"location": "file:///etc/passwd"})
        return True

    async def _b_redirect_loop(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        if not c:
            return await self._normal(r, p, w)
        await _send(w, 302, b"", extra={"location": r.path})
        return True

    # --- flow control --------------------------------------------------------------------------
    async def _throttle(self, w: asyncio.StreamWriter, status: int, extra: dict[str, str]) -> bool:
        body = (
            b'{"error":{"message":"slow down","type":"rate_limit_error","code":null,"param":null}}'
        )
        await _send(w, status, body, extra=extra)
        return True

    async def _b_throttle_after(
        self, r: Received, p: str, c: bool, w: asyncio.StreamWriter
    ) -> bool:
        return await self._throttle(w, 429, {"retry-after": "1"})

    async def _b_throttle_bare(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        return await self._throttle(w, 429, {})

    async def _b_throttle_once(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        if self.first_time(f"429 {r.method} {r.path}"):
            return await self._throttle(w, 429, {"retry-after": "1"})
        return await self._normal(r, p, w)

    async def _b_throttle_ms(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        if self.first_time(f"429ms {r.method} {r.path}"):
            return await self._throttle(w, 429, {"retry-after-ms": "200"})
        return await self._normal(r, p, w)

    async def _b_unavailable(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        return await self._throttle(w, 503, {})

    async def _b_unavailable_once(
        self, r: Received, p: str, c: bool, w: asyncio.StreamWriter
    ) -> bool:
        if self.first_time(f"503 {r.method} {r.path}"):
            return await self._throttle(w, 503, {"retry-after": "1"})
        return await self._normal(r, p, w)

    # --- leaks ---------------------------------------------------------------------------------
    async def _b_echo_key(self, r: Received, p: str, c: bool, w: asyncio.StreamWriter) -> bool:
        body = json.dumps(
            {"error": {"message": f"bad credentials: {r.headers}", "type": "auth", "code": None}}
        ).encode()
        echoed = {
            "x-echo-authorization": r.headers.get("authorization", ""),
            "x-echo-key": r.headers.get("x-api-key", ""),
        }
        await _send(w, 401, body, extra=echoed)
        return True


def _head(status: int, ctype: str, length: int, extra: dict[str, str] | None = None) -> bytes:
    reason = {200: "OK", 302: "Found", 401: "Unauthorized", 404: "Not Found"}.get(status, "X")
    lines = [f"HTTP/1.1 {status} {reason}", f"content-type: {ctype}", f"content-length: {length}"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _response_bytes(
    status: int, body: bytes, ctype: str = "application/json", extra: dict[str, str] | None = None
) -> bytes:
    return _head(status, ctype, len(body), extra) + body


async def _send(
    w: asyncio.StreamWriter,
    status: int,
    body: bytes,
    ctype: str = "application/json",
    extra: dict[str, str] | None = None,
) -> None:
    w.write(_response_bytes(status, body, ctype, extra))
    await w.drain()


@contextlib.contextmanager
def running_hostile() -> Iterator[HostileServer]:
    """Start a ``HostileServer`` on a free loopback port in a background thread; stop on exit."""
    server = HostileServer()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncio.base_events.Server] = {}

    async def start() -> None:
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0, limit=1 << 20)
        server.port = srv.sockets[0].getsockname()[1]
        holder["srv"] = srv
        started.set()

    def run() -> None:
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, name="hostile-server", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("hostile server did not start")
    try:
        yield server
    finally:

        async def stop() -> None:
            holder["srv"].close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def main() -> None:
    """``python -m tests.hostile.server``: run until Ctrl-C and print the base URLs."""
    with running_hostile() as server:
        for name, what in BEHAVIOURS.items():
            print(f"{server.url(name)}  {what}")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()

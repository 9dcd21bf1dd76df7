"""The run's exchange log as HAR 1.2 (``transcript.har``): thread-safe, redacted, bounded.

Every request a run sends (ours, openai-python's, openai-node's, the property phase's) becomes
one HAR entry with its full bodies, binary ones base64-encoded (``"encoding": "base64"``), so
that a later ``rejudge`` can answer the same requests offline (the property phase's excepted);
a body over ``BODY_CAP`` keeps its first ``BODY_CAP`` bytes and says so in a ``comment``.
Credential headers and the run's key never reach the file.

Each entry carries a ``_vc`` object (HAR allows ``_``-prefixed fields) with what a replay needs:
``client`` (``ours``, ``sdk``, ``fuzz``, or ``node``: openai-node through the run's loopback
proxy), ``route`` (method and normalised path, for readers), ``key`` (see
``keys.request_key``), ``seq`` (the entry's place among requests with that key), ``order`` (its
place in the run) and ``done_at`` (Unix time the answer ended, for the replay's clock). The
log's own ``_vc`` names the run: suite version, run tag, selection, the redacted target, and
when it and its job pool started.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance import __version__
from conformance.recording.keys import ClientKind, normalise_url, request_key
from conformance.redact import REDACTED, redact_headers, redact_text

BODY_CAP = 16 * 1024 * 1024
RUN_BODY_BUDGET = 64 * 1024 * 1024
_ENTRIES = "\u0000entries\u0000"
"""Where the entries go in the document's text while it is written entry by entry."""
"""Body bytes one run's recording keeps in memory in all; past it, bodies are cut (and say so)."""
"""Bytes of one body kept in the HAR; the rest is cut and the cut noted in a ``comment``."""
HAR_NAME = "transcript.har"

_TEXTUAL_SUFFIXES = ("json", "+json", "xml", "javascript", "x-www-form-urlencoded")


def iso(wall: float) -> str:
    """HAR's ISO 8601 time with milliseconds."""
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds")


def is_textual(mime: str) -> bool:
    media = mime.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media.endswith(_TEXTUAL_SUFFIXES)


def _scrub_bytes(data: bytes, api_key: str) -> bytes:
    # A binary body is kept byte for byte, except the key should a server ever echo it.
    if api_key and api_key.encode() in data:
        return data.replace(api_key.encode(), REDACTED.encode())
    return data


def body_fields(data: bytes, mime: str, api_key: str) -> dict[str, Any]:
    """``text`` (and ``encoding: base64`` for binary) of a body, redacted."""
    if is_textual(mime) or mime.lower().startswith("multipart/"):
        try:
            return {"text": redact_text(data.decode("utf-8"))}
        except UnicodeDecodeError:
            pass
    return {"text": base64.b64encode(_scrub_bytes(data, api_key)).decode(), "encoding": "base64"}


def _headers(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    out = []
    for name, value in items:
        for k, v in redact_headers({name: value}).items():
            out.append({"name": k, "value": v})
    return out


@dataclass
class Entry:
    """One exchange while it is in flight; ``har()`` renders it once it ended."""

    client: ClientKind
    key: str
    seq: int
    order: int
    method: str
    url: str
    http_version: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    started_wall: float
    started_mono: float
    status: int = 0
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    response_size: int = 0
    wire_size: int = -1
    """Bytes of the body as it came over the wire (before content-encoding was undone)."""
    comments: list[str] = field(default_factory=list)
    ended_mono: float | None = None
    ended_wall: float | None = None

    def har(self, api_key: str) -> dict[str, Any]:
        """This exchange as a HAR 1.2 entry (redacted)."""
        ended = self.ended_mono if self.ended_mono is not None else self.started_mono
        elapsed = round((ended - self.started_mono) * 1000, 3)
        req_mime = dict((k.lower(), v) for k, v in self.request_headers).get("content-type", "")
        request: dict[str, Any] = {
            "method": self.method,
            "url": redact_text(self.url),
            "httpVersion": self.http_version,
            "cookies": [],
            "headers": _headers(self.request_headers),
            "queryString": [
                {"name": k, "value": redact_text(v)}
                for k, v in parse_qsl(urlsplit(self.url).query, keep_blank_values=True)
            ],
            "headersSize": -1,
            "bodySize": len(self.request_body),
        }
        if self.request_body:
            fields = body_fields(self.request_body[:BODY_CAP], req_mime, api_key)
            post: dict[str, Any] = {"mimeType": req_mime or "application/octet-stream"}
            post["text"] = fields["text"]
            if "encoding" in fields:
                # postData has no encoding field in HAR 1.2: a custom one says how to read it.
                post["_encoding"] = "base64"
            if len(self.request_body) > BODY_CAP:
                post["comment"] = f"truncated to {BODY_CAP} of {len(self.request_body)} bytes"
            request["postData"] = post
        resp_headers = dict((k.lower(), v) for k, v in self.response_headers)
        mime = resp_headers.get("content-type", "")
        content: dict[str, Any] = {"size": self.response_size, "mimeType": mime}
        if self.response_body:
            content.update(body_fields(self.response_body, mime, api_key))
        if 0 <= self.wire_size < self.response_size == len(self.response_body):
            content["compression"] = self.response_size - self.wire_size
        if self.response_size > len(self.response_body):
            content["comment"] = (
                f"truncated to {len(self.response_body)} of {self.response_size} bytes"
            )
        entry: dict[str, Any] = {
            "startedDateTime": iso(self.started_wall),
            "time": elapsed,
            "request": request,
            "response": {
                "status": self.status,
                "statusText": self.reason,
                "httpVersion": self.http_version,
                "cookies": [],
                "headers": _headers(self.response_headers),
                "content": content,
                "redirectURL": redact_text(resp_headers.get("location", "")),
                "headersSize": -1,
                "bodySize": self.wire_size if self.status else -1,
            },
            "cache": {},
            "timings": {"send": 0, "wait": elapsed, "receive": 0},
            "_vc": {
                "client": self.client,
                "route": f"{self.method} {urlsplit(normalise_url(self.url)).path}",
                "key": self.key,
                "seq": self.seq,
                "order": self.order,
                "done_at": round(self.ended_wall or self.started_wall, 3),
            },
        }
        if self.comments:
            entry["comment"] = redact_text("; ".join(self.comments))
        return entry


class HarRecorder:
    """Collects the entries of one run from any number of threads and writes the HAR."""

    def __init__(self, cap: int = BODY_CAP, budget: int = RUN_BODY_BUDGET) -> None:
        self.cap = cap
        self._budget_left = budget
        self.api_key = ""
        self.meta: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._entries: list[Entry] = []
        self._seq: dict[str, int] = {}

    def begin(
        self,
        client: ClientKind,
        method: str,
        url: str,
        headers: Any,
        body: bytes,
        http_version: str = "HTTP/1.1",
    ) -> Entry:
        """Register a request as it leaves; its key, sequence and order are fixed now."""
        key = request_key(client, method, url, headers, body, self.api_key)
        with self._lock:
            seq = self._seq.get(key, 0)
            self._seq[key] = seq + 1
            entry = Entry(
                client=client,
                key=key,
                seq=seq,
                order=len(self._entries),
                method=method,
                url=url,
                http_version=http_version,
                request_headers=list(headers.multi_items()),
                request_body=body,
                started_wall=time.time(),
                started_mono=time.monotonic(),
            )
            self._entries.append(entry)
        return entry

    def take(self, wanted: int) -> int:
        """Room for ``wanted`` more body bytes in memory (all of it, part or none): the run's
        recording holds at most ``RUN_BODY_BUDGET`` bytes of bodies, whatever a provider sends
        and however many times it sends it."""
        with self._lock:
            granted = max(0, min(wanted, self._budget_left))
            self._budget_left -= granted
            return granted

    def respond(
        self, entry: Entry, status: int, reason: str, headers: Any, http_version: str
    ) -> None:
        """The response's head arrived."""
        entry.status = status
        entry.reason = reason
        entry.http_version = http_version
        entry.response_headers = list(headers.multi_items())

    def end(self, entry: Entry, body: bytes, size: int, wire_size: int, comment: str = "") -> None:
        """The response's body was read: ``body`` (decoded, at most ``cap`` bytes) of ``size``
        bytes decoded, ``wire_size`` bytes as sent."""
        entry.response_body = body
        entry.response_size = size
        entry.wire_size = wire_size
        if comment:
            entry.comments.append(comment)
        entry.ended_mono = time.monotonic()
        entry.ended_wall = time.time()

    def fail(self, entry: Entry, exc: BaseException) -> None:
        """No response: the HAR keeps the request with status 0 and why."""
        entry.comments.append(f"no response: {type(exc).__name__}: {exc}")
        entry.ended_mono = time.monotonic()
        entry.ended_wall = time.time()

    def _rendered(self) -> Iterator[dict[str, Any]]:
        """Each entry as HAR, in request order, rendered one at a time."""
        with self._lock:
            entries = sorted(self._entries, key=lambda e: e.order)
        for entry in entries:
            if entry.ended_mono is None and entry.status:
                entry.comments.append("response body never read to its end")
            yield entry.har(self.api_key)

    def _log(self, entries: Any) -> dict[str, Any]:
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "video-conformance", "version": __version__},
                "pages": [],
                "entries": entries,
                "comment": "redacted: credential headers and the API key are replaced",
                "_vc": self.meta,
            }
        }

    def har(self) -> dict[str, Any]:
        """The whole log as a HAR 1.2 document."""
        return self._log(list(self._rendered()))

    def write(self, directory: Path) -> Path:
        """Write ``transcript.har`` into ``directory`` (atomically) and return its path.

        Entries are rendered and written one at a time: the run's bodies are in memory once,
        not again as a document and again as its text."""
        from conformance.report.atomic import write_chunks_atomic

        head, tail = json.dumps(self._log(_ENTRIES), indent=1).split(json.dumps(_ENTRIES))

        def chunks() -> Iterator[str]:
            # One entry a line, not indented: json's C encoder only serves unindented output,
            # and the Python one took a tenth of a second of every run's end.
            yield head + "["
            for index, entry in enumerate(self._rendered()):
                yield ("," if index else "") + "\n" + json.dumps(entry, separators=(",", ":"))
            yield "\n]" + tail + "\n"

        return write_chunks_atomic(directory / HAR_NAME, chunks())

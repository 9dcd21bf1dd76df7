"""Replay: answer a run's requests from a recorded ``transcript.har``, with no network.

``Recording.load`` reads a HAR written by a run; ``ReplayTransport`` (our client, ``httpx``)
and ``sdk_transports.SdkReplayTransport`` (openai-python, ``httpx2``) answer each request with
the recorded answer of the same key (``keys.request_key``), in recorded order per key; once a
key's answers are used up the last one repeats (a poll loop that asks once more sees the job as
it was last seen). A request the recording lacks raises ``NotInRecording``: the check that
needed it is skipped, never judged on an answer made up here.

``VirtualClock`` stands in for time while replaying: it reads the recorded time of the answers
served, and ``sleep`` advances it instead of waiting, so that time-based checks (``created_at``
near now, content gone after ``expires_at``, job durations and timeouts) judge the recorded
times and a replay never waits for them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, SupportsIndex

import httpx

from conformance.errors import UsageError
from conformance.recording.har import HAR_NAME
from conformance.recording.keys import ClientKind, request_key

NOT_IN_RECORDING = "not in the recording"

# Headers that describe the wire form of a body; the HAR keeps bodies decoded.
_WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


class NotInRecording(Exception):
    """The recording has no answer for a request: what needed it cannot be judged offline."""


def is_not_in_recording(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) is a ``NotInRecording``. A job that met one keeps
    only its message (``job.reason``), hence the message test."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, NotInRecording) or NOT_IN_RECORDING in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


@dataclass(frozen=True)
class Answer:
    """One recorded answer (or the recorded failure to get one)."""

    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    done_at: float
    error: str = ""


def _answer(entry: dict[str, Any]) -> Answer:
    response = entry["response"]
    content = response.get("content", {})
    text = content.get("text", "")
    body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
    headers = tuple(
        (h["name"], h["value"])
        for h in response.get("headers", [])
        if h["name"].lower() not in _WIRE_HEADERS
    )
    if any(h["name"].lower() == "content-length" for h in response.get("headers", [])):
        headers += (("content-length", str(len(body))),)
    status = int(response.get("status", 0))
    return Answer(
        status=status,
        reason=response.get("statusText", ""),
        http_version=response.get("httpVersion", "HTTP/1.1"),
        headers=headers,
        body=body,
        done_at=float(entry["_vc"].get("done_at", 0.0)),
        error="" if status else entry.get("comment", "no response was recorded"),
    )


class Recording:
    """The answers of one recorded run, by key, and what the run was."""

    def __init__(self, path: Path, meta: dict[str, Any], answers: dict[str, list[Answer]]):
        self.path = path
        self.meta = meta
        self._answers = answers
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()
        first = min((a[0].done_at for a in answers.values() if a), default=0.0)
        self.started = float(meta.get("pool_started_wall") or meta.get("started_wall") or first)
        """Unix time the recorded run's job pool started (else the run): the clock's reading
        in a thread served nothing yet, as the pool's threads are when they start."""

    @classmethod
    def load(cls, path: Path) -> Recording:
        """Read a run's HAR (``path`` is the HAR or the report dir holding it)."""
        har_path = path / HAR_NAME if path.is_dir() else path
        try:
            data = json.loads(har_path.read_text(encoding="utf-8"))
            log = data["log"]
            meta = log.get("_vc")
            if not isinstance(meta, dict) or "target" not in meta:
                raise ValueError("no '_vc' run description in its log (not written by a run)")
            answers: dict[str, list[tuple[int, Answer]]] = {}
            for entry in log["entries"]:
                vc = entry.get("_vc")
                if not isinstance(vc, dict):
                    continue  # an entry some other tool added: nothing to match it by
                answers.setdefault(vc["key"], []).append((int(vc["seq"]), _answer(entry)))
        except FileNotFoundError:
            raise UsageError(f"{har_path}: no such recording") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{har_path}: not a usable recording ({exc})") from None
        ordered = {k: [a for _, a in sorted(v, key=lambda p: p[0])] for k, v in answers.items()}
        return cls(har_path, meta, ordered)

    def answer(self, key: str) -> Answer:
        """The next recorded answer for ``key`` (the last one again once used up)."""
        with self._lock:
            answers = self._answers.get(key)
            if not answers:
                raise NotInRecording(f"{NOT_IN_RECORDING}: {key}")
            index = self._next.get(key, 0)
            self._next[key] = index + 1
            return answers[min(index, len(answers) - 1)]

    def has_client(self, client: ClientKind) -> bool:
        """The recording holds exchanges that ``client`` sent."""
        return any(key.startswith(f"{client} ") for key in self._answers)

    def unused(self) -> int:
        """How many recorded answers the replay never asked for."""
        with self._lock:
            # The property phase's exchanges are recorded for readers, never replayed.
            return sum(
                max(0, len(a) - self._next.get(k, 0))
                for k, a in self._answers.items()
                if not k.startswith("fuzz ")
            )


class VirtualClock:
    """Time during a replay: each thread's clock reads the recorded time at which the latest
    answer it was served ended, moved on by its ``sleep`` calls (which return at once).

    Per thread, so that what a thread measures (a job's poll timeline, its duration, a
    deadline) is the recorded measure whatever the threads' interleaving: replays repeat.
    A thread that has not been served yet reads the recording's start.
    """

    def __init__(self, start: float) -> None:
        self._start = start
        self._local = threading.local()

    def time(self) -> float:
        now: float = getattr(self._local, "now", self._start)
        return now

    def sleep(self, seconds: float | SupportsIndex) -> None:
        self._local.now = self.time() + max(0.0, float(seconds))

    def observe(self, at: float) -> None:
        """The calling thread was served an answer whose recording ended at ``at``."""
        self._local.now = max(self.time(), at)

    @contextlib.contextmanager
    def installed(self) -> Iterator[VirtualClock]:
        """``time.time``, ``time.monotonic`` and ``time.sleep`` read and move this clock
        inside the block.

        Process-wide, for the duration of one replay: the checks and the job pool read the
        ``time`` module directly. Modules that bound these functions at import (pytest's own
        timing, ``threading``'s waits) keep real time.
        """
        saved = time.time, time.monotonic, time.sleep
        time.time = self.time
        time.monotonic = self.time
        time.sleep = self.sleep
        try:
            yield self
        finally:
            time.time, time.monotonic, time.sleep = saved


class NoWaitEvent(threading.Event):
    """A stop event whose ``wait`` never blocks: the job pool's and openai-python's poll
    delays (both wait on the pool's stop event) take no time in a replay."""

    def wait(self, timeout: float | None = None) -> bool:
        return self.is_set()


def serve_answer(
    recording: Recording, clock: VirtualClock, client: ClientKind, lib: Any, request: Any, key: str
) -> Any:
    request.read()
    found = recording.answer(
        request_key(client, request.method, str(request.url), request.headers, request.content, key)
    )
    clock.observe(found.done_at)
    if found.error:
        raise lib.ConnectError(f"recorded: {found.error}", request=request)
    return lib.Response(
        status_code=found.status,
        headers=list(found.headers),
        content=found.body,
        extensions={
            "http_version": found.http_version.encode(),
            "reason_phrase": found.reason.encode(),
        },
        request=request,
    )


class ReplayTransport(httpx.BaseTransport):
    """Our client's requests answered from ``recording``; ``api_key`` is the replay target's."""

    def __init__(
        self, recording: Recording, clock: VirtualClock, api_key: str, client: ClientKind = "ours"
    ) -> None:
        self._recording = recording
        self._clock = clock
        self._key = api_key
        self._client: ClientKind = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = serve_answer(
            self._recording, self._clock, self._client, httpx, request, self._key
        )
        return response

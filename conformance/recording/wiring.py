"""What a run plugs in to be recorded or replayed: the transports of our client and of
openai-python, the job pool's stop event, the run tag, and the HAR to write at the end.

``runner.execute`` asks ``RunOptions.wiring`` (default: ``Recorder()`` when reports are
written) for these; ``Replayer`` is what ``rejudge`` passes.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import httpx2

from conformance import SUITE_VERSION, __version__
from conformance.config import Target
from conformance.recording.har import HarRecorder, iso
from conformance.recording.replay import (
    NoWaitEvent,
    Recording,
    ReplayTransport,
    SdkReplayTransport,
    VirtualClock,
)
from conformance.recording.transport import RecordingTransport, SdkRecordingTransport


class Wiring:
    """A run as it is without recording: the network, real waits, a fresh run tag."""

    transport: httpx.BaseTransport | None = None
    sdk_transport: httpx2.BaseTransport | None = None
    run_tag: str | None = None
    """The run tag to reuse (a replay sends the recorded prompts); ``None``: draw one."""
    replaying: bool = False
    """A replay: traffic that neither transport carries (the openai-node oracle's) is not in
    the recording, and what needs it is skipped."""
    http_adapter: Any = None
    """A ``requests`` adapter for the property phase's session (``None``: requests' own)."""

    def stop_event(self) -> threading.Event:
        """The job pool's stop event (its poll delays wait on it)."""
        return threading.Event()

    def bind(
        self, target: Target, run_tag: str, only: list[str] | None, skip: list[str] | None
    ) -> None:
        """The run's target (its key included) and selection, before its first request."""

    def pool_starting(self) -> None:
        """The job pool's threads start now: their job timeouts count from here."""

    def write(self, report_dir: Path) -> dict[str, Path]:
        """Write what the run produced besides the report; returns ``{name: path}``."""
        return {}


class Recorder(Wiring):
    """Records every exchange of the run into ``transcript.har``."""

    def __init__(self, cap: int | None = None) -> None:
        self.har = HarRecorder() if cap is None else HarRecorder(cap)
        # The recording sits on the same deadline-bound network the unrecorded clients use, so
        # recording changes nothing about how long a request may take.
        from conformance.http_limits import deadline_transport2
        from conformance.single_send import deadline_transport

        self.transport = RecordingTransport(self.har, deadline_transport())
        self._sdk = SdkRecordingTransport(self.har, _BuiltOnFirstUse(deadline_transport2))
        self.sdk_transport = _Shared(self._sdk)
        self._http_adapter: Any = None

    @property
    def http_adapter(self) -> Any:
        """Built on first use: only the property phase asks, and ``requests`` (which the
        adapter needs) takes a tenth of a second to import, on the way to the first create."""
        if self._http_adapter is None:
            from conformance.recording.requests_adapter import RecordingAdapter

            self._http_adapter = RecordingAdapter(self.har)
        return self._http_adapter

    def bind(
        self, target: Target, run_tag: str, only: list[str] | None, skip: list[str] | None
    ) -> None:
        self.har.api_key = target.api_key
        self.har.meta = {
            "tool": {"version": __version__, "suite_version": SUITE_VERSION},
            "started_at": iso(time.time()),
            "started_wall": round(time.time(), 3),
            "run_tag": run_tag,
            "only": only,
            "skip": skip,
            "target": target.redacted(),
            "budget": dataclasses.asdict(target.budget),
            "keyed": bool(target.api_key),
        }

    def pool_starting(self) -> None:
        # A replay's job threads read this as their start (they have been served nothing
        # yet), so that their job timeouts end where the recorded run's did.
        self.har.meta["pool_started_wall"] = round(time.time(), 3)

    def write(self, report_dir: Path) -> dict[str, Path]:
        self._sdk.close()
        if self._http_adapter is not None:
            self._http_adapter.close()
        return {"har": self.har.write(report_dir)}


class _Shared(httpx2.BaseTransport):
    """One transport for every openai-python client of the run: each client closes its
    transport when done, and the others still need it; the recorder closes it at the end."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        pass


class _BuiltOnFirstUse(httpx2.BaseTransport):
    """A transport built when the first request comes: openai-python's first request comes
    from a job thread, while building the transport (TLS context included) on the main thread
    would delay the run's first create by a fifth of a second."""

    def __init__(self, build: Any) -> None:
        self._build = build
        self._inner: httpx2.BaseTransport | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        with self._lock:
            if self._inner is None:
                self._inner = self._build()
            inner = self._inner
        return inner.handle_request(request)

    def close(self) -> None:
        with self._lock:
            if self._inner is not None:
                self._inner.close()


class Replayer(Wiring):
    replaying = True
    """Answers the run from a recording: no network, no waiting, the recorded run tag."""

    API_KEY = "vc-replay-key-00000000"
    """The replay target's key: never sent anywhere, it only marks "the run's key" in keys."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        # A run without a key sent none: its replay must not send one either.
        self.api_key = self.API_KEY if recording.meta.get("keyed", True) else ""
        self.clock = VirtualClock(recording.started)
        self.transport = ReplayTransport(recording, self.clock, self.api_key)
        self.sdk_transport = SdkReplayTransport(recording, self.clock, self.api_key)
        self.run_tag = str(recording.meta.get("run_tag") or "") or None

    def stop_event(self) -> threading.Event:
        return NoWaitEvent()

    def meta(self) -> dict[str, Any]:
        """The recording's run description."""
        return self.recording.meta

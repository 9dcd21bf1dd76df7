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
from typing import TYPE_CHECKING, Any, cast

import httpx

from conformance import SUITE_VERSION, __version__
from conformance.config import Target
from conformance.recording.har import HarRecorder, iso
from conformance.recording.replay import NoWaitEvent, Recording, ReplayTransport, VirtualClock
from conformance.recording.transport import RecordingTransport

if TYPE_CHECKING:
    import httpx2


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
        from conformance.single_send import deadline_transport

        self.transport = RecordingTransport(self.har, deadline_transport())
        self._sdk = _SdkOnFirstUse(self.har)
        self.sdk_transport = cast("httpx2.BaseTransport", self._sdk)
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
        self._sdk.close_all()
        if self._http_adapter is not None:
            self._http_adapter.close()
        return {"har": self.har.write(report_dir)}


class _SdkOnFirstUse:
    """openai-python's recording transport, one for every SDK client of the run, built when
    the SDK sends its first request (from a job thread): ``httpx2`` and a TLS context would
    otherwise delay the run's first create. Each SDK client closes its transport when done
    while the others still need it, so only the recorder closes this one, at the end."""

    def __init__(self, har: HarRecorder) -> None:
        self._har = har
        self._inner: Any = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        with self._lock:
            if self._inner is None:
                from conformance.http_limits import deadline_transport2
                from conformance.recording.sdk_transports import SdkRecordingTransport

                self._inner = SdkRecordingTransport(self._har, deadline_transport2())
            inner = self._inner
        response: httpx2.Response = inner.handle_request(request)
        return response

    def close(self) -> None:
        pass  # shared: see close_all

    def close_all(self) -> None:
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
        from conformance.recording.sdk_transports import SdkReplayTransport

        self.sdk_transport = SdkReplayTransport(recording, self.clock, self.api_key)
        self.run_tag = str(recording.meta.get("run_tag") or "") or None

    def stop_event(self) -> threading.Event:
        return NoWaitEvent()

    def meta(self) -> dict[str, Any]:
        """The recording's run description."""
        return self.recording.meta

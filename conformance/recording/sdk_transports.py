"""openai-python's side of recording and replay: its requests go through ``httpx2``, which is
imported only when the SDK's first request is sent (a tenth of a second a run's first create
need not wait for)."""

from __future__ import annotations

import httpx2

from conformance.recording.har import HarRecorder
from conformance.recording.replay import Recording, VirtualClock, serve_answer
from conformance.recording.transport import Tee, record_exchange


class _Httpx2Tee(Tee, httpx2.SyncByteStream):
    pass


class SdkRecordingTransport(httpx2.BaseTransport):
    """The same for openai-python, which sends through ``httpx2``."""

    def __init__(self, recorder: HarRecorder, inner: httpx2.BaseTransport | None = None) -> None:
        self.recorder = recorder
        self._inner = inner or _sdk_default_transport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response: httpx2.Response = record_exchange(
            self.recorder, "sdk", httpx2, _Httpx2Tee, self._inner, request
        )
        return response

    def close(self) -> None:
        self._inner.close()


def _sdk_default_transport() -> httpx2.BaseTransport:
    # What openai-python's default client would build for itself (its connection limits).
    try:
        from openai._constants import DEFAULT_CONNECTION_LIMITS

        return httpx2.HTTPTransport(limits=DEFAULT_CONNECTION_LIMITS)
    except (ImportError, TypeError):
        return httpx2.HTTPTransport()


class SdkReplayTransport(httpx2.BaseTransport):
    """openai-python's requests answered from ``recording``."""

    def __init__(self, recording: Recording, clock: VirtualClock, api_key: str) -> None:
        self._recording = recording
        self._clock = clock
        self._key = api_key

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response: httpx2.Response = serve_answer(
            self._recording, self._clock, "sdk", httpx2, request, self._key
        )
        return response

"""Recording for the property phase, which sends through schemathesis' ``requests`` session:
a ``requests`` adapter that logs every exchange into the run's ``HarRecorder`` as client
``fuzz``. Recorded for people reading the HAR; a replay does not answer these (the property
phase is not replayed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from conformance.recording.har import HarRecorder


def _body(request: requests.PreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    return b""  # a streamed body (a file or generator): not re-readable, so not recorded


def _headers(headers: Mapping[str, Any] | None) -> httpx.Headers:
    # The recorder reads headers as httpx.Headers (multi_items); requests keeps a plain mapping.
    return httpx.Headers(
        {
            str(k): v.decode("latin-1") if isinstance(v, bytes) else str(v)
            for k, v in (headers or {}).items()
        }
    )


class RecordingAdapter(BaseAdapter):
    """Wraps the adapter that really sends (``HTTPAdapter`` by default)."""

    def __init__(self, recorder: HarRecorder, inner: BaseAdapter | None = None) -> None:
        super().__init__()
        self.recorder = recorder
        self._inner = inner or HTTPAdapter()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send through the inner adapter and log the exchange (the body is read here)."""
        kwargs: dict[str, Any] = {
            "stream": stream,
            "timeout": timeout,
            "verify": verify,
            "cert": cert,
            "proxies": proxies,
        }
        recorder = self.recorder
        entry = recorder.begin(
            "fuzz",
            request.method or "GET",
            request.url or "",
            _headers(request.headers),
            _body(request),
        )
        try:
            response = self._inner.send(request, **kwargs)
        except BaseException as exc:
            recorder.fail(entry, exc)
            raise
        raw = getattr(response, "raw", None)
        version = getattr(raw, "version", 11)
        recorder.respond(
            entry,
            response.status_code,
            response.reason or "",
            _headers(response.headers),
            "HTTP/2" if version == 20 else "HTTP/1.1" if version == 11 else "HTTP/1.0",
        )
        content = response.content  # decoded by urllib3; the session would read it anyway
        # The size on the wire is not known here (-1); a cut body says so in the HAR.
        recorder.end(entry, content[: recorder.cap], len(content), -1)
        return response

    def close(self) -> None:
        self._inner.close()

"""Where the loopback server sends openai-node's requests: the target (recorded) or a recording.

``LiveUpstream`` holds the run's guards: a total deadline per request (longer for media, as our
client allows), the body caps of ``http_limits``, nothing sent once the run's deadline passed,
no redirect followed. Its transport records each exchange into the run's HAR as client ``node``
(the recorder redacts credentials and the key). ``ReplayUpstream`` answers from a recording's
``node`` exchanges in recorded order per request key, as the replay transports do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from conformance.config import Target
from conformance.http_limits import JSON_BODY_CAP, deadline_scope, media_deadline_s
from conformance.node_oracle.loopback import NoAnswer, Relayed
from conformance.recording.har import HarRecorder
from conformance.recording.keys import request_key
from conformance.recording.replay import NotInRecording, Recording
from conformance.recording.transport import RecordingTransport
from conformance.redact import redact_text

ACCEPT_ENCODING = "gzip, deflate"
"""Only encodings whose inflation the recorder can undo within its cap."""


class LiveUpstream:
    """Forwards to the target with the run's guards; records into ``har`` when given."""

    waits = True

    def __init__(
        self,
        target: Target,
        *,
        media_cap: int,
        run_ends_at: Callable[[], float],
        har: HarRecorder | None = None,
    ) -> None:
        from conformance.single_send import deadline_transport

        inner: httpx.BaseTransport = deadline_transport()
        transport = RecordingTransport(har, inner, client="node") if har is not None else inner
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(target.request_timeout_s, connect=10.0),
            follow_redirects=False,  # node follows redirects itself, credentials kept home
        )
        self._request_timeout_s = target.request_timeout_s
        self._media_cap = media_cap
        self._run_ends_at = run_ends_at
        self._target_netloc = urlsplit(target.base_url).netloc
        self.notes: list[str] = []
        """Why a request got no answer (shown with the check)."""

    def close(self) -> None:
        self._http.close()

    def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> Relayed:
        """Send one request on and read its answer within the caps, or raise ``NoAnswer``."""
        if time.monotonic() > self._run_ends_at():
            self._note(f"{method} {url}: not sent, the run's deadline passed")
            raise NoAnswer
        parts = urlsplit(url)
        media = parts.path.endswith("/content") or parts.netloc != self._target_netloc
        cap = self._media_cap if media else JSON_BODY_CAP
        timeout = media_deadline_s(self._request_timeout_s, cap) if media else None
        sent = [(k, v) for k, v in headers if k.lower() != "accept-encoding"]
        sent.append(("Accept-Encoding", ACCEPT_ENCODING))
        deadline = time.monotonic() + (timeout or self._request_timeout_s)
        try:
            with deadline_scope(deadline):
                request = self._http.build_request(method, url, headers=sent, content=body)
                response = self._http.send(request, stream=True)
                try:
                    kept: list[bytes] = []
                    size = 0
                    for chunk in response.iter_raw():
                        size += len(chunk)
                        if size > cap:
                            self._note(f"{method} {url}: answer over its cap of {cap} bytes")
                            raise NoAnswer
                        kept.append(chunk)
                finally:
                    response.close()
        except httpx.HTTPError as exc:
            self._note(f"{method} {url}: no answer ({type(exc).__name__}: {exc})")
            raise NoAnswer from None
        return Relayed(
            response.status_code,
            response.reason_phrase,
            list(response.headers.multi_items()),
            b"".join(kept),
        )

    def _note(self, line: str) -> None:
        self.notes.append(redact_text(line)[:300])


class ReplayUpstream:
    """Answers from ``recording``'s ``node`` exchanges; ``api_key`` is the replay target's."""

    waits = False

    def __init__(self, recording: Recording, api_key: str) -> None:
        self._recording = recording
        self._api_key = api_key
        self.missing: list[str] = []
        """Requests the recording has no answer for."""

    def close(self) -> None:
        pass

    def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> Relayed:
        """The recorded answer to this request, or ``NoAnswer`` (missing or never answered)."""
        key = request_key("node", method, url, httpx.Headers(headers), body, self._api_key)
        try:
            found = self._recording.answer(key)
        except NotInRecording as exc:
            self.missing.append(str(exc))
            raise NoAnswer from None
        if found.error:
            raise NoAnswer
        return Relayed(found.status, found.reason, list(found.headers), found.body)

"""The loopback server openai-node talks to in a run: a forwarding proxy (live) or a replay.

Node cannot be handed our transports, so its traffic goes through a small HTTP server the run
owns, bound to 127.0.0.1 on a random port. Its base URL is the target's with the proxy's origin;
each request is sent on by an ``Upstream``:

- ``LiveUpstream`` forwards it to the target with the run's guards (request deadline, body
  caps, no request after the run's deadline) through a recording transport, so each exchange
  lands in the run's HAR as client ``node``. It never follows a redirect: the 3xx goes back to
  node, which follows redirects by hand.
- ``ReplayUpstream`` answers from a recording's ``node`` exchanges, with the replay transport's
  matching rules (``recording.keys``), and counts what the recording lacks.

A redirect to another origin comes back with its ``Location`` pointing into the proxy
(``/__origin/<scheme>/<host>/…``), so that the hop is recorded too and a replay never leaves
the machine; credentials are stripped from every request bound for an origin other than the
target's. ``observe`` sees every answer (the session settles budget reservations with it).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

from conformance.flow_control import RETRY_DEADLINE_CAP_S, backoff_s, should_retry
from conformance.redact import CREDENTIAL_HEADERS, redact_text

ORIGIN_PREFIX = "/__origin/"
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


@dataclass(frozen=True)
class Relayed:
    """An upstream's answer, ready to send back to node."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class NoAnswer(Exception):
    """The upstream gave no answer: node sees its connection closed, as on the network."""


class Upstream(Protocol):
    """Sends one request on (to the target, or to a recording)."""

    waits: bool
    """Whether flow control is waited out in real time (a replay re-sends at once)."""

    def exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> Relayed: ...


Observer = Callable[[str, str, Relayed], None]
"""``observe(method, url, answer)``: sees every answer before node does."""
Gate = Callable[[str, str], "Relayed | None"]
"""``gate(method, url)``: an answer to give instead of sending the request (the budget's
refusal), or ``None`` to send it."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")).lower()


class OracleServer:
    """The loopback server in front of ``target_base_url``; a context manager."""

    def __init__(
        self,
        target_base_url: str,
        upstream: Upstream,
        api_key: str,
        *,
        gate: Gate | None = None,
        observe: Observer | None = None,
    ) -> None:
        self._target = urlsplit(target_base_url)
        self._target_origin = _origin(target_base_url)
        self._upstream = upstream
        self._api_key = api_key
        self._gate = gate
        self._observe = observe
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.errors: list[str] = []
        """What went wrong inside the server (a harness bug), redacted."""
        self._server.errors = self.errors
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="node-oracle-proxy", daemon=True
        )

    @property
    def base_url(self) -> str:
        """The base URL node is given: the target's path on the proxy's origin."""
        return self.origin + self._target.path.rstrip("/")

    def __enter__(self) -> OracleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- mapping ------------------------------------------------------------------------------
    def upstream_url(self, path: str) -> str:
        """Where a request node sent to ``path`` (with its query) really goes."""
        if path.startswith(ORIGIN_PREFIX):
            scheme, _, rest = path[len(ORIGIN_PREFIX) :].partition("/")
            netloc, _, tail = rest.partition("/")
            if scheme in ("http", "https") and netloc:
                return f"{scheme}://{netloc}/{tail}"
        return f"{self._target.scheme}://{self._target.netloc}{path}"

    def local_location(self, location: str, request_url: str) -> str:
        """``location`` as node must see it: pointing into the proxy, whatever origin."""
        absolute = urljoin(request_url, location)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https"):
            return location
        rest = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        if _origin(absolute) == self._target_origin:
            return self.origin + rest
        return f"{self.origin}{ORIGIN_PREFIX}{parts.scheme}/{parts.netloc}{rest}"

    def outgoing_headers(self, headers: list[tuple[str, str]], url: str) -> list[tuple[str, str]]:
        """Node's headers as sent on: no hop-by-hop ones, no credentials off the target."""
        foreign = _origin(url) != self._target_origin
        out = []
        for name, value in headers:
            lower = name.lower()
            if lower in HOP_BY_HOP:
                continue
            if foreign and (
                lower in CREDENTIAL_HEADERS or (self._api_key and self._api_key in value)
            ):
                continue
            out.append((name, value))
        return out

    def handle(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> Relayed:
        """One request from node: gate, send on, rewrite the redirect, observe."""
        url = self.upstream_url(path)
        refused = self._gate(method, url) if self._gate else None
        if refused is not None:
            return refused
        sent = self.outgoing_headers(headers, url)
        answer = self._upstream.exchange(method, url, sent, body)
        # Flow control is waited out here, as our own client does (``flow_control``), and is
        # never node's finding: openai-node sends its create and remix without retries (a
        # retry after a lost answer could bill twice), so only an answer that proves no job
        # was made (429, or 503 with a wait) is re-sent for those; a call such as
        # createAndPoll would otherwise end on one 429 between its polls.
        path = urlsplit(url).path
        started = time.monotonic()
        attempt = 0
        while should_retry(method, path, answer.status, dict(answer.headers)):
            wait = backoff_s(attempt, dict(answer.headers)) if self._upstream.waits else 0.0
            if time.monotonic() + wait - started > RETRY_DEADLINE_CAP_S:
                break
            time.sleep(wait)
            attempt += 1
            answer = self._upstream.exchange(method, url, sent, body)
        if self._observe is not None:
            self._observe(method, url, answer)
        location = next((v for k, v in answer.headers if k.lower() == "location"), None)
        if location is None:
            return answer
        kept = [(k, v) for k, v in answer.headers if k.lower() != "location"]
        kept.append(("Location", self.local_location(location, url)))
        return Relayed(answer.status, answer.reason, kept, answer.body)


class _QuietServer(ThreadingHTTPServer):
    """Prints no traceback: a connection node dropped (it does when it exits) is nothing, and
    anything else is kept in ``errors`` for the check to report."""

    errors: list[str]

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError):
            self.errors.append(redact_text(f"loopback server: {type(exc).__name__}: {exc}")[:300])


def _handler(server: OracleServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as node's fetch expects

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                parts = []
                while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()  # the CRLF after each chunk
                while self.rfile.readline().strip():
                    pass  # trailers, up to the blank line
                return b"".join(parts)
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def _any(self) -> None:
            body = self._body()
            try:
                answer = server.handle(self.command, self.path, list(self.headers.items()), body)
            except NoAnswer:
                self.close_connection = True
                return
            self.send_response_only(answer.status, answer.reason or None)
            for name, value in answer.headers:
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _any

        def log_message(self, format: str, *args: object) -> None:
            pass  # the HAR is the log

    return Handler

"""What a request gives back: the answer, the redirects it took, and, when no usable answer
arrived, whose failure that is (``TransportFailure`` and its kinds).

Shared by the client that sends (``conformance.client``), the job pool, the SDK transports and
the checks; it holds no sending logic, so every layer can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from conformance.errors import HarnessError
from conformance.http_limits import parse_json
from conformance.redact import redact_text
from conformance.report.model import Exchange

BODY_LIMIT = 4000
"""Characters of a text body kept in the transcript."""


class TransportFailure(Exception):
    """No usable HTTP response arrived. Never raised itself: one of the kinds below says whose
    failure it is, and so what a check that meets it reports.

    ``exchange`` is the redacted record of the attempt (what was sent, what arrived before it
    broke), for a check to show as evidence; the message is one redacted line.
    """

    kind = "transport"

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(redact_text(message))
        self.exchange = exchange
        """The redacted attempt, as evidence (``None`` when nothing was sent)."""


class ProviderFault(TransportFailure):
    """The provider answered, but not with usable HTTP: malformed or truncated responses, a
    reset after connecting, a body or header over its cap, a decompression bomb, a request that
    ran past its total deadline, an unsafe redirect. The provider's failure: a check that meets
    it fails with this as its evidence (exit 1), and a job that meets it is ``broken``."""

    kind = "provider"

    def __init__(
        self, message: str, exchange: Exchange | None = None, *, transient: bool = False
    ) -> None:
        super().__init__(message, exchange)
        self.transient = transient
        """A reset or a cut-off answer: an idempotent request may be sent again."""


class Throttled(TransportFailure):
    """The provider kept answering 429/503 (flow control) until the run's deadline for the
    request ran out. Not a finding about the contract: the check ends ``error`` ("throttled")."""

    kind = "throttled"


class RunDeadlineExceeded(TransportFailure):
    """The run's own deadline (``Target.run_deadline_s``) has passed: the client sends nothing
    more. Neither the provider's failure nor a harness fault — the run is out of time, and
    stops cleanly with what it has; a check that meets it ends ``error`` ("run deadline")."""

    kind = "deadline"


class Unreachable(TransportFailure, HarnessError):
    """Nothing answered at all (connection refused, DNS failure, connect timeout): the harness
    cannot judge; on the first request the run reports "unreachable" (exit 3)."""

    kind = "unreachable"


@dataclass(frozen=True)
class RedirectHop:
    """One redirect the client followed."""

    status: int
    from_url: str
    to_url: str
    cross_origin: bool
    credentials_dropped: bool


@dataclass
class Response:
    """The final response of one request, after any redirects."""

    method: str
    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    exchange: Exchange
    exchanges: list[Exchange] = field(default_factory=list)
    """Every hop, the final one last."""
    redirects: list[RedirectHop] = field(default_factory=list)
    json_problem: str | None = None
    """Why the last ``json()`` call returned ``None`` (not JSON, nested too deep, empty)."""

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ('' when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The parsed JSON body, or ``None`` when the body is not JSON or nests deeper than
        ``http_limits.MAX_JSON_DEPTH`` (``json_problem`` then says which)."""
        value, self.json_problem = parse_json(self.content)
        return value

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class ErrorSeen:
    """An error response seen during the run, for the envelope check."""

    route: str
    status: int
    body: Any
    exchange: Exchange


def summarise_body(content: bytes, content_type: str) -> str | None:
    """A transcript-safe rendering: text truncated, binary as ``<N bytes type>``."""
    if not content:
        return None
    ctype = content_type.split(";", 1)[0].strip().lower()
    textual = (
        ctype.startswith("text/")
        or ctype.endswith("json")
        or ctype.endswith("+json")
        or ctype in ("application/x-www-form-urlencoded", "")
    )
    if textual:
        try:
            # Decode only what the transcript keeps: a body may be megabytes.
            text = content[: BODY_LIMIT * 4].decode("utf-8")
        except UnicodeDecodeError:
            textual = len(content) > BODY_LIMIT * 4  # a character cut at the slice edge
            text = content[: BODY_LIMIT * 4].decode("utf-8", "ignore") if textual else ""
        if textual:
            if len(text) > BODY_LIMIT or len(content) > BODY_LIMIT * 4:
                text = text[:BODY_LIMIT] + f"... <{len(content)} bytes in all>"
            return redact_text(text)
    return f"<{len(content)} bytes {ctype or 'unknown type'}>"


def video_path(video_id: str, suffix: str = "") -> str:
    """``/videos/{id}{suffix}`` with the id percent-encoded (every reserved character)."""
    return f"/videos/{quote(video_id, safe='')}{suffix}"


def preflight_hint(response: Response) -> str | None:
    """A one-line hint when the base URL answers like a web site rather than the API (an HTML
    page, a redirect to a login page); ``None`` when the answer looks like an API's."""
    for hop in response.redirects:
        target = urlsplit(hop.to_url).path.lower()
        if any(word in target for word in ("login", "signin", "sign-in", "auth")):
            return (
                f"the base URL redirects to a login page ({redact_text(hop.to_url)}): "
                "is it the API's URL, including /v1?"
            )
    ctype = response.content_type
    if ctype in ("text/html", "application/xhtml+xml") or response.content.lstrip()[
        :15
    ].lower().startswith((b"<!doctype html", b"<html")):
        return (
            f"the base URL answered {response.status} with an HTML page, not JSON: "
            "is the /v1 prefix missing, or is this a web site rather than the API?"
        )
    return None

"""How a request is recognised again: the matching key shared by recording and replay.

A key is the request with everything a run draws at random taken out: the sending client
(ours, openai-python or the property phase), the method, the URL with the run's random ids
normalised and the query sorted, which credentials it carried (the real key, another value,
none), the body's media type, and a digest of the body with the multipart boundary taken out.
Ids the provider made up need no normalising: a replay reads them from the recorded answers
and sends them back unchanged.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from conformance.redact import CREDENTIAL_HEADERS, redact_text

ClientKind = Literal["ours", "sdk", "fuzz", "node"]
"""Who sent: our client, openai-python, the property phase (recorded, never replayed), or the
openai-node oracle (through the run's loopback proxy)."""

# Ids the run draws at random and sends (not ids the provider returned): the reachability
# probe's missing id. The run tag in prompts is reused by a replay, so it needs no rule.
_VOLATILE = (re.compile(r"vcreachability[0-9a-f]+"), "vcreachability{random}")
_BOUNDARY = re.compile(r"boundary=\"?([^\";,\s]+)\"?", re.IGNORECASE)


def normalise_url(url: str) -> str:
    """The URL with random ids replaced, the query sorted and secrets redacted."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    path = _VOLATILE[0].sub(_VOLATILE[1], parts.path)
    return redact_text(urlunsplit((parts.scheme, parts.netloc, path, query, "")))


def credential_class(headers: Any, api_key: str) -> str:
    """Which credentials a request carried, e.g. ``authorization=key,x-api-key=other``.

    ``key``: the run's API key is in the value; ``other``: some other value (a deliberately
    wrong key); the value itself never enters the key.
    """
    seen = []
    for name, value in headers.items():
        lower = name.lower()
        if lower not in CREDENTIAL_HEADERS or lower in ("cookie", "set-cookie"):
            continue
        kind = "key" if api_key and api_key in value else ("empty" if not value else "other")
        seen.append(f"{lower}={kind}")
    return ",".join(sorted(seen)) or "none"


def body_digest(content: bytes, content_type: str) -> str:
    """A short digest of the body, blind to the multipart boundary (random per request)."""
    if not content:
        return "-"
    match = _BOUNDARY.search(content_type)
    if match:
        content = content.replace(match.group(1).encode("latin-1"), b"BOUNDARY")
    return hashlib.sha256(content).hexdigest()[:16]


def request_key(
    client: ClientKind,
    method: str,
    url: str,
    headers: Any,
    content: bytes,
    api_key: str,
) -> str:
    """The matching key of one request (see the module docstring)."""
    ctype = headers.get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower() or "-"
    return " ".join(
        (
            client,
            method.upper(),
            normalise_url(url),
            f"auth[{credential_class(headers, api_key)}]",
            f"body[{media}:{body_digest(content, ctype)}]",
        )
    )

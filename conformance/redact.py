"""Secret redaction for everything that leaves the process: reports, logs, messages.

Secrets are registered once (the API key of the run) and scrubbed from any text; header
values of credential headers are replaced whatever they hold.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Mapping
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"

CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie", "set-cookie"}
)

_lock = threading.Lock()
_secrets: set[str] = set()

# Bearer tokens and sk-style keys that were never registered (e.g. echoed by a vendor).
# A token must look like one (8+ characters with a digit or a symbol), so that prose such as
# "Authorization: Bearer alone is accepted" survives.
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),
)


def _forms(value: str) -> set[str]:
    """The ways a provider may echo ``value``: as is, percent-encoded (in a URL or a form),
    JSON-escaped, and base64 (standard and URL-safe, padded or not) of the key and of the
    ``Basic`` credentials ``:key`` and ``key:``. A base64 echo embedded at another 3-byte
    alignment inside a longer token is not recognisable and is not covered."""
    escaped = json.dumps(value)[1:-1]
    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), escaped}
    forms.add(escaped.replace("/", "\\/"))  # JSON may escape "/" too
    for raw in (value, f":{value}", f"{value}:"):
        data = raw.encode("utf-8", "surrogatepass")
        for encoded in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
            text = encoded.decode("ascii")
            forms.update({text, text.rstrip("=")})
    return {f for f in forms if len(f) >= 4}


def register_secret(value: str | None) -> None:
    """Remember a secret so that every later ``redact_text`` removes it, in every form a
    provider may echo it (see ``_forms``)."""
    if value and len(value) >= 4:
        forms = _forms(value)
        with _lock:
            _secrets.update(forms)


def redact_text(text: str) -> str:
    """``text`` with every registered secret and every bearer token replaced."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, text)
    return _PATTERNS[1].sub(REDACTED, text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential values replaced and secrets scrubbed."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in CREDENTIAL_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[name] = f"{scheme} {REDACTED}".strip()
        else:
            out[name] = redact_text(value)
    return out

"""Secret redaction for everything that leaves the process: reports, logs, messages.

Secrets are registered once (the API key of the run) and scrubbed from any text; header
values of credential headers are replaced whatever they hold.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

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


def register_secret(value: str | None) -> None:
    """Remember a secret so that every later ``redact_text`` removes it."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


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

"""When to re-send a request a provider answered with "not now", and how long to wait first.

One job: the retry policy of every request the checker sends (``client.Client``) and of the SDK
oracle (``sdk.sdk_client``). Flow control is not a finding (DESIGN.md): a 429, or a 503 that
asks to come back later, is waited out within a deadline, and only the final answer is judged.

Billable creates (``POST /videos``, ``POST /videos/{id}/remix``) are different: openai-python
sends no idempotency key (openai-videos-api.md §5.4: "a retried create can start a second
(billed) job"), so a create is re-sent only on an answer that proves no job was made:

- **429** — "request rate limit reached; quota exceeded" (OpenAI error-codes page, quoted in
  openai-videos-api.md §6): the request was refused before any work, always safe to re-send.
- **503 with ``Retry-After`` / ``retry-after-ms``** — RFC 9110 §15.6.4: the server is "currently
  unable to handle the request" and the header says when to come back; OpenAI documents 503 as
  "engine overloaded; slow down". A 503 *without* the header may come from a gateway whose
  upstream already accepted the job (real-world-deviations.md F8: transient gateway errors
  after the upstream acted), so it is judged, not retried.
- Never 408/409/5xx otherwise, nor a connection error after the request was sent: the job may
  exist, and a second one would be billed.

Idempotent requests (GET, DELETE, HEAD) are re-sent on 429 and on 503 with or without the header.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

RETRY_WAIT_CAP_S = 30.0
"""Longest single wait, whatever the provider asks (the retry deadline bounds the total)."""
RETRY_DEADLINE_CAP_S = 120.0
"""Longest a request keeps retrying by default: ``min(job timeout, 120 s)``."""
TRANSIENT_RETRIES = 2
"""Re-sends of an idempotent GET after a reset or a truncated answer."""
_BACKOFF_BASE_S = 0.5
_BACKOFF_MAX_S = 8.0
_MIN_WAIT_S = 0.1
THROTTLE_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


def is_billable(method: str, path: str) -> bool:
    """``POST /videos`` or ``POST /videos/{id}/remix``: a request that may start a paid job."""
    clean = path.split("?", 1)[0].rstrip("/")
    return method.upper() == "POST" and (clean.endswith("/videos") or clean.endswith("/remix"))


def server_wait_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait the provider asked for: ``retry-after-ms`` first, then ``Retry-After`` in
    seconds (fractions allowed) or as an HTTP date — the order openai-python reads them in.
    ``None`` when absent or unreadable; never negative."""
    lowered = {k.lower(): v for k, v in headers.items()}
    ms = lowered.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000
        except ValueError:
            value = -1.0
        if value >= 0 and value == value and value != float("inf"):
            return value
    after = lowered.get("retry-after")
    if after is None:
        return None
    after = after.strip()
    try:
        value = float(after)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(after)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        value = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, value)
    if value != value or value == float("inf") or value < 0:
        return None
    return value


def should_retry(method: str, path: str, status: int, headers: Mapping[str, str]) -> bool:
    """Whether an answer with ``status`` is flow control that this request may wait out."""
    if status not in THROTTLE_STATUSES:
        return False
    if not is_billable(method, path):
        return True
    return status == 429 or server_wait_s(headers) is not None


def backoff_s(attempt: int, headers: Mapping[str, str]) -> float:
    """How long to wait before re-send number ``attempt`` (0-based): the provider's value
    (at least 0.1 s doubling per attempt, up to 4 s) capped at ``RETRY_WAIT_CAP_S``, else
    exponential backoff from 0.5 s to 8 s with up to 25 % jitter taken off (so that many
    waiting threads do not come back at once)."""
    asked = server_wait_s(headers)
    if asked is not None:
        # A floor, doubling per attempt: "Retry-After: 0" (or a date in the past) on every
        # answer must not turn the retry deadline into hundreds of requests.
        floor = min(_MIN_WAIT_S * 2**attempt, _BACKOFF_MAX_S / 2)
        return min(max(asked, floor), RETRY_WAIT_CAP_S)
    base = min(_BACKOFF_BASE_S * 2**attempt, _BACKOFF_MAX_S)
    return base * (1 - 0.25 * random.random())

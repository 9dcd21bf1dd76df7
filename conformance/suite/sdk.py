"""The official ``openai`` SDK pointed at the target, as an integrator would point it.

``sdk_client`` builds ``OpenAI(base_url=..., max_retries=0)`` (no retry may start a second
billed job) in lax or strict response validation, with a transcript of every response it got
(``SdkTranscript``) so that the checks can show evidence and validate what the SDK saw.
The SDK's poll helper has no overall timeout; ``bounded_poll`` gives it the job timeout.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2

from conformance.client import summarise_body
from conformance.config import Target
from conformance.redact import redact_text
from conformance.report.model import Exchange

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import openai


class PollTimeout(Exception):
    """The SDK's poll loop was still sleeping when the job timeout ran out."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the SDK's DeprecationWarning on every video method (the Sora shutdown notice)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@dataclass
class SdkTranscript:
    """Every response the SDK received: evidence, and the JSON bodies for strict validation."""

    exchanges: list[Exchange] = field(default_factory=list)
    bodies: list[tuple[str, str, int, Any]] = field(default_factory=list)
    """(method, path, status, parsed JSON body) of every JSON response."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_response(self, response: httpx2.Response) -> None:
        """httpx2 response hook: read the body (the SDK reads it anyway) and remember it."""
        response.read()
        request = response.request
        ctype = response.headers.get("content-type", "")
        exchange = Exchange(
            method=request.method,
            url=redact_text(str(request.url)),
            request_headers={"user-agent": request.headers.get("user-agent", "")},
            status=response.status_code,
            response_headers={"content-type": ctype},
            response_body=summarise_body(response.content, ctype),
        )
        body: Any = None
        if "json" in ctype:
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                body = json.loads(response.content)
        with self._lock:
            self.exchanges.append(exchange)
            if body is not None:
                self.bodies.append((request.method, request.url.path, response.status_code, body))


def sdk_client(target: Target, transcript: SdkTranscript, *, strict: bool) -> openai.OpenAI:
    """An ``OpenAI`` client for ``target`` (``x-api-key`` added when the profile needs it)."""
    headers = {"x-api-key": target.api_key} if target.auth in ("x-api-key", "both") else None
    http_client = openai.DefaultHttpxClient(
        event_hooks={"response": [transcript.on_response]}, timeout=target.request_timeout_s
    )
    return openai.OpenAI(
        base_url=target.base_url,
        api_key=target.api_key,
        max_retries=0,
        timeout=target.request_timeout_s,
        default_headers=headers,
        http_client=http_client,
        _strict_response_validation=strict,
    )


@contextlib.contextmanager
def bounded_poll(client: openai.OpenAI, timeout_s: float) -> Iterator[None]:
    """Let the SDK's own poll loop run unchanged, but raise ``PollTimeout`` once it would
    sleep past ``timeout_s`` (the SDK polls forever; a stuck job must not hang the run)."""
    videos = client.videos
    deadline = time.monotonic() + timeout_s
    original = videos._sleep

    def sleep(seconds: float) -> None:
        if time.monotonic() + seconds > deadline:
            raise PollTimeout(f"still polling after the job timeout of {timeout_s:g} s")
        original(seconds)

    videos._sleep = sleep  # type: ignore[method-assign]
    try:
        yield
    finally:
        videos._sleep = original  # type: ignore[method-assign]


def describe_sdk_error(exc: Exception) -> str:
    """One redacted line for an exception the SDK raised on a vendor response."""
    if isinstance(exc, openai.APIStatusError):
        return redact_text(f"{type(exc).__name__} ({exc.status_code}): {exc.message}")[:300]
    return redact_text(f"{type(exc).__name__}: {exc}")[:300]


def is_network_error(exc: Exception) -> bool:
    """No HTTP answer arrived: a harness/network error, never the vendor's failure."""
    return isinstance(exc, openai.APIConnectionError)

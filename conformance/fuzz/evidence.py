"""A property check's first failure as the report shows it: the example, a curl line, the exchange.

Everything here is redacted before it leaves: the credentials the phase sends, and any secret
the provider echoes in a body or URL. Long bodies are shortened so one finding cannot swell
the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from conformance.fuzz.findings import Failure
from conformance.redact import redact_headers, redact_text
from conformance.report.model import Exchange

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.core.transport import Response

_BODY_LIMIT = 2000


def first_failure(
    case: Case,
    response: Response,
    problem: str,
    auth_headers: Mapping[str, str],
    seed: int,
    extra: dict[str, Any] | None = None,
) -> Failure:
    """The report's record of ``case`` failing with ``problem``: message, details, exchange."""
    curl = redact_text(case.as_curl_command(headers=redact_headers(auth_headers)))
    example = describe_case(case)
    body = _body_text(response)
    message = redact_text(
        f"{case.operation.label} ({example['mode']} {example['phase']} case): "
        f"{_shorten(problem, 1500)}\nReproduce with: {curl}"
    )
    sent = response.request
    exchange = Exchange(
        method=str(sent.method),
        url=redact_text(str(sent.url)),
        request_headers=redact_headers({k: str(v) for k, v in sent.headers.items()}),
        request_body=_shorten(redact_text(_request_body_text(sent.body)), _BODY_LIMIT),
        status=response.status_code,
        response_headers=redact_headers(flat_headers(response)),
        response_body=body,
        elapsed_ms=round(response.elapsed * 1000, 1) if response.elapsed else None,
    )
    details = {
        "example": example,
        "curl": curl,
        "status": response.status_code,
        "response_body": body,
        "seed": seed,
        **(extra or {}),
    }
    return Failure(message, details, [exchange])


def describe_case(case: Case) -> dict[str, Any]:
    """The generated example as plain data (bytes summarised), for the report."""
    meta = case.meta
    return {
        "operation": case.operation.label,
        "mode": meta.generation.mode.value if meta else "hand-built",
        "phase": meta.phase.name.value if meta else "contract",
        "path_parameters": _plain(case.path_parameters),
        "query": _plain(case.query),
        "media_type": case.media_type,
        "body": _plain(case.body),
    }


def flat_headers(response: Response) -> dict[str, str]:
    """The response's headers, one string each (repeated headers joined as HTTP joins them)."""
    return {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in response.headers.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return _shorten(redact_text(value), 300)
    if value is None or isinstance(value, bool | int | float):
        return value
    return _shorten(repr(value), 300)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _body_text(response: Response) -> str:
    content = response.content or b""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(content)} bytes, starting {content[:16]!r}>"
    return _shorten(redact_text(text), _BODY_LIMIT)


def _request_body_text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(body)} bytes>"
    return str(body)


__all__ = ["describe_case", "first_failure", "flat_headers"]

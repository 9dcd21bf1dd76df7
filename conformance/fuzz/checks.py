"""Our own property checks: pure functions of one response, each ``None`` or a problem string.

The engine's built-in checks cover status, schema and media-type declarations; these add what
the contract says beyond the OpenAPI document: every error carries the OpenAI envelope, content
bytes are what their label says, and a generated (unknown) id never names a job.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from conformance import contract
from conformance.media import sniff

# The media types the content endpoint may serve (spec: RetrieveVideoContent 200).
_CONTENT_TYPES = frozenset({"video/mp4", "image/webp", "image/jpeg"})


def media_type(headers: Mapping[str, str]) -> str:
    """The bare, lower-cased media type of a response (``""`` when there is none)."""
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()


def error_envelope_problem(status: int, headers: Mapping[str, str], content: bytes) -> str | None:
    """Why an error response lacks the ``{"error": {message, type, param, code}}`` envelope."""
    if status < 400:
        return None
    try:
        body = json.loads(content)
    except ValueError:
        snippet = content[:120].decode("utf-8", "replace")
        return (
            f"{status} answered with a body that is not JSON "
            f"(Content-Type {media_type(headers) or 'missing'!r}): {snippet!r}"
        )
    problems = contract.errors("ErrorResponse", body)
    if problems:
        return f"{status} answered without the error envelope: " + "; ".join(problems[:3])
    return None


def content_bytes_problem(status: int, headers: Mapping[str, str], content: bytes) -> str | None:
    """Why a 200 from ``/content`` carries bytes that disagree with its Content-Type."""
    if status != 200:
        return None
    label = media_type(headers)
    actual = sniff(content)
    if label not in _CONTENT_TYPES:
        return (
            f"Content-Type {label or 'missing'!r} is not one of "
            f"{', '.join(sorted(_CONTENT_TYPES))}; "
            f"the bytes look like {actual or 'unknown data'}"
        )
    if actual != label:
        return (
            f"labelled {label} but the bytes look like {actual or 'unknown data'} "
            f"(first bytes {content[:12]!r})"
        )
    return None


def unknown_id_problem(status: int) -> str | None:
    """Why a response to a generated (unknown) video id is wrong: any 2xx invents a job."""
    if 200 <= status < 300:
        return f"answered {status} for a video id that was never created"
    return None

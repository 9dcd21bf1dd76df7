"""Reading create/remix request bodies: JSON or multipart, size-limited, into plain fields."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Collection
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from conformance.provider.envelope import ApiError
from conformance.provider.validation import FilePart

MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body: room for a 10 MiB image upload or a 20 MiB ``image_url`` data URL."""


async def read_fields(request: Request, accepted: Collection[str]) -> tuple[dict[str, Any], str]:
    """The body as a dict (JSON object, or multipart fields with :class:`FilePart` files) and
    its encoding, ``json`` or ``multipart``.

    An encoding outside ``accepted`` (or any other Content-Type) is a 415; an unreadable body a
    400 without ``param``; an oversized one a 413.
    """
    body = await _read_body(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json") or (not media and not body):
        encoding = "json"
    elif media == "multipart/form-data":
        encoding = "multipart"
    else:
        raise _unsupported_media(media or "a body without Content-Type")
    if encoding not in accepted:
        raise _unsupported_media(media or "application/json")
    if encoding == "json":
        return _json_fields(body), encoding
    return await _multipart_fields(request, body), encoding


def _json_fields(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            400, "We could not parse the JSON body of your request.", code="invalid_json"
        ) from None
    if not isinstance(value, dict):
        raise ApiError(400, "The request body must be a JSON object.", code="invalid_json")
    return value


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


async def _multipart_fields(request: Request, body: bytes) -> dict[str, Any]:
    async def replay() -> AsyncGenerator[bytes, None]:
        yield body

    # The body is already bounded, so the per-field limit may be as large.
    parser = MultiPartParser(request.headers, replay(), max_part_size=MAX_BODY_BYTES)
    try:
        form = await parser.parse()
    except (MultiPartException, HTTPException) as exc:
        raise ApiError(
            400, f"The multipart body could not be parsed: {exc}", code="invalid_multipart"
        ) from None
    fields: dict[str, Any] = {}
    try:
        for key, value in form.multi_items():
            if key in fields:
                continue  # the first occurrence wins
            if isinstance(value, UploadFile):
                fields[key] = FilePart(value.filename, value.content_type, await value.read())
            else:
                fields[key] = value
    finally:
        await form.close()
    return fields


def _unsupported_media(media: str) -> ApiError:
    return ApiError(
        415,
        f"Unsupported Content-Type: {media}. Send application/json or "
        "multipart/form-data as this endpoint accepts.",
        code="unsupported_media_type",
    )


def _too_large() -> ApiError:
    return ApiError(
        413,
        f"The request body exceeds {MAX_BODY_BYTES // (1024 * 1024)} MiB.",
        code="request_too_large",
    )

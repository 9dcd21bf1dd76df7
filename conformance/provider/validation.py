"""Request validation for create, remix and list, in canonical terms.

Each rule raises :class:`ApiError` with a 400 naming the offending field in ``param``; the
``Behaviour`` decides what is accepted. Unknown fields are ignored: the contract is silent on
them. Codes follow the OpenAI API's usual vocabulary (``missing_required_parameter``,
``invalid_type``, ``invalid_value``, ``string_above_max_length``).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from conformance.provider.behaviour import Behaviour
from conformance.provider.envelope import ApiError, invalid
from conformance.provider.render import render_dimensions

MAX_REFERENCE_BYTES = 10 * 1024 * 1024
"""Largest accepted ``input_reference`` image (upload or decoded data URL)."""
MAX_REFERENCE_PIXELS = 40_000_000
"""Largest accepted ``input_reference`` image area: guards against decompression bombs."""
MAX_ANY_SECONDS = 20
"""``seconds_accept_any`` renders at most this many seconds."""
MAX_RENDER_SECONDS = 60
"""Upper bound on rendered duration, whatever a dialect allows."""
FALLBACK_SIZE = (720, 1280)
LIST_DEFAULT_LIMIT = 20
LIST_MAX_LIMIT = 100

_WXH = re.compile(r"^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")
_POSITIVE_INT = re.compile(r"^[1-9][0-9]{0,8}$")


@dataclass(frozen=True)
class FilePart:
    """An uploaded file of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class CreateRequest:
    """A validated create request: what the job will be."""

    prompt: str | None
    model: str
    seconds: str
    size: str
    width: int
    height: int
    duration: float
    reference_png: bytes | None = None
    """The decoded ``input_reference`` re-encoded as PNG (the first frame)."""


@dataclass(frozen=True)
class ListQuery:
    """Validated list parameters."""

    after: str | None
    limit: int
    ascending: bool


def parse_create(fields: Mapping[str, Any], b: Behaviour) -> CreateRequest:
    """Validate a create body (JSON object, or multipart fields with :class:`FilePart` files)."""
    prompt = parse_prompt(fields, b)
    model = _model(fields.get("model"), b)
    seconds, duration = _seconds(fields.get("seconds"), b)
    size, (width, height) = _size(fields.get("size"), b)
    narrowed = b.sizes_by_model.get(model)
    if narrowed is not None and size not in narrowed:
        raise invalid(
            "size",
            f"Invalid value: {size!r}. Supported values for model "
            f"{model!r} are: {_listing(tuple(narrowed))}.",
        )
    if b.render_size is not None:
        width, height = _parse_wxh(b.render_size) or (width, height)
    if b.render_seconds is not None:
        duration = b.render_seconds
    width, height = render_dimensions(width, height)
    reference = _reference(fields, b)
    return CreateRequest(
        prompt=prompt,
        model=model,
        seconds=seconds,
        size=size,
        width=width,
        height=height,
        duration=duration,
        reference_png=reference,
    )


def fallback_create(fields: Mapping[str, Any], b: Behaviour) -> CreateRequest:
    """Best-effort values for a rejected create (the ``validation_creates_job`` fault)."""
    raw = fields.get("prompt")
    prompt = raw[:32000] if isinstance(raw, str) else None
    width, height = _parse_wxh(b.default_size) or FALLBACK_SIZE
    width, height = render_dimensions(width, height)
    return CreateRequest(
        prompt=prompt,
        model=b.default_model,
        seconds=b.default_seconds,
        size=b.default_size,
        width=width,
        height=height,
        duration=_duration(b.default_seconds, MAX_RENDER_SECONDS),
    )


def parse_prompt(fields: Mapping[str, Any], b: Behaviour) -> str | None:
    """The ``prompt`` field (create and remix)."""
    value = fields.get("prompt")
    if value is None:
        if b.prompt_required:
            raise invalid(
                "prompt", "Missing required parameter: 'prompt'.", "missing_required_parameter"
            )
        return None
    if not isinstance(value, str):
        raise invalid(
            "prompt",
            f"Invalid type for 'prompt': expected a string, but got {_kind(value)} instead.",
            "invalid_type",
        )
    if not value and not b.prompt_allow_empty:
        raise invalid(
            "prompt",
            "Invalid 'prompt': string too short. Expected a string with "
            "minimum length 1, but got an empty string instead.",
            "string_below_min_length",
        )
    if b.prompt_max_chars is not None and len(value) > b.prompt_max_chars:
        raise invalid(
            "prompt",
            f"Invalid 'prompt': string too long. Expected a string with "
            f"maximum length {b.prompt_max_chars}, but got a string with length "
            f"{len(value)} instead.",
            "string_above_max_length",
        )
    return value


def parse_list(query: Mapping[str, str]) -> ListQuery:
    """Validate ``after``, ``limit`` (0..100) and ``order`` (asc|desc) of a list request."""
    raw_limit = query.get("limit")
    limit = LIST_DEFAULT_LIMIT
    if raw_limit is not None:
        if not re.fullmatch(r"[0-9]{1,4}", raw_limit) or int(raw_limit) > LIST_MAX_LIMIT:
            raise invalid(
                "limit",
                f"Invalid 'limit': expected an integer between 0 and "
                f"{LIST_MAX_LIMIT}, but got {raw_limit!r} instead.",
            )
        limit = int(raw_limit)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid("order", f"Invalid value: {order!r}. Supported values are: 'asc' and 'desc'.")
    after = query.get("after")
    if after == "":
        raise invalid(
            "after", "Invalid 'after': expected the id of a video, but got an empty string instead."
        )
    return ListQuery(after=after, limit=limit, ascending=order == "asc")


# --- create fields ---------------------------------------------------------------------------


def _model(value: Any, b: Behaviour) -> str:
    if value is None:
        if b.model_required:
            raise invalid(
                "model", "Missing required parameter: 'model'.", "missing_required_parameter"
            )
        return b.default_model
    if not isinstance(value, str):
        raise invalid(
            "model",
            f"Invalid type for 'model': expected a string, but got {_kind(value)} instead.",
            "invalid_type",
        )
    if b.models_allowed is not None and value not in b.models_allowed:
        raise invalid(
            "model",
            f"Invalid value: {value!r}. Supported values are: {_listing(b.models_allowed)}.",
            status=b.unknown_model_status,
        )
    if not value:
        raise invalid("model", "Invalid 'model': expected a non-empty string.")
    return value


def _seconds(value: Any, b: Behaviour) -> tuple[str, float]:
    if value is None:
        return b.default_seconds, _duration(b.default_seconds, MAX_RENDER_SECONDS)
    if isinstance(value, int) and not isinstance(value, bool) and b.seconds_accept_integer:
        value = str(value)
    if not isinstance(value, str):
        raise invalid(
            "seconds",
            f"Invalid type for 'seconds': expected one of "
            f"{_listing(b.seconds_allowed)} as a string, but got {_kind(value)} "
            "instead.",
            "invalid_type",
        )
    if b.seconds_accept_any and _POSITIVE_INT.match(value):
        return value, float(min(int(value), MAX_ANY_SECONDS))
    if value not in b.seconds_allowed:
        raise invalid(
            "seconds",
            f"Invalid value: {value!r}. Supported values are: {_listing(b.seconds_allowed)}.",
        )
    return value, _duration(value, MAX_RENDER_SECONDS)


def _size(value: Any, b: Behaviour) -> tuple[str, tuple[int, int]]:
    default = _parse_wxh(b.default_size) or FALLBACK_SIZE
    if value is None:
        return b.default_size, default
    if not isinstance(value, str):
        raise invalid(
            "size",
            f"Invalid type for 'size': expected a string, but got {_kind(value)} instead.",
            "invalid_type",
        )
    if value in b.sizes_allowed:
        return value, _parse_wxh(value) or default
    if value in b.size_aliases:
        return value, _parse_wxh(b.size_aliases[value]) or default
    if b.sizes_accept_any:
        return value, _parse_wxh(value) or default
    raise invalid(
        "size", f"Invalid value: {value!r}. Supported values are: {_listing(b.sizes_allowed)}."
    )


def _reference(fields: Mapping[str, Any], b: Behaviour) -> bytes | None:
    value = fields.get("input_reference")
    if value is None:
        # Multipart encodes the object form with bracket keys (facts §5.2).
        nested = {
            key: fields[f"input_reference[{key}]"]
            for key in ("image_url", "file_id")
            if f"input_reference[{key}]" in fields
        }
        value = nested or None
    if value is None:
        return None
    if not b.input_reference_supported:
        raise invalid(
            "input_reference",
            "input_reference is not supported by this provider.",
            "unsupported_parameter",
        )
    if isinstance(value, FilePart):
        return _decode_image(value.data)
    if isinstance(value, dict):
        return _reference_object(value)
    raise invalid(
        "input_reference",
        f"Invalid type for 'input_reference': expected an image "
        f"file or an object with 'image_url' or 'file_id', but got {_kind(value)} "
        "instead.",
        "invalid_type",
    )


def _reference_object(value: dict[str, Any]) -> bytes:
    given = [key for key in ("image_url", "file_id") if value.get(key) is not None]
    if len(given) != 1:
        raise invalid(
            "input_reference",
            "Invalid 'input_reference': give exactly one of 'image_url' and 'file_id'.",
        )
    if given[0] == "file_id":
        raise invalid(
            "input_reference",
            f"No such file: {value['file_id']!r}. The reference "
            "provider has no Files API; upload the image or send a data URL.",
        )
    url = value["image_url"]
    if not isinstance(url, str):
        raise invalid(
            "input_reference",
            "Invalid type for 'input_reference.image_url': "
            f"expected a string, but got {_kind(url)} instead.",
            "invalid_type",
        )
    match = re.match(r"^data:image/[A-Za-z0-9.+-]+;base64,", url)
    if not match:
        raise invalid(
            "input_reference",
            "Invalid 'input_reference.image_url': the reference "
            "provider fetches no remote URLs; send a base64 data URL instead.",
        )
    encoded = url[match.end() :]
    if len(encoded) > MAX_REFERENCE_BYTES * 4 // 3 + 4:
        raise _too_large()
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(
            "input_reference",
            "Invalid 'input_reference.image_url': the data URL is not valid base64.",
        ) from None
    return _decode_image(data)


def _decode_image(data: bytes) -> bytes:
    """Decode an uploaded image with Pillow and re-encode it as PNG."""
    if len(data) > MAX_REFERENCE_BYTES:
        raise _too_large()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_REFERENCE_PIXELS:
                    raise ValueError("too many pixels")
                image.load()
                rgb = image.convert("RGB")
    except Exception:  # Pillow raises many kinds for undecodable input; all mean "not an image"
        raise invalid(
            "input_reference",
            "Invalid 'input_reference': the file could not be "
            "decoded as an image (PNG, JPEG or WebP expected).",
            "invalid_image",
        ) from None
    out = io.BytesIO()
    rgb.save(out, "PNG")
    return out.getvalue()


def _too_large() -> ApiError:
    return invalid(
        "input_reference",
        f"Invalid 'input_reference': the image exceeds {MAX_REFERENCE_BYTES // (1024 * 1024)} MiB.",
        "file_too_large",
    )


def _parse_wxh(value: str) -> tuple[int, int] | None:
    match = _WXH.match(value)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _duration(seconds: str, cap: int) -> float:
    try:
        value = float(seconds)
    except ValueError:
        return 4.0
    return value if 0 < value <= cap else float(cap) if value > cap else 4.0


def _listing(values: tuple[str, ...]) -> str:
    quoted = [repr(v) for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, FilePart):
        return "a file"
    return "a string" if isinstance(value, str) else type(value).__name__

"""Every create, remix and list validation rule: status, envelope and ``param``."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from conformance.provider.behaviour import CONTRACT_MODELS, CONTRACT_SECONDS, CONTRACT_SIZES
from conformance.provider.validation import MAX_REFERENCE_BYTES

from .support import Api, assert_envelope, assert_video, fast_config, png_bytes, provider


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    # Long renders: accepted jobs in these tests never need to finish, only to exist.
    with provider(fast_config(render_seconds=120, queue_limit=1000)) as running:
        yield running


def _data_url(data: bytes, media: str = "image/png") -> str:
    return f"data:{media};base64," + base64.b64encode(data).decode()


JSON_REJECTED: list[tuple[str, dict[str, Any], str, str]] = [
    ("prompt missing", {}, "prompt", "missing_required_parameter"),
    ("prompt not a string", {"prompt": 123}, "prompt", "invalid_type"),
    ("prompt empty", {"prompt": ""}, "prompt", "string_below_min_length"),
    ("prompt too long", {"prompt": "x" * 32001}, "prompt", "string_above_max_length"),
    ("seconds as integer", {"prompt": "p", "seconds": 4}, "seconds", "invalid_type"),
    ("seconds 5", {"prompt": "p", "seconds": "5"}, "seconds", "invalid_value"),
    ("seconds 4.0", {"prompt": "p", "seconds": "4.0"}, "seconds", "invalid_value"),
    ("seconds 16", {"prompt": "p", "seconds": "16"}, "seconds", "invalid_value"),
    ("size ratio", {"prompt": "p", "size": "16:9"}, "size", "invalid_value"),
    ("size 1080p", {"prompt": "p", "size": "1920x1080"}, "size", "invalid_value"),
    ("size upper X", {"prompt": "p", "size": "1280X720"}, "size", "invalid_value"),
    ("size integer", {"prompt": "p", "size": 720}, "size", "invalid_type"),
    ("model unknown", {"prompt": "p", "model": "gpt-4o"}, "model", "invalid_value"),
    ("model integer", {"prompt": "p", "model": 2}, "model", "invalid_type"),
    (
        "reference remote url",
        {"prompt": "p", "input_reference": {"image_url": "https://example.com/a.png"}},
        "input_reference",
        "invalid_value",
    ),
    (
        "reference both keys",
        {"prompt": "p", "input_reference": {"image_url": "data:,", "file_id": "file-1"}},
        "input_reference",
        "invalid_value",
    ),
    (
        "reference neither key",
        {"prompt": "p", "input_reference": {}},
        "input_reference",
        "invalid_value",
    ),
    (
        "reference unknown file id",
        {"prompt": "p", "input_reference": {"file_id": "file-123"}},
        "input_reference",
        "invalid_value",
    ),
    (
        "reference a bare string",
        {"prompt": "p", "input_reference": "cat.png"},
        "input_reference",
        "invalid_type",
    ),
    (
        "reference data url not an image",
        {"prompt": "p", "input_reference": {"image_url": _data_url(b"not an image")}},
        "input_reference",
        "invalid_image",
    ),
    (
        "reference data url not base64",
        {"prompt": "p", "input_reference": {"image_url": "data:image/png;base64,%%%"}},
        "input_reference",
        "invalid_value",
    ),
]


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [case[1:] for case in JSON_REJECTED],
    ids=[case[0] for case in JSON_REJECTED],
)
def test_json_create_rejected(api: Api, body: dict[str, Any], param: str, code: str) -> None:
    assert_envelope(api.create(**body), 400, param=param, type_="invalid_request_error", code=code)


MULTIPART_REJECTED: list[tuple[str, dict[str, str], dict[str, Any], str, str]] = [
    ("prompt missing", {"size": "720x1280"}, {}, "prompt", "missing_required_parameter"),
    ("seconds 10", {"prompt": "p", "seconds": "10"}, {}, "seconds", "invalid_value"),
    ("size bogus", {"prompt": "p", "size": "1x1"}, {}, "size", "invalid_value"),
    ("model bogus", {"prompt": "p", "model": "veo-3"}, {}, "model", "invalid_value"),
    (
        "reference not an image",
        {"prompt": "p"},
        {"input_reference": ("a.png", b"%PDF-1.4 definitely not a png", "image/png")},
        "input_reference",
        "invalid_image",
    ),
    (
        "reference too large",
        {"prompt": "p"},
        {"input_reference": ("big.png", b"\0" * (MAX_REFERENCE_BYTES + 1), "image/png")},
        "input_reference",
        "file_too_large",
    ),
    (
        "reference as text field",
        {"prompt": "p", "input_reference": "a.png"},
        {},
        "input_reference",
        "invalid_type",
    ),
    (
        "prompt sent as a file",
        {},
        {"prompt": ("p.txt", b"hello", "text/plain")},
        "prompt",
        "invalid_type",
    ),
]


@pytest.mark.parametrize(
    ("fields", "files", "param", "code"),
    [case[1:] for case in MULTIPART_REJECTED],
    ids=[case[0] for case in MULTIPART_REJECTED],
)
def test_multipart_create_rejected(
    api: Api, fields: dict[str, str], files: dict[str, Any], param: str, code: str
) -> None:
    response = api.create_multipart(fields, files)
    assert_envelope(response, 400, param=param, type_="invalid_request_error", code=code)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"[1, 2]", "application/json", 400, "invalid_json"),
        (b"prompt=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"prompt", "text/plain", 415, "unsupported_media_type"),
        (b"--x\r\nbroken", "multipart/form-data", 400, "invalid_multipart"),
    ],
    ids=["malformed json", "json array", "urlencoded", "text", "multipart without boundary"],
)
def test_unreadable_bodies(
    api: Api, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = api.http.post(
        f"{api.base_url}/videos", content=content, headers={"content-type": content_type}
    )
    assert_envelope(response, status, param=None, code=code)


def test_rejected_creates_leave_no_job(api: Api) -> None:
    before = api.http.get(f"{api.base_url}/videos", params={"limit": 100}).json()["data"]
    assert api.create(prompt="p", seconds="5").status_code == 400
    assert api.create_multipart({"prompt": "p", "size": "1x1"}).status_code == 400
    after = api.http.get(f"{api.base_url}/videos", params={"limit": 100}).json()["data"]
    assert after == before


@pytest.mark.parametrize("seconds", CONTRACT_SECONDS)
@pytest.mark.parametrize("size", CONTRACT_SIZES)
def test_every_contract_size_and_duration_is_accepted(api: Api, seconds: str, size: str) -> None:
    response = api.create(prompt="ok", seconds=seconds, size=size)
    assert response.status_code == 200, response.text
    assert_video(response.json())
    assert (response.json()["seconds"], response.json()["size"]) == (seconds, size)


@pytest.mark.parametrize("model", CONTRACT_MODELS)
def test_every_known_model_is_accepted(api: Api, model: str) -> None:
    response = api.create_multipart({"prompt": "ok", "model": model})
    assert response.status_code == 200, response.text
    assert response.json()["model"] == model


def test_prompt_of_exactly_32000_chars_and_unknown_fields_are_accepted(api: Api) -> None:
    response = api.create(prompt="y" * 32000, quality="high", character_ids=["c"])
    assert response.status_code == 200, response.text
    assert len(response.json()["prompt"]) == 32000
    multipart = api.create_multipart({"prompt": "p", "resolution": "720p"})
    assert multipart.status_code == 200, multipart.text


def test_reference_upload_of_each_common_format_is_accepted(api: Api) -> None:
    for fmt, media in (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (10, 200, 30)).save(out, fmt)
        response = api.create_multipart(
            {"prompt": "ref"}, {"input_reference": (f"r.{fmt.lower()}", out.getvalue(), media)}
        )
        assert response.status_code == 200, response.text
    bracket = api.create_multipart(
        {"prompt": "ref", "input_reference[image_url]": _data_url(png_bytes(8, 8, (1, 2, 3)))}
    )
    assert bracket.status_code == 200, bracket.text


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "101"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": "video_never_existed"}, "after"),
        ({"after": ""}, "after"),
    ],
)
def test_list_rejected(api: Api, params: dict[str, str], param: str) -> None:
    response = api.http.get(f"{api.base_url}/videos", params=params)
    assert_envelope(response, 400, param=param, type_="invalid_request_error")


def test_content_variant_rejected(api: Api) -> None:
    video = api.created(prompt="variant")
    response = api.content(video["id"], "poster")
    assert_envelope(response, 400, param="variant", code="invalid_value")


@pytest.mark.parametrize(
    ("body", "param"),
    [({}, "prompt"), ({"prompt": ""}, "prompt"), ({"prompt": 5}, "prompt")],
)
def test_remix_rejected(api: Api, body: dict[str, Any], param: str) -> None:
    source = api.created(prompt="source")
    response = api.http.post(api.url(source["id"], "/remix"), json=body)
    assert_envelope(response, 400, param=param)

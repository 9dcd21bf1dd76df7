"""conformance.contract: locating the spec and validating instances against its components."""

from __future__ import annotations

import copy
import importlib.resources
from pathlib import Path
from typing import Any

import pytest

from conformance import contract

VIDEO: dict[str, Any] = {
    "id": "video_abc",
    "object": "video",
    "model": "sora-2",
    "status": "queued",
    "progress": 0,
    "created_at": 1760000000,
    "completed_at": None,
    "expires_at": None,
    "prompt": "A cat",
    "size": "720x1280",
    "seconds": "4",
    "remixed_from_video_id": None,
    "error": None,
}
ERROR = {"error": {"message": "Invalid value", "type": "invalid_request_error",
                   "param": "seconds", "code": "invalid_value"}}  # fmt: skip


def video(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(VIDEO), **changes}


def test_spec_is_found_and_versioned() -> None:
    assert contract.spec_path().is_file()
    assert contract.spec_path().name == "openapi.yaml"
    assert contract.spec_version() == contract.load_spec()["info"]["version"]
    assert contract.spec_version().startswith("2.3.0-")


def test_packaged_spec_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An installed wheel carries the spec as conformance/spec/openapi.yaml.
    packaged = tmp_path / "spec" / "openapi.yaml"
    packaged.parent.mkdir()
    packaged.write_text("openapi: 3.1.0\n")
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    assert contract.spec_path() == packaged


def test_source_tree_spec_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    expected = Path(contract.__file__).resolve().parent.parent / "spec" / "openapi.yaml"
    assert contract.spec_path() == expected


def test_load_spec_is_cached() -> None:
    assert contract.load_spec() is contract.load_spec()


def test_component_names_cover_the_fixed_names() -> None:
    assert {
        "Video", "VideoList", "DeletedVideo", "VideoJobError", "Error", "ErrorResponse",
        "CreateVideoJsonBody", "CreateVideoMultipartBody", "RemixVideoBody", "ImageReference",
        "VideoSize", "VideoSeconds", "VideoModel",
    } <= set(contract.component_names())  # fmt: skip


def test_schema_returns_the_raw_component() -> None:
    assert contract.schema("VideoSeconds")["enum"] == ["4", "8", "12"]


def test_unknown_component_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"known: .*VideoList"):
        contract.errors("Videos", {})
    with pytest.raises(KeyError, match="unknown component 'Nope'"):
        contract.schema("Nope")


@pytest.mark.parametrize(
    "instance",
    [
        video(),
        video(status="completed", progress=100, completed_at=1760000100, expires_at=1760003700),
        video(status="failed", error={"code": "internal_error", "message": "boom"}),
        # Vendors add keys; the SDK's job error has more keys than the spec's.
        video(quality="standard", url="https://cdn.example/v.mp4"),
        video(error={"code": "x", "message": "y", "param": None, "type": "server_error"}),
        video(seconds="16", model="wan-2.2", prompt=None, remixed_from_video_id="video_src"),
    ],
)
def test_valid_videos_have_no_errors(instance: dict[str, Any]) -> None:
    assert contract.errors("Video", instance) == []
    assert contract.is_valid("Video", instance)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"status": "processing"}, "at /status: 'processing' is not one of ['queued', "),
        ({"progress": "45%"}, "at /progress: '45%' is not of type 'integer'"),
        ({"progress": 0.45}, "at /progress: 0.45 is not of type 'integer'"),
        ({"progress": 101}, "at /progress: 101 is greater than the maximum of 100"),
        ({"progress": -1}, "at /progress: -1 is less than the minimum of 0"),
        ({"seconds": 4}, "at /seconds: 4 is not of type 'string'"),
        ({"size": "16:9"}, "at /size: '16:9' is not one of"),
        ({"object": "video.job"}, "at /object: 'video.job' is not one of ['video']"),
        ({"created_at": "2025-10-01T00:00:00Z"}, "at /created_at: '2025-10-01T00:00:00Z' is not"),
        ({"error": {"code": 1, "message": "m"}}, "at /error/code: 1 is not of type 'string'"),
        ({"error": "boom"}, "at /error: 'boom' is not"),
        ({"id": ""}, "at /id: '' should be non-empty"),
    ],
)
def test_invalid_videos_name_the_path(changes: dict[str, Any], expected: str) -> None:
    found = contract.errors("Video", video(**changes))
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_every_missing_key_is_reported() -> None:
    for key in VIDEO:
        incomplete = video()
        del incomplete[key]
        assert contract.errors("Video", incomplete) == [f"at /: '{key}' is a required property"]


def test_errors_are_ordered_by_path_and_list_indices_numerically() -> None:
    items = [video() for _ in range(12)]
    items[2]["seconds"] = 4
    items[10]["status"] = "done"
    page = {"object": "list", "data": items, "first_id": None, "last_id": None, "has_more": False}
    found = contract.errors("VideoList", page)
    assert [line.split(":")[0] for line in found] == ["at /data/2/seconds", "at /data/10/status"]


def test_long_messages_are_truncated() -> None:
    found = contract.errors("Video", ["x" * 5000])
    assert len(found) == 1
    assert len(found[0]) < 400
    assert found[0].endswith("…")


def test_pointer_escapes_special_keys() -> None:
    found = contract.errors("VideoList", {"object": "list", "data": {"a/b": 1}, "first_id": None,
                                          "last_id": None, "has_more": False})  # fmt: skip
    assert found and found[0].startswith("at /data: ")
    error = {"error": {"message": "m", "type": "t", "param": None, "code": None}}
    assert contract.errors("ErrorResponse", {**error, "x~y/z": 1}) == []


def test_list_and_deleted_objects() -> None:
    page = {"object": "list", "data": [video()], "first_id": "video_abc",
            "last_id": "video_abc", "has_more": False}  # fmt: skip
    assert contract.errors("VideoList", page) == []
    assert contract.errors("VideoList", {**page, "has_more": "false"}) == [
        "at /has_more: 'false' is not of type 'boolean'"
    ]
    deleted = {"object": "video.deleted", "deleted": True, "id": "video_abc"}
    assert contract.errors("DeletedVideo", deleted) == []
    assert contract.errors("DeletedVideo", {**deleted, "object": "video"}) == [
        "at /object: 'video' is not one of ['video.deleted']"
    ]


@pytest.mark.parametrize(
    "body",
    [
        ERROR,
        {"error": {"message": "m", "type": "t", "param": None, "code": None}},
        {"error": {**ERROR["error"], "extra": True}, "request_id": "req_1"},
    ],
)
def test_error_envelopes(body: object) -> None:
    assert contract.is_error_envelope(body)


@pytest.mark.parametrize(
    "body",
    [
        {"detail": "Generation is still in-progress"},  # FastAPI style
        {"error": "not found"},
        {"error": {"message": "m", "type": "t"}},  # param and code are required (nullable)
        {"error": {"message": "m", "type": None, "param": None, "code": None}},
        {"error": {"message": 1, "type": "t", "param": None, "code": None}},
        "Internal Server Error",
        None,
        [],
    ],
)
def test_not_error_envelopes(body: object) -> None:
    assert not contract.is_error_envelope(body)


def test_request_bodies() -> None:
    assert contract.errors("CreateVideoJsonBody", {"prompt": "A cat", "seconds": "8"}) == []
    assert contract.errors("CreateVideoJsonBody", {"prompt": "A cat", "seconds": 8}) == [
        "at /seconds: 8 is not of type 'string'",
        "at /seconds: 8 is not one of ['4', '8', '12']",
    ]
    assert contract.errors("CreateVideoJsonBody", {"prompt": ""}) == [
        "at /prompt: '' should be non-empty"
    ]
    assert contract.errors("CreateVideoJsonBody", {"prompt": "x" * 32001})[0].startswith(
        "at /prompt: "
    )
    # Unknown fields are not a violation: the contract is silent on them.
    assert contract.errors("CreateVideoJsonBody", {"prompt": "A cat", "style": "noir"}) == []
    assert contract.errors("RemixVideoBody", {}) == ["at /: 'prompt' is a required property"]


def test_image_reference_needs_exactly_one_source() -> None:
    assert contract.errors("ImageReference", {"file_id": "file-123"}) == []
    assert contract.errors("ImageReference", {"image_url": "data:image/png;base64,AA=="}) == []
    assert contract.errors("ImageReference", {}) != []
    assert contract.errors("ImageReference", {"file_id": "f", "image_url": "https://x/y.png"}) != []


def test_contract_facts_come_from_the_spec() -> None:
    from conformance.contract import (
        DEFAULT_MODEL,
        DEFAULT_SECONDS,
        DEFAULT_SIZE,
        MODELS,
        SECONDS,
        SIZES,
        STATUSES,
        VARIANTS,
    )

    assert STATUSES == ("queued", "in_progress", "completed", "failed")
    assert SECONDS == ("4", "8", "12")
    assert SIZES == ("720x1280", "1280x720", "1024x1792", "1792x1024")
    assert VARIANTS[0] == "video" and set(VARIANTS) == {"video", "thumbnail", "spritesheet"}
    assert DEFAULT_MODEL in MODELS and DEFAULT_MODEL == "sora-2"
    assert (DEFAULT_SECONDS, DEFAULT_SIZE) == ("4", "720x1280")  # api §2.1, from prose
    # the defaults are valid values of their own enums
    assert DEFAULT_SECONDS in SECONDS and DEFAULT_SIZE in SIZES


def test_the_reference_provider_defaults_are_the_contract() -> None:
    from conformance import contract
    from conformance.provider.behaviour import Behaviour

    behaviour = Behaviour()
    assert behaviour.seconds_allowed == contract.SECONDS
    assert behaviour.sizes_allowed == contract.SIZES
    assert behaviour.models_allowed == contract.MODELS
    assert (behaviour.default_model, behaviour.default_seconds, behaviour.default_size) == (
        contract.DEFAULT_MODEL,
        contract.DEFAULT_SECONDS,
        contract.DEFAULT_SIZE,
    )

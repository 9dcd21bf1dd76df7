"""The hand-written contract itself: valid OpenAPI 3.1, complete, and loadable by schemathesis."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from openapi_spec_validator import validate
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.stateful import collect_transitions

from conformance import contract
from conformance.provider.behaviour import CONTRACT_MODELS, CONTRACT_SECONDS, CONTRACT_SIZES

OPERATIONS = {
    ("post", "/videos"): "createVideo",
    ("get", "/videos"): "ListVideos",
    ("get", "/videos/{video_id}"): "GetVideo",
    ("delete", "/videos/{video_id}"): "DeleteVideo",
    ("get", "/videos/{video_id}/content"): "RetrieveVideoContent",
    ("post", "/videos/{video_id}/remix"): "CreateVideoRemix",
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return contract.load_spec()


def test_spec_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on any structural error


def test_exactly_the_six_operations_with_official_ids(spec: dict[str, Any]) -> None:
    found = {key: op["operationId"] for key, op in _operations(spec).items()}
    assert found == OPERATIONS


def test_server_and_bearer_security(spec: dict[str, Any]) -> None:
    assert spec["servers"] == [
        {"url": "https://api.openai.com/v1", "description": spec["servers"][0]["description"]}
    ]
    assert spec["components"]["securitySchemes"]["BearerAuth"] == {
        **spec["components"]["securitySchemes"]["BearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert spec["security"] == [{"BearerAuth": []}]
    assert all(not path.startswith("/v1") for path in spec["paths"])


def test_no_operation_is_flagged_deprecated(spec: dict[str, Any]) -> None:
    # `--exclude-deprecated` would otherwise drop the whole contract (spec/README.md).
    assert not [key for key, op in _operations(spec).items() if op.get("deprecated")]


@pytest.mark.parametrize("create", [("post", "/videos"), ("post", "/videos/{video_id}/remix")])
def test_creating_operations_accept_json_and_multipart(
    spec: dict[str, Any], create: tuple[str, str]
) -> None:
    body = _operations(spec)[create]["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {"application/json", "multipart/form-data"}


def test_multipart_reference_image_is_a_binary_part(spec: dict[str, Any]) -> None:
    content = _operations(spec)[("post", "/videos")]["requestBody"]["content"]
    multipart = content["multipart/form-data"]
    field = _resolve(spec, multipart["schema"])["properties"]["input_reference"]
    assert field == {**field, "type": "string", "format": "binary"}
    assert multipart["encoding"]["input_reference"]["contentType"] == (
        "image/png, image/jpeg, image/webp"
    )


def test_request_bodies_do_not_forbid_unknown_fields(spec: dict[str, Any]) -> None:
    for name in ("CreateVideoJsonBody", "CreateVideoMultipartBody", "RemixVideoBody"):
        assert "additionalProperties" not in spec["components"]["schemas"][name]


def test_list_query_parameters(spec: dict[str, Any]) -> None:
    params = {p["name"]: p["schema"] for p in _operations(spec)[("get", "/videos")]["parameters"]}
    assert params["limit"] == {"type": "integer", "minimum": 0, "maximum": 100}
    assert params["order"] == {"type": "string", "enum": ["asc", "desc"]}
    assert params["after"] == {"type": "string"}


def test_content_variants_and_media_types(spec: dict[str, Any]) -> None:
    operation = _operations(spec)[("get", "/videos/{video_id}/content")]
    variant = next(p for p in operation["parameters"] if p["name"] == "variant")
    assert variant["schema"]["enum"] == ["video", "thumbnail", "spritesheet"]
    ok = operation["responses"]["200"]["content"]
    assert set(ok) == {"video/mp4", "image/webp", "image/jpeg"}
    assert all(media["schema"] == {"type": "string", "format": "binary"} for media in ok.values())
    # Content that is not ready yet: the contract leaves 400, 404 and 409 open.
    assert {"400", "404", "409"} <= set(operation["responses"])


def test_every_error_response_carries_the_envelope(spec: dict[str, Any]) -> None:
    for key, operation in _operations(spec).items():
        codes = set(operation["responses"])
        assert {"400", "401", "429", "5XX", "default"} <= codes, key
        for code, response in operation["responses"].items():
            if code.startswith("2"):
                continue
            media = _resolve(spec, response)["content"]
            assert set(media) == {"application/json"}, (key, code)
            assert media["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorResponse"
            }, (key, code)


def test_404_documented_wherever_a_resource_is_named(spec: dict[str, Any]) -> None:
    for key, operation in _operations(spec).items():
        if "{video_id}" in key[1] or key == ("post", "/videos"):
            assert "404" in operation["responses"], key


def test_rate_limit_documents_optional_retry_after(spec: dict[str, Any]) -> None:
    for key, operation in _operations(spec).items():
        response = _resolve(spec, operation["responses"]["429"])
        header = _resolve(spec, response["headers"]["Retry-After"])
        assert header["required"] is False, key
        assert header["schema"] == {"type": "integer", "minimum": 1}, key


def test_retrieve_documents_poll_after_header(spec: dict[str, Any]) -> None:
    response = _operations(spec)[("get", "/videos/{video_id}")]["responses"]["200"]
    header = _resolve(spec, response["headers"]["openai-poll-after-ms"])
    assert header["required"] is False
    assert header["schema"]["type"] == "integer"


def test_create_links_to_the_follow_up_operations(spec: dict[str, Any]) -> None:
    links = _operations(spec)[("post", "/videos")]["responses"]["200"]["links"]
    resolved = {name: _resolve(spec, link) for name, link in links.items()}
    targets = {link["operationId"] for link in resolved.values()}
    assert targets == {"GetVideo", "RetrieveVideoContent", "DeleteVideo", "CreateVideoRemix"}
    for link in resolved.values():
        assert link["parameters"] == {"video_id": "$response.body#/id"}


def test_video_requires_all_thirteen_keys(spec: dict[str, Any]) -> None:
    video = spec["components"]["schemas"]["Video"]
    assert len(video["required"]) == 13
    assert set(video["required"]) == set(video["properties"])
    assert "additionalProperties" not in video


def _schemathesis_operations(loaded: Any) -> list[Any]:
    operations = []
    for result in loaded.get_all_operations():
        assert isinstance(result, Ok), result  # an Err carries the reason the operation is invalid
        operations.append(result.ok())
    return operations


def test_schemathesis_loads_all_six_operations() -> None:
    loaded = schemathesis.openapi.from_path(str(contract.spec_path()))
    ids = {op.definition.raw["operationId"] for op in _schemathesis_operations(loaded)}
    assert ids == set(OPERATIONS.values())


def test_schemathesis_follows_the_explicit_links() -> None:
    loaded = schemathesis.openapi.from_path(str(contract.spec_path()))
    transitions = collect_transitions(_schemathesis_operations(loaded))
    outgoing = transitions.operations["POST /videos"].outgoing
    assert {link.target.definition.raw["operationId"] for link in outgoing} == {
        "GetVideo",
        "RetrieveVideoContent",
        "DeleteVideo",
        "CreateVideoRemix",
    }
    assert not any(link.is_inferred for link in outgoing)
    loaded.as_state_machine()  # raises InvalidStateMachine on a broken link


def test_enums_match_the_reference_provider_defaults(spec: dict[str, Any]) -> None:
    # The provider's defaults are "the contract"; the two must never drift apart.
    schemas = spec["components"]["schemas"]
    assert tuple(schemas["VideoSeconds"]["enum"]) == CONTRACT_SECONDS
    assert tuple(schemas["VideoSize"]["enum"]) == CONTRACT_SIZES
    assert tuple(schemas["VideoModel"]["examples"]) == CONTRACT_MODELS
    assert schemas["VideoModel"] == {**schemas["VideoModel"], "type": "string"}
    assert "enum" not in schemas["VideoModel"]  # an open string, as upstream


def test_response_seconds_is_any_string_and_progress_a_percent(spec: dict[str, Any]) -> None:
    video = spec["components"]["schemas"]["Video"]["properties"]
    assert video["seconds"] == {**video["seconds"], "type": "string"}
    assert "enum" not in video["seconds"]
    assert (video["progress"]["minimum"], video["progress"]["maximum"]) == (0, 100)

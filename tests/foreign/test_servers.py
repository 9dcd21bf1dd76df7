"""The foreign servers themselves follow the contract, so a failed check is the checker's doing.

Fast tests (no checker run): every body is validated against the components of
``spec/openapi.yaml`` with jsonschema directly, and the official SDK drives the lifecycle.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import jsonschema
import openai
import pytest
import yaml

from tests.foreign.asgi_provider import Options, running
from tests.foreign.proxy import ProxyOptions, proxied

SPEC = yaml.safe_load((Path(__file__).parents[2] / "spec" / "openapi.yaml").read_text())
FAST = Options(queue_seconds=0.1, render_seconds=0.3)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def conforms(component: str, body: Any) -> None:
    """Raise unless ``body`` validates against ``components/schemas/<component>``."""
    schema = {**SPEC, "$ref": f"#/components/schemas/{component}"}
    jsonschema.Draft202012Validator(schema).validate(body)


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    with running(FAST) as (base_url, app):
        headers = {"Authorization": f"Bearer {app.options.api_key}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            yield client


def wait_done(api: httpx.Client, video_id: str) -> dict[str, Any]:
    for _ in range(100):
        video = api.get(f"/videos/{video_id}").json()
        conforms("Video", video)
        if video["status"] in ("completed", "failed"):
            return dict(video)
        time.sleep(0.05)
    raise AssertionError(f"{video_id} never finished")


def test_json_create_runs_to_a_decodable_mp4_of_the_requested_size(api: httpx.Client) -> None:
    created = api.post("/videos", json={"prompt": "a cat", "size": "1280x720"})
    assert created.status_code == 200
    conforms("Video", created.json())
    assert created.json()["status"] == "queued"
    early = api.get(f"/videos/{created.json()['id']}/content")
    assert early.status_code == 409
    conforms("ErrorResponse", early.json())
    done = wait_done(api, created.json()["id"])
    assert done["status"] == "completed" and done["progress"] == 100
    content = api.get(f"/videos/{done['id']}/content")
    assert content.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(content.content), mode="r") as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (1280, 720)
        assert container.duration is not None and round(container.duration / 1e6) == 4


def test_multipart_create_with_an_image_and_variants(api: httpx.Client) -> None:
    created = api.post(
        "/videos",
        data={"prompt": "a dog", "seconds": "8"},
        files={"input_reference": ("ref.png", PNG, "image/png")},
    )
    assert created.status_code == 200, created.text
    done = wait_done(api, created.json()["id"])
    assert done["seconds"] == "8"
    thumb = api.get(f"/videos/{done['id']}/content", params={"variant": "thumbnail"})
    assert thumb.headers["content-type"] == "image/webp" and thumb.content[8:12] == b"WEBP"
    sheet = api.get(f"/videos/{done['id']}/content", params={"variant": "spritesheet"})
    assert sheet.headers["content-type"] == "image/jpeg" and sheet.content[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "fields",
    [{}, {"prompt": ""}, {"prompt": "x", "seconds": 4}, {"prompt": "x", "size": "16:9"}],
)
def test_invalid_creates_are_400_with_the_envelope(api: httpx.Client, fields: Any) -> None:
    answer = api.post("/videos", json=fields)
    assert answer.status_code == 400
    conforms("ErrorResponse", answer.json())


def test_list_pages_through_every_job_once_in_both_orders(api: httpx.Client) -> None:
    ids = [api.post("/videos", json={"prompt": f"p{i}"}).json()["id"] for i in range(5)]
    for order, expected in (("asc", ids), ("desc", ids[::-1])):
        seen: list[str] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, "order": order}
            if after:
                params["after"] = after
            page = api.get("/videos", params=params).json()
            conforms("VideoList", page)
            seen += [v["id"] for v in page["data"]]
            if not page["has_more"]:
                break
            after = page["last_id"]
        assert seen == expected


def test_remix_delete_and_unknown_ids(api: httpx.Client) -> None:
    source = wait_done(api, api.post("/videos", json={"prompt": "a"}).json()["id"])
    remix = api.post(f"/videos/{source['id']}/remix", json={"prompt": "b"}).json()
    conforms("Video", remix)
    assert remix["remixed_from_video_id"] == source["id"]
    deleted = api.delete(f"/videos/{source['id']}").json()
    conforms("DeletedVideo", deleted)
    assert deleted == {"id": source["id"], "object": "video.deleted", "deleted": True}
    for path in (f"/videos/{source['id']}", f"/videos/{source['id']}/content"):
        assert api.get(path).status_code == 404
    assert api.delete("/videos/video_nope").status_code == 404
    assert api.post("/videos/video_nope/remix", json={"prompt": "c"}).status_code == 404


def test_auth_is_bearer_only() -> None:
    with running(FAST) as (base_url, app):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"x-api-key": app.options.api_key}):
            answer = httpx.get(f"{base_url}/videos", headers=headers)
            assert answer.status_code == 401
            conforms("ErrorResponse", answer.json())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK's Sora shutdown notice
def test_official_sdk_drives_the_provider_through_the_proxy() -> None:
    options = ProxyOptions(extra_keys=True, redirect_content=True, throttle_every=3)
    with running(FAST) as (base_url, app), proxied(base_url, options) as (proxy_url, proxy):
        client = openai.OpenAI(base_url=proxy_url, api_key=app.options.api_key, max_retries=5)
        video = client.videos.create_and_poll(prompt="a fox", poll_interval_ms=50)
        assert video.status == "completed"
        data = client.videos.download_content(video.id).content
        assert data[4:8] == b"ftyp"
        assert proxy.throttled > 0
        assert proxy.cdn is not None and proxy.cdn.requests
        assert all("authorization" not in h for h in proxy.cdn.requests)


def test_proxy_chunks_content_and_refuses_once() -> None:
    options = ProxyOptions(chunked_content=True, unavailable_once="POST /videos")
    with running(FAST) as (base_url, app), proxied(base_url, options) as (proxy_url, _):
        headers = {"Authorization": f"Bearer {app.options.api_key}"}
        with httpx.Client(base_url=proxy_url, headers=headers) as api:
            first = api.post("/videos", json={"prompt": "x"})
            assert first.status_code == 503 and first.headers["retry-after"] == "1"
            done = wait_done(api, api.post("/videos", json={"prompt": "x"}).json()["id"])
            content = api.get(f"/videos/{done['id']}/content")
            assert content.headers.get("transfer-encoding") == "chunked"
            assert "content-length" not in content.headers
            assert content.content[4:8] == b"ftyp"

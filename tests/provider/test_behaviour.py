"""Every ``Behaviour`` field, exercised on the wire at least once.

Each test names the fields it exercises; ``test_every_field_is_exercised`` fails when a field is
added to ``Behaviour`` without a test here.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest

from conformance import contract
from conformance.provider.behaviour import Behaviour
from conformance.provider.wire import RETRIEVE_ID_SUFFIX

from .support import (
    Api,
    assert_envelope,
    fast_config,
    image_of,
    png_bytes,
    probe_mp4,
    provider,
    with_behaviour,
)

EXERCISED: set[str] = set()
F = TypeVar("F", bound=Callable[..., Any])
KEY = "sk-behaviour-test-key"


def exercises(*fields: str) -> Callable[[F], F]:
    """Record which Behaviour fields a test exercises."""
    known = {f.name for f in dataclasses.fields(Behaviour)}
    unknown = set(fields) - known
    assert not unknown, f"not Behaviour fields: {unknown}"
    EXERCISED.update(fields)
    return lambda test: test


def slow(**fields: Any) -> Any:
    """A behaviour config whose jobs never finish during the test (no render cost)."""
    return fast_config(render_seconds=120, behaviour=Behaviour().with_overrides(fields))


# --- what create accepts --------------------------------------------------------------------


@exercises("seconds_allowed", "seconds_accept_integer")
def test_seconds_allowed_and_integer() -> None:
    with provider(slow(seconds_allowed=("4", "5"), seconds_accept_integer=True)) as api:
        assert api.create(prompt="p", seconds="5").json()["seconds"] == "5"
        assert_envelope(api.create(prompt="p", seconds="8"), 400, param="seconds")
        assert api.create(prompt="p", seconds=4).json()["seconds"] == "4"
        assert_envelope(api.create(prompt="p", seconds=8), 400, param="seconds")


@exercises("seconds_accept_any", "sizes_allowed", "size_aliases", "sizes_accept_any")
def test_lenient_seconds_and_sizes_render_what_they_accept() -> None:
    behaviour = Behaviour(
        seconds_accept_any=True,
        sizes_allowed=("640x480",),
        size_aliases={"16:9": "320x180"},
    )
    with provider(fast_config(render_seconds=0.2, behaviour=behaviour)) as api:
        cases = {
            api.created(prompt="a", seconds="2", size="640x480")["id"]: (640, 480, 2.0),
            api.created(prompt="b", seconds="1", size="16:9")["id"]: (320, 180, 1.0),
        }
        assert_envelope(api.create(prompt="c", size="1280x720"), 400, param="size")
        assert_envelope(api.create(prompt="c", seconds="0"), 400, param="seconds")
        for video_id, expected in cases.items():
            done = api.wait(video_id)
            assert done["size"] in ("640x480", "16:9")
            mp4 = probe_mp4(api.content(video_id).content)
            assert (mp4.width, mp4.height, mp4.duration) == expected
    with provider(
        fast_config(render_seconds=0.2, behaviour=Behaviour(sizes_accept_any=True))
    ) as api:
        odd = api.created(prompt="odd", size="400x300", seconds="4")
        junk = api.created(prompt="junk", size="wide")
        assert junk["size"] == "wide"
        assert probe_mp4(_done_content(api, odd["id"])).width == 400
        assert probe_mp4(_done_content(api, junk["id"])).width == 720  # the default size


def _done_content(api: Api, video_id: str) -> bytes:
    api.wait(video_id)
    response = api.content(video_id)
    assert response.status_code == 200, response.text
    return response.content


@exercises("models_allowed", "model_required", "default_model", "default_seconds", "default_size")
def test_models_and_defaults() -> None:
    with provider(
        slow(
            models_allowed=None,
            default_model="wan-2.2",
            default_seconds="8",
            default_size="1280x720",
        )
    ) as api:
        defaults = api.created(prompt="defaults")
        assert (defaults["model"], defaults["seconds"], defaults["size"]) == (
            "wan-2.2",
            "8",
            "1280x720",
        )
        assert api.created(prompt="p", model="anything/goes")["model"] == "anything/goes"
    with provider(slow(models_allowed=("m1",), model_required=True)) as api:
        assert_envelope(
            api.create(prompt="p"), 400, param="model", code="missing_required_parameter"
        )
        assert_envelope(api.create(prompt="p", model="sora-2"), 400, param="model")
        assert api.created(prompt="p", model="m1")["model"] == "m1"


@exercises("unknown_model_status")
def test_unknown_model_status() -> None:
    with provider(slow(models_allowed=("m1",), unknown_model_status=404)) as api:
        assert_envelope(api.create(prompt="p", model="m2"), 404, param="model")
        assert_envelope(api.create(prompt="", model="m1"), 400, param="prompt")


@exercises("prompt_max_chars", "prompt_allow_empty", "prompt_required")
def test_prompt_rules() -> None:
    with provider(slow(prompt_max_chars=10, prompt_allow_empty=True, prompt_required=False)) as api:
        assert_envelope(
            api.create(prompt="x" * 11), 400, param="prompt", code="string_above_max_length"
        )
        assert api.created(prompt="x" * 10)["prompt"] == "x" * 10
        assert api.created(prompt="")["prompt"] == ""
        assert api.created()["prompt"] is None
    with provider(slow(prompt_max_chars=None)) as api:
        assert len(api.created(prompt="z" * 40000)["prompt"]) == 40000


@exercises("create_encodings")
def test_create_encodings() -> None:
    with provider(slow(create_encodings=["multipart"])) as api:
        assert_envelope(api.create(prompt="p"), 415, code="unsupported_media_type")
        assert api.create_multipart({"prompt": "p"}).status_code == 200
    with provider(slow(create_encodings=["json"])) as api:
        assert_envelope(api.create_multipart({"prompt": "p"}), 415)
        assert api.create(prompt="p").status_code == 200


@exercises("multipart_requires_file", "sizes_by_model", "input_reference_supported")
def test_reference_and_per_model_sizes() -> None:
    image = png_bytes(32, 32, (0, 0, 255))
    upload = {"input_reference": ("a.png", image, "image/png")}
    narrowed = {"sora-2": ["720x1280", "1280x720"]}
    with provider(slow(multipart_requires_file=True, sizes_by_model=narrowed)) as api:
        assert_envelope(api.create_multipart({"prompt": "p"}), 400, param="input_reference")
        assert api.create_multipart({"prompt": "p"}, upload).status_code == 200
        assert api.create(prompt="text to video as JSON").status_code == 200
        assert_envelope(api.create(prompt="p", model="sora-2", size="1024x1792"), 400, param="size")
        assert api.create(prompt="p", model="sora-2-pro", size="1024x1792").status_code == 200
    with provider(slow(input_reference_supported=False)) as api:
        assert_envelope(api.create_multipart({"prompt": "p"}, upload), 400, param="input_reference")


@exercises("validation_creates_job", "validation_status", "error_param")
def test_validation_faults() -> None:
    with provider(
        slow(validation_creates_job=True, validation_status=422, error_param=False)
    ) as api:
        response = api.create(prompt="p", seconds="5")
        assert_envelope(response, 422, param=None)
        listed = api.http.get(f"{api.base_url}/videos").json()["data"]
        assert len(listed) == 1 and listed[0]["seconds"] == "4"


# --- auth and routes ------------------------------------------------------------------------


@exercises("auth_styles", "auth_exempt_routes", "auth_status")
def test_auth_knobs() -> None:
    behaviour = Behaviour(
        auth_styles=frozenset({"x-api-key"}),
        auth_exempt_routes=frozenset({"list"}),
        auth_status=403,
    )
    with provider(fast_config(api_key=KEY, behaviour=behaviour)) as api:
        assert api.http.get(f"{api.base_url}/videos").status_code == 200
        bearer = api.http.post(
            f"{api.base_url}/videos",
            json={"prompt": "p"},
            headers={"authorization": f"Bearer {KEY}"},
        )
        assert_envelope(bearer, 403, code="invalid_api_key")
        keyed = api.http.post(
            f"{api.base_url}/videos", json={"prompt": "p"}, headers={"x-api-key": KEY}
        )
        assert keyed.status_code == 200


@exercises("routes_disabled", "disabled_route_status", "variants_supported", "create_status")
def test_routes_and_variants() -> None:
    with provider(
        with_behaviour(
            routes_disabled=["list", "remix", "delete"],
            disabled_route_status=405,
            variants_supported=False,
            create_status=201,
        )
    ) as api:
        created = api.create(prompt="p")
        assert created.status_code == 201
        video_id = created.json()["id"]
        assert_envelope(api.http.get(f"{api.base_url}/videos"), 405)
        assert_envelope(api.delete(video_id), 405)
        api.wait(video_id)
        assert_envelope(api.remix(video_id, "again"), 405)
        assert api.content(video_id).status_code == 200
        assert_envelope(api.content(video_id, "thumbnail"), 400, param="variant")


# --- the Video object -------------------------------------------------------------------------


@exercises("status_words", "progress_style", "progress_at_completion")
def test_status_words_and_progress_styles() -> None:
    words = {"queued": "pending", "in_progress": "processing", "completed": "succeeded"}
    with provider(
        with_behaviour(status_words=words, progress_style="fraction", progress_at_completion=99)
    ) as api:
        created = api.created(prompt="p")
        assert created["status"] == "pending"
        seen = api.history(created["id"], terminal=("succeeded",))
        assert "processing" in {body["status"] for body in seen}
        assert seen[-1]["status"] == "succeeded" and seen[-1]["progress"] == 0.99
        assert all(
            isinstance(body["progress"], float | int) and body["progress"] <= 1 for body in seen
        )
    with provider(with_behaviour(progress_style="percent_string")) as api:
        created = api.created(prompt="p")
        assert created["progress"] == "0%"
        assert api.wait(created["id"])["progress"] == "100%"


@exercises("progress_regress", "status_regress")
def test_regress_faults() -> None:
    config = fast_config(render_seconds=1, behaviour=Behaviour(progress_regress=True))
    with provider(config) as api:
        seen = api.history(api.created(prompt="p")["id"])
        progress = [body["progress"] for body in seen]
        assert any(b < a for a, b in itertools.pairwise(progress)), progress
    config = fast_config(render_seconds=1, behaviour=Behaviour(status_regress=True))
    with provider(config) as api:
        statuses = [body["status"] for body in api.history(api.created(prompt="p")["id"])]
        first = statuses.index("in_progress")
        assert "queued" in statuses[first:], statuses


@exercises(
    "omit_null_keys", "omit_keys_when_null", "omit_keys", "extra_fields", "extra_fields_by_model"
)
def test_key_omission_and_extras() -> None:
    by_model = {"sora-2-pro": {"quality": "high"}}
    with provider(
        slow(
            omit_null_keys=True,
            extra_fields={"quality": "standard"},
            extra_fields_by_model=by_model,
        )
    ) as api:
        created = api.created(prompt="p")
        assert not {"completed_at", "expires_at", "error", "remixed_from_video_id"} & set(created)
        assert created["quality"] == "standard"
        assert api.created(prompt="p", model="sora-2-pro")["quality"] == "high"
    with provider(slow(omit_keys_when_null=["error"], omit_keys=["prompt"])) as api:
        created = api.created(prompt="p")
        assert "error" not in created and "prompt" not in created
        assert created["completed_at"] is None


@exercises("url_field", "completed_at_early", "completed_at_on_completion", "created_at_unit")
def test_timestamps_and_url() -> None:
    with provider(
        with_behaviour(url_field=True, completed_at_early=True, created_at_unit="ms")
    ) as api:
        created = api.created(prompt="p")
        assert created["completed_at"] is not None and "url" not in created
        assert created["created_at"] > 10**12
        done = api.wait(created["id"])
        assert done["expires_at"] - done["completed_at"] == 3600 * 1000
        assert probe_mp4(api.http.get(done["url"]).content).codec == "h264"
    with provider(with_behaviour(completed_at_on_completion=False, created_at_unit="iso")) as api:
        created = api.created(prompt="p")
        assert datetime.fromisoformat(created["created_at"]).year >= 2024
        done = api.wait(created["id"])
        assert done["completed_at"] is None and isinstance(done["expires_at"], str)


@pytest.mark.parametrize(
    ("style", "check"),
    [
        ("uuid", lambda i: len(i) == 32 and int(i, 16) >= 0),
        ("task", lambda i: i.startswith("task_") and len(i) == 37),
        ("base64std", lambda i: i.startswith("video_") and {"+", "/", "="} <= set(i)),
        ("video_hex", lambda i: i.startswith("video_") and int(i[6:], 16) >= 0),
    ],
)
@exercises("id_style")
def test_id_styles_round_trip(style: str, check: Callable[[str], bool]) -> None:
    with provider(with_behaviour(id_style=style)) as api:
        video_id = api.created(prompt="p")["id"]
        assert check(video_id), video_id
        assert api.wait(video_id)["id"] == video_id
        assert api.content(video_id).status_code == 200
        listed = api.http.get(f"{api.base_url}/videos").json()
        assert listed["data"][0]["id"] == video_id
        assert api.delete(video_id).status_code == 200
        assert api.retrieve(video_id).status_code == 404


@exercises("id_changes_on_retrieve", "object_word", "size_echo")
def test_identity_faults() -> None:
    with provider(
        slow(id_changes_on_retrieve=True, object_word="video.generation", size_echo="1280x720")
    ) as api:
        created = api.created(prompt="p", size="720x1280")
        assert (created["object"], created["size"]) == ("video.generation", "1280x720")
        polled = api.retrieve(created["id"]).json()
        assert polled["id"] == created["id"] + RETRIEVE_ID_SUFFIX
        assert api.retrieve(polled["id"]).status_code == 404


@exercises("render_size", "render_seconds")
def test_render_overrides() -> None:
    with provider(with_behaviour(render_size="320x240", render_seconds=2.0)) as api:
        created = api.created(prompt="p", size="1280x720", seconds="8")
        assert (created["size"], created["seconds"]) == ("1280x720", "8")
        mp4 = probe_mp4(_done_content(api, created["id"]))
        assert (mp4.width, mp4.height, mp4.duration) == (320, 240, 2.0)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("message_only", lambda e: set(e) == {"message"}),
        ("string", lambda e: isinstance(e, str) and e),
        ("missing", lambda e: e is KeyError),
    ],
)
@exercises("failed_error_style")
def test_failed_error_styles(style: str, expected: Callable[[Any], bool]) -> None:
    with provider(with_behaviour(failed_error_style=style)) as api:
        done = api.wait(api.created(prompt="[[fail]]")["id"])
        assert done["status"] == "failed"
        assert expected(done.get("error", KeyError)), done


@exercises("remix_link", "poll_after_ms", "poll_after_raw")
def test_remix_link_and_poll_header() -> None:
    with provider(with_behaviour(remix_link=False, poll_after_ms=None)) as api:
        source = api.created(prompt="p")
        assert "openai-poll-after-ms" not in api.retrieve(source["id"]).headers
        api.wait(source["id"])
        remix = api.remix(source["id"], "r").json()
        assert remix["remixed_from_video_id"] is None
    with provider(slow(poll_after_ms=250)) as api:
        video_id = api.created(prompt="p")["id"]
        assert api.retrieve(video_id).headers["openai-poll-after-ms"] == "250"
    with provider(slow(poll_after_raw="soon")) as api:
        video_id = api.created(prompt="p")["id"]
        assert api.retrieve(video_id).headers["openai-poll-after-ms"] == "soon"


# --- content -----------------------------------------------------------------------------------


@exercises("content_type_video", "variant_ignored")
def test_content_labels() -> None:
    with provider(
        with_behaviour(content_type_video="application/octet-stream", variant_ignored=True)
    ) as api:
        video_id = api.created(prompt="p")["id"]
        api.wait(video_id)
        thumbnail = api.content(video_id, "thumbnail")
        assert thumbnail.headers["content-type"] == "application/octet-stream"
        assert probe_mp4(thumbnail.content).codec == "h264"


@exercises("content_not_ready_status", "content_not_ready_200")
def test_content_not_ready_variants() -> None:
    with provider(slow(content_not_ready_status=409)) as api:
        video_id = api.created(prompt="p")["id"]
        assert_envelope(api.content(video_id), 409, code="video_not_ready")
    with provider(slow(content_not_ready_200=True)) as api:
        response = api.content(api.created(prompt="p")["id"])
        assert response.status_code == 200
        assert contract.is_error_envelope(response.json())


@exercises("content_corrupt", "expiry_enforced")
def test_corrupt_content_and_unenforced_expiry() -> None:
    config = fast_config(
        ttl_seconds=1, behaviour=Behaviour(content_corrupt=True, expiry_enforced=False)
    )
    with provider(config) as api:
        video_id = api.created(prompt="p")["id"]
        done = api.wait(video_id)
        while time.time() < done["expires_at"] + 1:
            time.sleep(0.1)
        response = api.content(video_id)
        assert response.status_code == 200
        assert response.headers["content-type"] == "video/mp4"
        assert response.content[4:8] != b"ftyp"
        with pytest.raises(Exception):  # noqa: B017 - PyAV raises several kinds on garbage
            probe_mp4(response.content)
        assert image_of(api.content(video_id, "thumbnail").content, "WEBP").width == 720


@exercises("content_redirect")
def test_content_redirect_to_signed_url() -> None:
    with provider(fast_config(api_key=KEY, behaviour=Behaviour(content_redirect=True))) as api:
        api.http.headers["authorization"] = f"Bearer {KEY}"
        video_id = api.created(prompt="p")["id"]
        api.wait(video_id)
        response = api.content(video_id, "spritesheet")
        assert response.status_code == 302
        location = response.headers["location"]
        assert urlsplit(location).netloc == urlsplit(api.base_url).netloc
        # The signed URL is its own credential, like a CDN's.
        signed = httpx.get(location)
        assert signed.status_code == 200 and signed.headers["content-type"] == "image/jpeg"
        assert_envelope(httpx.get(location.replace("signature=", "signature=0")), 403)


@exercises("content_redirect_foreign_keyed")
def test_content_redirect_to_another_origin_that_wants_the_key() -> None:
    behaviour = Behaviour(content_redirect=True, content_redirect_foreign_keyed=True)
    with provider(fast_config(api_key=KEY, behaviour=behaviour)) as api:
        api.http.headers["authorization"] = f"Bearer {KEY}"
        video_id = api.created(prompt="p")["id"]
        api.wait(video_id)
        location = api.content(video_id).headers["location"]
        here, there = urlsplit(api.base_url), urlsplit(location)
        assert there.port == here.port and there.hostname != here.hostname
        # Without the key (what clients send across origins) the signed URL is refused.
        assert_envelope(httpx.get(location), 401)
        keyed = httpx.get(location, headers={"authorization": f"Bearer {KEY}"})
        assert keyed.status_code == 200 and keyed.headers["content-type"] == "video/mp4"


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "shape"),
    [
        ("detail", lambda b: set(b) == {"detail"} and isinstance(b["detail"], str)),
        ("flat", lambda b: set(b) == {"code", "message", "data"}),
        ("string", lambda b: set(b) == {"error"} and isinstance(b["error"], str)),
        ("partial", lambda b: set(b["error"]) == {"message", "type"}),
        ("no_param", lambda b: set(b["error"]) == {"message", "type", "code"}),
        ("openai", lambda b: contract.is_error_envelope(b)),
    ],
)
@exercises("error_style")
def test_error_styles(style: str, shape: Callable[[Any], bool]) -> None:
    with provider(slow(error_style=style)) as api:
        for response in (api.retrieve("video_missing"), api.create(prompt="p", seconds="3")):
            assert response.status_code in (400, 404)
            assert shape(response.json()), response.json()


@exercises("unknown_id_status", "retry_after")
def test_unknown_id_status_and_retry_after() -> None:
    config = fast_config(
        render_seconds=120,
        queue_limit=1,
        behaviour=Behaviour(unknown_id_status=500, retry_after=False),
    )
    with provider(config) as api:
        assert_envelope(api.retrieve("video_missing"), 500, type_="server_error")
        api.created(prompt="fills the queue")
        refused = api.create(prompt="p")
        assert refused.status_code == 429 and "retry-after" not in refused.headers


# --- list and delete --------------------------------------------------------------------------


@exercises("list_cursor_fields", "list_order_ignored", "list_limit_ignored")
def test_list_faults() -> None:
    with provider(
        slow(list_cursor_fields=False, list_order_ignored=True, list_limit_ignored=True)
    ) as api:
        ids = [api.created(prompt=str(i))["id"] for i in range(3)]
        page = api.http.get(f"{api.base_url}/videos", params={"order": "asc", "limit": 1}).json()
        assert set(page) == {"object", "data"}
        assert [item["id"] for item in page["data"]] == ids[::-1]


@pytest.mark.parametrize(
    ("style", "shape"),
    [
        ("video_status", lambda b, i: b["status"] == "deleted" and b["id"] == i),
        ("minimal", lambda b, i: b == {"status": "deleted"}),
        ("openai", lambda b, i: b == {"id": i, "object": "video.deleted", "deleted": True}),
    ],
)
@exercises("delete_style")
def test_delete_styles(style: str, shape: Callable[[Any, str], bool]) -> None:
    with provider(slow(delete_style=style)) as api:
        video_id = api.created(prompt="p")["id"]
        response = api.delete(video_id)
        assert response.status_code == 200 and shape(response.json(), video_id)
        assert api.retrieve(video_id).status_code == 404


@exercises("delete_noop")
def test_delete_noop() -> None:
    with provider(slow(delete_noop=True)) as api:
        video_id = api.created(prompt="p")["id"]
        assert api.delete(video_id).json()["deleted"] is True
        assert api.retrieve(video_id).status_code == 200


@exercises("list_delay_s")
def test_list_delay() -> None:
    with provider(slow(list_delay_s=60.0)) as api:
        api.created(prompt="p")
        page = api.http.get(f"{api.base_url}/videos", params={"limit": 10}).json()
        assert page["data"] == [] and page["has_more"] is False


@exercises("delete_rejects_json_content_type")
def test_delete_rejecting_a_json_content_type() -> None:
    with provider(slow(delete_rejects_json_content_type=True)) as api:
        video_id = api.created(prompt="p")["id"]
        sdk_like = api.http.delete(api.url(video_id), headers={"Content-Type": "application/json"})
        assert_envelope(sdk_like, 400, param="body")
        assert api.delete(video_id).status_code == 200


@exercises("remix_jobs_fail")
def test_remix_jobs_fail() -> None:
    with provider(with_behaviour(remix_jobs_fail=True)) as api:
        source = api.created(prompt="p")
        assert api.wait(source["id"])["status"] == "completed"
        remix = api.remix(source["id"], "r").json()
        assert api.wait(remix["id"])["status"] == "failed"


def test_every_field_is_exercised() -> None:
    fields = {f.name for f in dataclasses.fields(Behaviour)}
    assert fields - EXERCISED == set(), "Behaviour fields without a wire test"

"""Create → poll → download → delete over raw HTTP, both request encodings, failures, expiry."""

from __future__ import annotations

import base64
import time

from conformance import contract
from conformance.provider.render import sprite_sheet_size

from .support import (
    assert_envelope,
    assert_video,
    fast_config,
    first_frame,
    image_of,
    multipart,
    png_bytes,
    probe_mp4,
    provider,
    rgb_at,
)


def test_json_create_as_old_sdks_send_it() -> None:
    with provider() as api:
        response = api.create(prompt="a lighthouse", model="sora-2", seconds="8", size="720x1280")
        assert response.status_code == 200
        video = response.json()
        assert_video(video)
        assert (video["status"], video["progress"]) == ("queued", 0)
        assert (video["object"], video["model"], video["seconds"], video["size"]) == (
            "video",
            "sora-2",
            "8",
            "720x1280",
        )
        assert video["prompt"] == "a lighthouse"
        assert video["completed_at"] is None and video["expires_at"] is None
        assert video["error"] is None and video["remixed_from_video_id"] is None
        done = api.wait(video["id"])
        assert done["status"] == "completed"
        mp4 = probe_mp4(api.content(video["id"]).content)
        assert (mp4.width, mp4.height, mp4.duration) == (720, 1280, 8.0)


def test_multipart_create_without_file_uses_defaults() -> None:
    with provider() as api:
        response = api.create_multipart({"prompt": "a quiet harbour"})
        assert response.status_code == 200, response.text
        video = response.json()
        assert_video(video)
        assert (video["model"], video["seconds"], video["size"]) == ("sora-2", "4", "720x1280")
        assert api.wait(video["id"])["status"] == "completed"


def test_lifecycle_progress_rises_to_completion() -> None:
    # A longer render so that several polls land while in progress.
    with provider(fast_config(render_seconds=1.5)) as api:
        video = api.created(prompt="progress")
        seen: list[tuple[str, int]] = []
        poll_after: set[str | None] = set()
        while True:
            response = api.retrieve(video["id"])
            body = response.json()
            assert_video(body)
            assert body["id"] == video["id"]
            seen.append((body["status"], body["progress"]))
            if body["status"] == "completed":
                assert response.headers.get("openai-poll-after-ms") is None
                break
            poll_after.add(response.headers.get("openai-poll-after-ms"))
            assert body["completed_at"] is None
            time.sleep(0.05)
        statuses = [status for status, _ in seen]
        assert "in_progress" in statuses
        progress = [p for _, p in seen]
        assert progress == sorted(progress), "progress must never go down"
        assert all(0 <= p <= 100 for p in progress)
        assert len({p for s, p in seen if s == "in_progress"}) > 1, "progress must rise"
        assert seen[-1] == ("completed", 100)
        hints = {int(h) for h in poll_after if h is not None}
        assert len(hints) == len(poll_after), "a running job always carries the hint"
        assert max(hints) == 500, "while the job is far from done it asks for the full interval"
        assert min(hints) < 500, "as the job comes due it asks the client back sooner"
        assert min(hints) >= 100
        assert body["completed_at"] >= body["created_at"]
        assert body["expires_at"] - body["completed_at"] == 3600


def test_content_variants_decode_at_requested_size() -> None:
    with provider() as api:
        video = api.created(prompt="variants", size="1792x1024", seconds="4")
        api.wait(video["id"])
        response = api.content(video["id"])
        assert response.headers["content-type"] == "video/mp4"
        mp4 = probe_mp4(response.content)
        assert (mp4.width, mp4.height, mp4.duration, mp4.codec) == (1792, 1024, 4.0, "h264")
        assert mp4.frames == 16  # 4 s at the test's 4 fps
        assert mp4.distinct_frames == mp4.frames, "every frame differs from the others"
        default = api.content(video["id"], None)
        assert default.content == response.content

        thumb = api.content(video["id"], "thumbnail")
        assert thumb.headers["content-type"] == "image/webp"
        assert image_of(thumb.content, "WEBP").size == (1792, 1024)
        sheet = api.content(video["id"], "spritesheet")
        assert sheet.headers["content-type"] == "image/jpeg"
        assert image_of(sheet.content, "JPEG").size == sprite_sheet_size(1792, 1024, 16)


def test_input_reference_becomes_the_first_frame() -> None:
    with provider() as api:
        image = png_bytes(300, 200, (250, 10, 10))
        response = api.create_multipart(
            {"prompt": "from a picture", "size": "1280x720"},
            {"input_reference": ("red.png", image, "image/png")},
        )
        assert response.status_code == 200, response.text
        video_id = response.json()["id"]
        api.wait(video_id)
        first = first_frame(api.content(video_id).content)
        red, green, blue = rgb_at(first.resize((1, 1)), 0, 0)
        assert red > 200 and green < 60 and blue < 60, (red, green, blue)

        # The JSON object form with a data URL works too.
        data_url = "data:image/png;base64," + base64.b64encode(image).decode()
        response = api.create(prompt="from a data url", input_reference={"image_url": data_url})
        assert response.status_code == 200, response.text
        assert api.wait(response.json()["id"])["status"] == "completed"


def test_fail_marker_fails_the_job_inside_the_video() -> None:
    with provider() as api:
        video = api.created(prompt="this one will [[fail]]")
        done = api.wait(video["id"])
        assert_video(done)
        assert done["status"] == "failed"
        assert done["error"]["code"] == "generation_failed" and done["error"]["message"]
        assert done["completed_at"] is not None and done["expires_at"] is None
        error = assert_envelope(api.content(video["id"]), 400, code="video_not_ready")
        assert "failed" in error["message"]
        assert api.remix(video["id"], "again").status_code == 400


def test_fail_rate_is_seeded_and_reproducible() -> None:
    def outcomes() -> list[str]:
        with provider(fast_config(fail_rate=0.5, seed=7, render_seconds=0.1)) as api:
            ids = [api.created(prompt=f"job {i}")["id"] for i in range(6)]
            return [api.wait(i)["status"] for i in ids]

    first = outcomes()
    assert set(first) == {"completed", "failed"}
    assert outcomes() == first


def test_content_before_completion_is_a_4xx_envelope() -> None:
    with provider(fast_config(render_seconds=5)) as api:
        video = api.created(prompt="not yet")
        for variant in ("video", "thumbnail", "spritesheet"):
            error = assert_envelope(
                api.content(video["id"], variant), 400, type_="invalid_request_error"
            )
            assert error["code"] == "video_not_ready"
        # Deleting a running job cancels it.
        assert api.delete(video["id"]).status_code == 200
        assert_envelope(api.retrieve(video["id"]), 404, code="not_found")


def test_expired_content_is_404_but_the_video_remains() -> None:
    with provider(fast_config(ttl_seconds=1)) as api:
        video = api.created(prompt="short lived")
        done = api.wait(video["id"])
        assert done["expires_at"] - done["completed_at"] == 1
        assert api.content(video["id"]).status_code == 200
        while time.time() < done["expires_at"] + 1:
            time.sleep(0.1)
        for variant in ("video", "thumbnail", "spritesheet"):
            assert_envelope(api.content(video["id"], variant), 404)
        assert api.retrieve(video["id"]).json()["status"] == "completed"
        assert_envelope(api.remix(video["id"], "too late"), 400, param="video_id")


def test_delete_removes_job_and_files() -> None:
    with provider() as api:
        video = api.created(prompt="to delete")
        api.wait(video["id"])
        response = api.delete(video["id"])
        assert response.status_code == 200
        assert response.json() == {"id": video["id"], "object": "video.deleted", "deleted": True}
        assert contract.errors("DeletedVideo", response.json()) == []
        assert_envelope(api.retrieve(video["id"]), 404, code="not_found")
        assert_envelope(api.content(video["id"]), 404, code="not_found")
        assert_envelope(api.delete(video["id"]), 404, code="not_found")
        assert_envelope(api.remix(video["id"], "x"), 404, code="not_found")
        assert api.http.get(f"{api.base_url}/videos").json()["data"] == []


def test_remix_needs_a_completed_source_and_links_it() -> None:
    with provider(fast_config(render_seconds=0.5)) as api:
        source = api.created(prompt="source", size="1280x720", seconds="8")
        early = api.remix(source["id"], "too early")
        assert_envelope(early, 400, param="video_id", code="invalid_state")
        api.wait(source["id"])
        assert_envelope(api.remix(source["id"], ""), 400, param="prompt")
        response = api.remix(source["id"], "a remix")
        assert response.status_code == 200
        remix = response.json()
        assert_video(remix)
        assert remix["remixed_from_video_id"] == source["id"]
        assert (remix["size"], remix["seconds"], remix["prompt"]) == ("1280x720", "8", "a remix")
        assert remix["id"] != source["id"]
        # Remix accepts multipart as well.
        body, content_type = multipart({"prompt": "multipart remix"}, {})
        again = api.http.post(
            api.url(source["id"], "/remix"), content=body, headers={"content-type": content_type}
        )
        assert again.status_code == 200, again.text
        assert api.wait(remix["id"])["status"] == "completed"


def test_unknown_ids_and_routes_are_404_envelopes() -> None:
    with provider() as api:
        for response in (
            api.retrieve("video_doesnotexist"),
            api.content("video_doesnotexist"),
            api.delete("video_doesnotexist"),
            api.remix("video_doesnotexist", "x"),
        ):
            assert_envelope(response, 404, type_="invalid_request_error", code="not_found")
        assert_envelope(api.http.get(f"{api.base_url}/nothing-here"), 404)
        wrong_method = api.http.post(api.url("video_x", "/content"))
        assert_envelope(wrong_method, 405, type_="invalid_request_error")
        assert response.headers["x-request-id"].startswith("req_")


def test_poll_after_hint_never_exceeds_the_interval_and_shrinks_when_due() -> None:
    from conformance.provider.behaviour import Behaviour
    from conformance.provider.wire import POLL_AFTER_FLOOR_MS, poll_after_header

    contract = Behaviour()
    assert poll_after_header("in_progress", contract, due_in_s=30.0) == "500"
    assert poll_after_header("in_progress", contract, due_in_s=0.23) == "230"
    assert poll_after_header("queued", contract, due_in_s=-5.0) == str(POLL_AFTER_FLOOR_MS)
    assert poll_after_header("completed", contract, due_in_s=1.0) is None
    assert poll_after_header("in_progress", Behaviour(poll_after_ms=None), due_in_s=1.0) is None

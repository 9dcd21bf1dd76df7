"""The official openai SDK drives the reference provider end to end, strictly validated."""

from __future__ import annotations

import openai
import pytest

from conformance.provider.render import sprite_sheet_size

from .support import fast_config, image_of, probe_mp4, provider

API_KEY = "sk-test-provider-key-0123456789"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_sdk_create_poll_download_list_remix_delete() -> None:
    with provider(fast_config(api_key=API_KEY)) as api:
        client = openai.OpenAI(
            base_url=api.base_url,
            api_key=API_KEY,
            _strict_response_validation=True,
            max_retries=0,
        )
        # The SDK always sends multipart (>= 2.27) and sleeps per openai-poll-after-ms.
        video = client.videos.create_and_poll(
            prompt="a red kite over a green hill", model="sora-2", seconds="4", size="1280x720"
        )
        assert video.status == "completed"
        assert video.progress == 100
        assert video.size == "1280x720" and video.seconds == "4"
        assert video.completed_at is not None and video.expires_at is not None

        mp4 = probe_mp4(client.videos.download_content(video.id).content)
        assert (mp4.width, mp4.height, mp4.duration, mp4.codec) == (1280, 720, 4.0, "h264")
        thumbnail = image_of(
            client.videos.download_content(video.id, variant="thumbnail").content, "WEBP"
        )
        assert thumbnail.size == (1280, 720)
        sheet = image_of(
            client.videos.download_content(video.id, variant="spritesheet").content, "JPEG"
        )
        assert sheet.size == sprite_sheet_size(1280, 720, mp4.frames)

        listed = [item.id for item in client.videos.list(limit=10, order="desc")]
        assert listed == [video.id]

        remix = client.videos.remix(video.id, prompt="the same kite at night")
        assert remix.remixed_from_video_id == video.id
        assert remix.status == "queued"
        remix = client.videos.poll(remix.id, poll_interval_ms=50)
        assert remix.status == "completed"
        assert (remix.size, remix.seconds) == ("1280x720", "4")
        assert {item.id for item in client.videos.list()} == {video.id, remix.id}

        deleted = client.videos.delete(video.id)
        assert (deleted.id, deleted.deleted, deleted.object) == (video.id, True, "video.deleted")
        with pytest.raises(openai.NotFoundError):
            client.videos.retrieve(video.id)
        with pytest.raises(openai.NotFoundError):
            client.videos.download_content(video.id)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_sdk_sees_failed_job_and_typed_errors() -> None:
    with provider(fast_config(api_key=API_KEY)) as api:
        client = openai.OpenAI(
            base_url=api.base_url, api_key=API_KEY, _strict_response_validation=True, max_retries=0
        )
        failed = client.videos.create_and_poll(prompt="please [[fail]]", poll_interval_ms=50)
        assert failed.status == "failed"
        assert failed.error is not None and failed.error.code == "generation_failed"

        with pytest.raises(openai.BadRequestError) as bad:
            client.videos.create(prompt="x", seconds="5")  # type: ignore[arg-type]
        assert (bad.value.param, bad.value.code) == ("seconds", "invalid_value")

        wrong = openai.OpenAI(base_url=api.base_url, api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as denied:
            wrong.videos.list()
        assert denied.value.code == "invalid_api_key"

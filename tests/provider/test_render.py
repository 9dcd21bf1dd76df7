"""The renderer on its own: sizes, durations, files, and abandoning a render."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.provider.render import (
    SPRITESHEET_FILE,
    THUMBNAIL_FILE,
    VIDEO_FILE,
    RenderSpec,
    render,
    render_dimensions,
    sprite_sheet_size,
)

from .support import first_frame, image_of, png_bytes, probe_mp4, rgb_at


@pytest.mark.parametrize(
    ("requested", "rendered"),
    [((720, 1280), (720, 1280)), ((641, 481), (640, 480)), ((1, 99999), (16, 2048))],
)
def test_render_dimensions_are_even_and_bounded(
    requested: tuple[int, int], rendered: tuple[int, int]
) -> None:
    assert render_dimensions(*requested) == rendered


def test_sprite_sheet_grid() -> None:
    assert sprite_sheet_size(720, 1280, 32) == (720, 640)  # 4 x 2 tiles of 180 x 320
    assert sprite_sheet_size(720, 1280, 3) == (540, 320)  # fewer frames than tiles


def test_render_writes_three_decodable_files(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    spec = RenderSpec(width=320, height=240, duration=3, fps=5, prompt="unit ✓ render")
    render(spec, tmp_path, lambda done, total: calls.append((done, total)))
    assert calls == [(i, 15) for i in range(1, 16)]
    mp4 = probe_mp4((tmp_path / VIDEO_FILE).read_bytes())
    assert (mp4.width, mp4.height, mp4.duration, mp4.frames) == (320, 240, 3.0, 15)
    assert mp4.distinct_frames == 15
    assert image_of((tmp_path / THUMBNAIL_FILE).read_bytes(), "WEBP").size == (320, 240)
    sheet = image_of((tmp_path / SPRITESHEET_FILE).read_bytes(), "JPEG")
    assert sheet.size == sprite_sheet_size(320, 240, 15)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [VIDEO_FILE, THUMBNAIL_FILE, SPRITESHEET_FILE]
    )


def test_same_prompt_same_video_other_prompt_other_colours(tmp_path: Path) -> None:
    def frame_colour(prompt: str, folder: Path) -> tuple[int, int, int]:
        render(RenderSpec(64, 64, 1, 2, prompt), folder, lambda done, total: None)
        return rgb_at(first_frame((folder / VIDEO_FILE).read_bytes()), 1, 62)

    a = frame_colour("alpha", tmp_path / "a")
    assert frame_colour("alpha", tmp_path / "a2") == a
    assert frame_colour("omega", tmp_path / "b") != a


def test_reference_image_is_frame_zero(tmp_path: Path) -> None:
    reference = tmp_path / "ref.png"
    reference.write_bytes(png_bytes(100, 50, (0, 200, 0)))
    spec = RenderSpec(160, 160, 1, 4, "ref", reference=reference)
    render(spec, tmp_path / "out", lambda done, total: None)
    frame = first_frame((tmp_path / "out" / VIDEO_FILE).read_bytes())
    red, green, blue = rgb_at(frame, 80, 80)
    assert green > 150 and red < 60 and blue < 60


def test_abandoned_render_leaves_no_finished_files(tmp_path: Path) -> None:
    class Stop(Exception):
        pass

    def stop_at_third(done: int, total: int) -> None:
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        render(RenderSpec(64, 64, 2, 4, "stop"), tmp_path, stop_at_third)
    assert not any((tmp_path / name).exists() for name in (VIDEO_FILE, THUMBNAIL_FILE))

"""conformance.media: sniffing and probing bytes, with media generated in the test."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest
from PIL import Image

from conformance import media

WIDTH, HEIGHT, FPS = 64, 48, 24
BAR = 16
DARK, BRIGHT = (20, 20, 20), (250, 200, 10)


def _frame(index: int, total: int, moving: bool) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), DARK)
    if moving:
        # A bright bar sweeping from the left edge to the right edge over the clip.
        x = index * (WIDTH - BAR) // max(1, total - 1)
        image.paste(BRIGHT, (x, 0, x + BAR, HEIGHT))
    return image


def make_video(
    directory: Path,
    *,
    seconds: float = 1.0,
    moving: bool = True,
    codec: str = "libx264",
    container: str = "mp4",
    faststart: bool = False,
) -> bytes:
    """A tiny real video; written to a file because faststart rewrites it after encoding."""
    path = directory / f"clip-{codec}-{moving}-{faststart}-{seconds}.{container}"
    options = {"movflags": "faststart"} if faststart else {}
    total = round(seconds * FPS)
    with av.open(str(path), mode="w", format=container, options=options) as output:
        stream = output.add_stream(codec, rate=FPS)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for index in range(total):
            frame = av.VideoFrame.from_image(_frame(index, total, moving))
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path.read_bytes()


def make_image(fmt: str, size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, BRIGHT).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    directory = tmp_path_factory.mktemp("clips")
    return {
        "h264": make_video(directory),
        "static": make_video(directory, moving=False),
        "faststart": make_video(directory, faststart=True),
        "two_seconds": make_video(directory, seconds=2.0),
        "vp9_webm": make_video(directory, codec="libvpx-vp9", container="webm"),
    }


GARBAGE = [
    b"",
    b"\x00",
    b"garbage" * 100,
    b'{"error": {"message": "not ready"}}',
    b"<html><body>502 Bad Gateway</body></html>",
    b"\x00\x00\x00\x18ftypisom",  # an MP4 signature and nothing else
]


# --- sniff -------------------------------------------------------------------------------


def test_sniff_recognises_generated_media(clips: dict[str, bytes]) -> None:
    assert media.sniff(clips["h264"]) == "video/mp4"
    assert media.sniff(make_image("WEBP")) == "image/webp"
    assert media.sniff(make_image("JPEG")) == "image/jpeg"
    assert media.sniff(make_image("PNG")) == "image/png"
    assert media.sniff(clips["vp9_webm"]) is None  # WebM is not one of the contract's types


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"error": {}}', "application/json"),
        (b"  \r\n\t[1, 2]", "application/json"),
        (b"\xef\xbb\xbf{}", "application/json"),
        (b"RIFF\x00\x00\x00\x00WAVE", None),  # RIFF, but not WebP
        (b"\x00\x00\x00\x18ftyp", "video/mp4"),
        (b"ftyp", None),
        (b"", None),
        (b"   ", None),
        (b"plain text", None),
    ],
)
def test_sniff_edge_cases(data: bytes, expected: str | None) -> None:
    assert media.sniff(data) == expected


# --- probe_video -------------------------------------------------------------------------


def test_probe_video_reads_a_real_h264_mp4(clips: dict[str, bytes]) -> None:
    probe = media.probe_video(clips["h264"])
    assert probe == media.VideoProbe(
        ok=True,
        error=None,
        container="mp4",
        codec="h264",
        width=WIDTH,
        height=HEIGHT,
        duration_s=pytest.approx(1.0, abs=0.05),  # type: ignore[arg-type]
        frames=FPS,
        distinct=True,
        complete=True,
    )


def test_probe_video_faststart_and_other_codecs(clips: dict[str, bytes]) -> None:
    faststart = media.probe_video(clips["faststart"])
    assert (faststart.ok, faststart.frames, faststart.container) == (True, FPS, "mp4")
    webm = media.probe_video(clips["vp9_webm"])
    assert (webm.ok, webm.codec, webm.frames) == (True, "vp9", FPS)
    assert webm.container is not None and "webm" in webm.container
    assert webm.duration_s == pytest.approx(1.0, abs=0.05)


def test_probe_video_reports_a_static_clip_as_not_distinct(clips: dict[str, bytes]) -> None:
    probe = media.probe_video(clips["static"])
    assert probe.ok and probe.frames == FPS
    assert probe.distinct is False


def test_probe_video_bounds_the_frames_decoded(clips: dict[str, bytes]) -> None:
    probe = media.probe_video(clips["two_seconds"], max_frames=5)
    assert probe.ok
    assert probe.frames == 5
    assert probe.complete is False
    # The duration still comes from the headers, not from the frames decoded.
    assert probe.duration_s == pytest.approx(2.0, abs=0.05)


def test_probe_video_bounds_the_time_spent(clips: dict[str, bytes]) -> None:
    probe = media.probe_video(clips["two_seconds"], time_limit_s=0.0)
    assert probe.ok
    assert probe.frames == 1
    assert probe.complete is False


@pytest.mark.parametrize("data", GARBAGE)
def test_probe_video_never_raises_on_garbage(data: bytes) -> None:
    probe = media.probe_video(data)
    assert probe.ok is False
    assert probe.error
    assert probe.frames == 0


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("layout", ["h264", "faststart"])
def test_probe_video_rejects_truncated_files(
    clips: dict[str, bytes], layout: str, share: float
) -> None:
    data = clips[layout]
    probe = media.probe_video(data[: int(len(data) * share)])
    assert probe.ok is False
    assert probe.error
    assert probe.complete is False
    assert probe.frames < FPS


@pytest.mark.parametrize("fmt", ["WEBP", "JPEG", "PNG"])
def test_probe_video_rejects_still_images(fmt: str) -> None:
    probe = media.probe_video(make_image(fmt))
    assert probe.ok is False
    assert probe.error is not None and "still image" in probe.error


# --- probe_image -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["WEBP", "JPEG", "PNG"])
def test_probe_image_reads_generated_images(fmt: str) -> None:
    assert media.probe_image(make_image(fmt, (80, 45))) == media.ImageProbe(
        ok=True, error=None, format=fmt, width=80, height=45
    )


@pytest.mark.parametrize("fmt", ["WEBP", "JPEG", "PNG"])
def test_probe_image_rejects_truncated_images(fmt: str) -> None:
    data = make_image(fmt, (200, 150))
    probe = media.probe_image(data[: len(data) // 2])
    assert probe.ok is False
    assert probe.error


@pytest.mark.parametrize("data", GARBAGE)
def test_probe_image_never_raises_on_garbage(data: bytes) -> None:
    probe = media.probe_image(data)
    assert probe.ok is False
    assert probe.error


def test_probe_image_rejects_an_mp4(clips: dict[str, bytes]) -> None:
    assert media.probe_image(clips["h264"]).ok is False


def test_probe_image_refuses_oversized_images(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "MAX_IMAGE_PIXELS", WIDTH * HEIGHT - 1)
    probe = media.probe_image(make_image("PNG"))
    assert probe.ok is False
    assert probe.error is not None and "exceeds the probe limit" in probe.error


# --- poster_png --------------------------------------------------------------------------


def _png(data: bytes | None) -> Image.Image:
    assert data is not None
    assert media.sniff(data) == "image/png"
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_poster_is_a_frame_from_inside_the_clip(clips: dict[str, bytes]) -> None:
    poster = _png(media.poster_png(clips["h264"]))
    assert poster.size == (WIDTH, HEIGHT)  # narrower than max_width: not scaled
    # A third of the way in, the bar has left the left edge where the first frame has it.
    first = _frame(0, FPS, moving=True)
    left, middle = (BAR // 2, HEIGHT // 2), (WIDTH // 3 + BAR // 2, HEIGHT // 2)
    assert first.getpixel(left) == BRIGHT
    assert sum(poster.getpixel(left)) < 200  # type: ignore[arg-type]
    assert sum(poster.getpixel(middle)) > 300  # type: ignore[arg-type]


def test_poster_is_scaled_to_max_width(clips: dict[str, bytes]) -> None:
    assert _png(media.poster_png(clips["h264"], max_width=32)).size == (32, 24)


@pytest.mark.parametrize("fmt", ["WEBP", "JPEG", "PNG"])
def test_poster_of_an_image_is_that_image(fmt: str) -> None:
    poster = _png(media.poster_png(make_image(fmt, (640, 360)), max_width=320))
    assert poster.size == (320, 180)


@pytest.mark.parametrize("data", GARBAGE)
def test_poster_of_garbage_is_none(data: bytes) -> None:
    assert media.poster_png(data) is None


def test_poster_of_a_truncated_video_never_raises(clips: dict[str, bytes]) -> None:
    data = clips["h264"]
    assert media.poster_png(data[: len(data) // 2]) is None
    assert media.poster_png(clips["h264"], max_width=0) is None

"""Probing downloaded bytes: what they are, whether they decode, and what they contain.

Every function here takes untrusted bytes from a provider and never raises on them: garbage,
truncated files and hostile sizes all come back as a result with ``ok=False`` and a reason.
Work is bounded (frames decoded, wall time, pixels) so a large or slow file cannot stall a run.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
from PIL import Image, ImageChops

# Enough to decode a whole 20 s clip at 30 fps; longer clips are sampled, not fully decoded.
DEFAULT_MAX_FRAMES = 900
DEFAULT_TIME_LIMIT_S = 20.0
# Images above this many pixels are not decoded (a 1792x1024 thumbnail is 1.8 MP).
MAX_IMAGE_PIXELS = 40_000_000
# How many evenly spaced frames are compared to decide whether the video shows motion.
_SAMPLES = 8
# Frames are compared as small greyscale thumbnails, so compression noise averages out.
_THUMB = (32, 32)
# FFmpeg scales a sample frame down to this before PIL makes the thumbnail: converting the
# whole frame to an RGB image first took most of a probe's time.
_SAMPLE_SIZE = (128, 128)
# A pixel "changed" when its grey level moved by more than this (0..255) ...
_PIXEL_DELTA = 24
# ... and two frames differ visibly when at least this share of pixels changed.
_CHANGED_SHARE = 0.02


@dataclass(frozen=True)
class VideoProbe:
    """What decoding a video file found.

    ``ok`` is true only when the file opened, has a video stream and every frame that was
    decoded (up to the bounds) decoded without error. ``complete`` is false when the bounds
    stopped decoding early; ``frames`` then counts only the frames decoded.
    """

    ok: bool
    error: str | None = None
    container: str | None = None
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    frames: int = 0
    distinct: bool = False
    complete: bool = False


@dataclass(frozen=True)
class ImageProbe:
    """What decoding an image file found (``format`` as Pillow names it, e.g. ``WEBP``)."""

    ok: bool
    error: str | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> str | None:
    """The media type the bytes' magic numbers announce, or ``None`` when unrecognised.

    Recognises ``video/mp4`` (any ISO BMFF file: ``ftyp`` at bytes 4..8), ``image/webp``,
    ``image/jpeg``, ``image/png`` and ``application/json`` (first non-space byte ``{`` or ``[``).
    """
    if len(data) >= 8 and data[4:8] == b"ftyp":
        return "video/mp4"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] in (b"{", b"["):
        return "application/json"
    return None


def _describe_exception(exc: BaseException) -> str:
    # FFmpeg errors stringify as "[Errno N] Invalid data ...: '<none>'"; the strerror is the news.
    strerror = getattr(exc, "strerror", None)
    text = (strerror if isinstance(strerror, str) else str(exc)).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _container_name(data: bytes, demuxer: str) -> str:
    # FFmpeg's MP4 demuxer is called "mov,mp4,m4a,3gp,3g2,mj2"; reports want "mp4".
    return "mp4" if sniff(data) == "video/mp4" else demuxer


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None or value <= 0:
        return None
    return float(value * time_base)


def _thumbnail(frame: av.VideoFrame) -> Image.Image:
    width, height = _SAMPLE_SIZE
    return frame.to_image(width=width, height=height).convert("L").resize(_THUMB)


def _visibly_different(a: Image.Image, b: Image.Image) -> bool:
    histogram = ImageChops.difference(a, b).histogram()
    changed = sum(histogram[_PIXEL_DELTA + 1 :])
    return changed >= _CHANGED_SHARE * _THUMB[0] * _THUMB[1]


def _any_visibly_different(samples: list[Image.Image]) -> bool:
    return any(
        _visibly_different(first, second)
        for index, first in enumerate(samples)
        for second in samples[index + 1 :]
    )


def _frame_rate(stream: Any) -> Fraction | None:
    rate = stream.average_rate or stream.guessed_rate
    return Fraction(rate) if rate else None


def _declared_duration(container: Any, stream: Any) -> float | None:
    duration = _seconds(stream.duration, stream.time_base)
    if duration is None and container.duration and container.duration > 0:
        duration = container.duration / av.time_base
    return duration


def _expected_frames(container: Any, stream: Any) -> int:
    """The frame count the headers promise (0 when they do not say)."""
    if stream.frames:
        return int(stream.frames)
    duration, fps = _declared_duration(container, stream), _frame_rate(stream)
    return round(duration * fps) if duration and fps else 0


def _frames(container: Any, stream: Any) -> Iterator[av.VideoFrame]:
    for frame in container.decode(stream):
        if isinstance(frame, av.VideoFrame):
            yield frame


def probe_video(
    data: bytes,
    *,
    max_frames: int = DEFAULT_MAX_FRAMES,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> VideoProbe:
    """Open and decode a video held in memory; never raises.

    Reports the container, codec, resolution and duration (from the stream, else the
    container, else decoded frames / frame rate), counts decoded frames (at most
    ``max_frames``, within ``time_limit_s``) and whether a few evenly spaced frames visibly
    differ from each other.
    """
    if not data:
        return VideoProbe(ok=False, error="empty body")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except Exception as exc:
        return VideoProbe(ok=False, error=f"not a decodable video: {_describe_exception(exc)}")
    with container:
        demuxer = container.format.name
        # FFmpeg happily "decodes" a JPEG or WebP as a one-frame video; that is not a video.
        if demuxer.endswith("_pipe") or demuxer.startswith("image2"):
            codec = (
                container.streams.video[0].codec_context.name if container.streams.video else None
            )
            return VideoProbe(
                ok=False,
                error=f"a still image ({codec or demuxer}), not a video",
                container=demuxer,
            )
        if not container.streams.video:
            return VideoProbe(
                ok=False,
                error="no video stream",
                container=_container_name(data, demuxer),
            )
        return _decode(data, container, max_frames, time_limit_s)


def _decode(data: bytes, container: Any, max_frames: int, time_limit_s: float) -> VideoProbe:
    stream = container.streams.video[0]
    codec_context = stream.codec_context
    fps = _frame_rate(stream)
    declared_duration = _declared_duration(container, stream)
    expected_frames = _expected_frames(container, stream)
    # Sample evenly over the part of the video we will actually decode.
    step = max(1, min(expected_frames or max_frames, max_frames) // _SAMPLES)

    frames = 0
    samples: list[Image.Image] = []
    width, height = codec_context.width or None, codec_context.height or None
    error: str | None = None
    complete = True
    deadline = time.monotonic() + time_limit_s
    try:
        for frame in _frames(container, stream):
            if frames == 0:
                width, height = frame.width, frame.height
            if frames % step == 0:
                samples.append(_thumbnail(frame))
            frames += 1
            if frames >= max_frames or time.monotonic() > deadline:
                complete = False
                break
    except Exception as exc:
        error = f"decoding failed after {frames} frames: {_describe_exception(exc)}"

    if frames == 0 and error is None:
        error = "no frame could be decoded"
    elif error is None and complete and stream.frames and frames < stream.frames:
        # FFmpeg stops quietly at the end of a truncated file; the header knows better.
        error = f"only {frames} of {stream.frames} frames decodable (truncated?)"
    duration = declared_duration
    if duration is None and complete and frames and fps:
        duration = float(frames / fps)
    return VideoProbe(
        ok=error is None,
        error=error,
        container=_container_name(data, container.format.name),
        codec=codec_context.name,
        width=width,
        height=height,
        duration_s=duration,
        frames=frames,
        distinct=_any_visibly_different(samples),
        complete=complete and error is None,
    )


def _open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError(f"{width}x{height} exceeds the probe limit of {MAX_IMAGE_PIXELS} pixels")
    image.load()
    return image


def probe_image(data: bytes) -> ImageProbe:
    """Open and fully decode an image held in memory with Pillow; never raises."""
    if not data:
        return ImageProbe(ok=False, error="empty body")
    try:
        image = _open_image(data)
    except Exception as exc:
        return ImageProbe(ok=False, error=f"not a decodable image: {_describe_exception(exc)}")
    return ImageProbe(ok=True, format=image.format, width=image.width, height=image.height)


def _to_png(image: Image.Image, max_width: int) -> bytes:
    image = image.convert("RGB")
    if image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _representative_frame(data: bytes, max_frames: int, time_limit_s: float) -> Image.Image | None:
    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        # A third of the way in: past fade-ins and black first frames, before any fade-out.
        target = min(_expected_frames(container, stream) // 3, max_frames - 1)
        deadline = time.monotonic() + time_limit_s
        chosen: av.VideoFrame | None = None
        for index, frame in enumerate(_frames(container, stream)):
            chosen = frame
            if index >= target or time.monotonic() > deadline:
                break
        return chosen.to_image() if chosen is not None else None


def poster_png(
    data: bytes,
    max_width: int = 320,
    *,
    max_frames: int = 300,
    time_limit_s: float = 5.0,
) -> bytes | None:
    """A representative still of a video (or an image) as PNG, at most ``max_width`` wide.

    Returns ``None`` when the bytes are neither a decodable video nor a decodable image.
    """
    if not data or max_width < 1:
        return None
    try:
        if sniff(data) in ("image/webp", "image/jpeg", "image/png"):
            return _to_png(_open_image(data), max_width)
        still = _representative_frame(data, max_frames, time_limit_s)
        return _to_png(still, max_width) if still is not None else None
    except Exception:
        # Garbage in, no poster out: the probe functions report why.
        return None

"""Real media for the foreign providers: a tiny H.264 MP4, a WebP thumbnail, a JPEG spritesheet.

Written from the contract alone (api §2.3, §4): the video is an MP4 of the requested size and
length, the thumbnail a WebP image, the spritesheet a JPEG. Each asset is rendered once per
(size, seconds) and cached for the life of the process, because encoding is the slow part.
"""

from __future__ import annotations

import functools
import io
import threading
from fractions import Fraction

import av
from PIL import Image

FPS = 8
"""Low frame rate: the checker probes duration and resolution, not smoothness."""

_lock = threading.Lock()


def _dimensions(size: str) -> tuple[int, int]:
    width, height = size.split("x")
    return int(width), int(height)


@functools.cache
def _mp4(size: str, seconds: int) -> bytes:
    width, height = _dimensions(size)
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        stream.options = {"preset": "ultrafast", "tune": "zerolatency"}
        frames = seconds * FPS
        for index in range(frames):
            shade = 40 + (index * 180) // max(frames - 1, 1)
            image = Image.new("RGB", (width, height), (shade, 90, 200 - shade // 2))
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def mp4(size: str, seconds: int) -> bytes:
    """A decodable H.264 MP4 of ``size`` (``WxH``) lasting ``seconds``; cached."""
    with _lock:  # one encode at a time: two threads asking for the same asset share it
        return _mp4(size, seconds)


@functools.cache
def thumbnail(size: str) -> bytes:
    """A WebP still of ``size``."""
    buffer = io.BytesIO()
    Image.new("RGB", _dimensions(size), (120, 90, 160)).save(buffer, format="WEBP")
    return buffer.getvalue()


@functools.cache
def spritesheet(size: str) -> bytes:
    """A JPEG grid of four reduced frames of ``size``."""
    width, height = _dimensions(size)
    cell = (max(width // 4, 1), max(height // 4, 1))
    sheet = Image.new("RGB", (cell[0] * 2, cell[1] * 2), (0, 0, 0))
    for index in range(4):
        tile = Image.new("RGB", cell, (60 * index, 120, 200 - 40 * index))
        sheet.paste(tile, ((index % 2) * cell[0], (index // 2) * cell[1]))
    buffer = io.BytesIO()
    sheet.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()

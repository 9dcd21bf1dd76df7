"""Real media for a job: an H.264 MP4 (PyAV), a WebP thumbnail and a JPEG spritesheet (Pillow).

Frames are drawn, not generated: colours come from a hash of the prompt, shapes move with time
and every frame carries its number, so that consecutive frames differ visibly and a checker can
tell a real video from a frozen or truncated one. An ``input_reference`` image becomes frame 0
as is and the background of the frames that follow.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

VIDEO_FILE = "video.mp4"
THUMBNAIL_FILE = "thumbnail.webp"
SPRITESHEET_FILE = "spritesheet.jpg"
REFERENCE_FILE = "reference.png"

SPRITESHEET_COLUMNS = 4
SPRITESHEET_TILES = 8
SPRITESHEET_SCALE = 4
"""Each spritesheet tile is the frame shrunk by this factor; the grid is 4 wide, 2 high."""

MIN_SIDE, MAX_SIDE = 16, 2048
"""Rendered sides are clamped to this range (sizes accepted by a lenient dialect can be odd)."""


@dataclass(frozen=True)
class RenderSpec:
    """What to render."""

    width: int
    height: int
    duration: float
    fps: int
    prompt: str
    reference: Path | None = None

    @property
    def frame_count(self) -> int:
        """Frames in the video: exactly ``duration`` seconds at ``fps``."""
        return max(1, round(self.duration * self.fps))


def render_dimensions(width: int, height: int) -> tuple[int, int]:
    """The size actually encoded for a requested WxH: clamped, and even (yuv420p needs it)."""

    def fit(side: int) -> int:
        return max(MIN_SIDE, min(MAX_SIDE, side)) // 2 * 2

    return fit(width), fit(height)


def sprite_sheet_size(width: int, height: int, frame_count: int) -> tuple[int, int]:
    """Pixel size of the spritesheet of a video of ``width`` x ``height``."""
    tiles = min(SPRITESHEET_TILES, frame_count)
    columns = min(SPRITESHEET_COLUMNS, tiles)
    rows = math.ceil(tiles / columns)
    tile_w, tile_h = _tile_size(width, height)
    return tile_w * columns, tile_h * rows


def render(spec: RenderSpec, out_dir: Path, on_frame: Callable[[int, int], None]) -> None:
    """Write the video, thumbnail and spritesheet of ``spec`` into ``out_dir``.

    ``on_frame(done, total)`` runs after each encoded frame; it paces the render and may raise
    to abandon it. Files appear under their final names only once complete.
    """
    # Imported here: only the render workers encode, and the server (which imports this module
    # for the sizes) starts faster without PyAV, a fifth of a second of a run's start-up.
    import av

    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(out_dir)
    painter = _Painter(spec)
    total = spec.frame_count
    thumbnail_index = total // 2
    sprite_indices = _sample(total, min(SPRITESHEET_TILES, total))
    thumbnail: Image.Image | None = None
    tiles: list[Image.Image] = []

    video_tmp = _part_path(out_dir / VIDEO_FILE)
    with av.open(str(video_tmp), "w", format="mp4", options={"movflags": "+faststart"}) as box:
        stream = box.add_stream("libx264", rate=spec.fps)
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = "yuv420p"
        # ultrafast: the provider exists to be cheap; quality is irrelevant, validity is not.
        stream.options = {"preset": "ultrafast"}
        # One thread per encode: concurrency comes from the render pool, not from x264.
        stream.codec_context.thread_count = 1
        for index in range(total):
            image = painter.frame(index, total)
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            for packet in stream.encode(frame):
                box.mux(packet)
            if index == thumbnail_index:
                thumbnail = image
            if index in sprite_indices:
                # BOX: a plain average of each 4x4 block, several times cheaper than the
                # default bicubic filter; a spritesheet tile needs no more.
                tiles.append(
                    image.resize(_tile_size(spec.width, spec.height), Image.Resampling.BOX)
                )
            on_frame(index + 1, total)
        for packet in stream.encode(None):
            box.mux(packet)

    assert thumbnail is not None  # thumbnail_index < total >= 1
    # method 0: the fastest WebP encoder setting (the default, 4, took longer than the rest of
    # the stills together).
    _save_atomic(thumbnail, out_dir / THUMBNAIL_FILE, "WEBP", quality=80, method=0)
    _save_atomic(_grid(tiles, spec), out_dir / SPRITESHEET_FILE, "JPEG", quality=85)
    os.replace(video_tmp, out_dir / VIDEO_FILE)


class _Painter:
    """Draws frame ``i`` of ``n`` for one spec."""

    def __init__(self, spec: RenderSpec) -> None:
        self.spec = spec
        digest = hashlib.sha256(spec.prompt.encode("utf-8", "replace")).digest()
        self.background = (digest[0] // 2, digest[1] // 2, digest[2] // 2)
        self.accent = (128 + digest[3] // 2, 128 + digest[4] // 2, 128 + digest[5] // 2)
        self.second = (255 - self.accent[0], 255 - self.accent[1], 255 - self.accent[2])
        short = min(spec.width, spec.height)
        self.font = ImageFont.load_default(size=max(8, short // 14))
        self.small_font = ImageFont.load_default(size=max(8, short // 28))
        # Only printable ASCII: the default font has no glyphs for much else.
        self.caption = "".join(c for c in spec.prompt if 32 <= ord(c) < 127)[:48]
        self.reference: Image.Image | None = None
        if spec.reference is not None:
            with Image.open(spec.reference) as source:
                self.reference = _cover(source.convert("RGB"), spec.width, spec.height)

    def frame(self, index: int, total: int) -> Image.Image:
        w, h = self.spec.width, self.spec.height
        if self.reference is not None:
            if index == 0:
                return self.reference.copy()
            image = self.reference.copy()
        else:
            image = Image.new("RGB", (w, h), self.background)
        draw = ImageDraw.Draw(image)
        phase = index / max(1, total - 1)
        radius = min(w, h) // 8
        # A ball crossing left to right and a block bouncing top to bottom.
        cx = int(radius + phase * (w - 2 * radius))
        cy = h // 3
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=self.accent)
        bounce = abs(math.sin(phase * math.pi * 2))
        by = int(h // 2 + bounce * (h // 2 - 2 * radius))
        draw.rectangle((w - 3 * radius, by, w - radius, by + radius), fill=self.second)
        draw.text(
            (radius // 2, radius // 2), f"frame {index + 1}/{total}", fill="white", font=self.font
        )
        seconds = index / self.spec.fps
        draw.text(
            (radius // 2, h - radius),
            f"t={seconds:.2f}s  {self.caption}",
            fill="white",
            font=self.small_font,
        )
        return image


def _cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` scaled to cover ``width`` x ``height`` and centre-cropped to it."""
    scale = max(width / image.width, height / image.height)
    resized = image.resize(
        (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    )
    left = (resized.width - width) // 2
    top = (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))


def _tile_size(width: int, height: int) -> tuple[int, int]:
    return max(1, width // SPRITESHEET_SCALE), max(1, height // SPRITESHEET_SCALE)


def _sample(total: int, count: int) -> set[int]:
    """``count`` frame indices spread evenly over ``total`` frames."""
    return {min(total - 1, (i * total) // count) for i in range(count)}


def _grid(tiles: list[Image.Image], spec: RenderSpec) -> Image.Image:
    sheet_w, sheet_h = sprite_sheet_size(spec.width, spec.height, spec.frame_count)
    sheet = Image.new("RGB", (sheet_w, sheet_h), "black")
    columns = min(SPRITESHEET_COLUMNS, len(tiles))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * tile.width, (i // columns) * tile.height))
    return sheet


def _part_path(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place.

    Named by process: a render left running by a provider killed with ``kill -9`` must not write
    into the same file as the render of the restarted provider.
    """
    return path.with_name(f".{path.name}.{os.getpid()}.part")


def _remove_stale_parts(out_dir: Path) -> None:
    """Drop half-written files of an earlier, interrupted render of the same job."""
    for stale in out_dir.glob(".*.part"):
        stale.unlink(missing_ok=True)


def _save_atomic(image: Image.Image, path: Path, fmt: str, **options: int) -> None:
    tmp = _part_path(path)
    image.save(tmp, fmt, **options)
    os.replace(tmp, path)

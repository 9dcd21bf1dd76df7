"""Helpers for the reference provider's tests: start one, drive it over HTTP, decode media."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import av
import httpx
from PIL import Image

from conformance import contract
from conformance.provider.behaviour import Behaviour
from conformance.provider.config import ProviderConfig
from conformance.provider.server import running_provider

FAST_RENDER = 0.3
SAFETY_TIMEOUT = 60.0
"""Only against hangs: no test asserts on timing."""


def fast_config(**overrides: Any) -> ProviderConfig:
    """A quick provider: short renders, low frame rate."""
    values: dict[str, Any] = {"render_seconds": FAST_RENDER, "fps": 4}
    values.update(overrides)
    return ProviderConfig(**values)


@dataclass
class Api:
    """A raw-HTTP client of one running provider."""

    base_url: str
    http: httpx.Client

    def url(self, video_id: str, suffix: str = "") -> str:
        return f"{self.base_url}/videos/{quote(video_id, safe='')}{suffix}"

    def create(self, **body: Any) -> httpx.Response:
        return self.http.post(f"{self.base_url}/videos", json=body)

    def create_multipart(
        self, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]] | None = None
    ) -> httpx.Response:
        """POST /videos as multipart/form-data, as SDKs since 2.27 send it (even without files)."""
        body, content_type = multipart(fields, files or {})
        return self.http.post(
            f"{self.base_url}/videos", content=body, headers={"content-type": content_type}
        )

    def created(self, **body: Any) -> dict[str, Any]:
        response = self.create(**body)
        assert response.status_code == 200, response.text
        return response.json()

    def retrieve(self, video_id: str) -> httpx.Response:
        return self.http.get(self.url(video_id))

    def content(self, video_id: str, variant: str | None = None) -> httpx.Response:
        params = {"variant": variant} if variant else {}
        return self.http.get(self.url(video_id, "/content"), params=params)

    def delete(self, video_id: str) -> httpx.Response:
        return self.http.delete(self.url(video_id))

    def remix(self, video_id: str, prompt: str) -> httpx.Response:
        return self.http.post(self.url(video_id, "/remix"), json={"prompt": prompt})

    def wait(
        self, video_id: str, *, terminal: tuple[str, ...] = ("completed", "failed")
    ) -> dict[str, Any]:
        """Poll until the job's status is one of ``terminal``; returns the last Video."""
        return self.history(video_id, terminal=terminal)[-1]

    def history(
        self, video_id: str, *, terminal: tuple[str, ...] = ("completed", "failed")
    ) -> list[dict[str, Any]]:
        """Every Video a fast poll loop saw until a status in ``terminal``."""
        deadline = time.monotonic() + SAFETY_TIMEOUT
        seen: list[dict[str, Any]] = []
        while True:
            response = self.retrieve(video_id)
            assert response.status_code == 200, response.text
            seen.append(response.json())
            if seen[-1].get("status") in terminal:
                return seen
            assert time.monotonic() < deadline, f"job {video_id} stuck: {seen[-1]}"
            time.sleep(0.02)


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A multipart body of plain ``fields`` and ``files`` (name → filename, data, type)."""
    boundary = f"----provider-test-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, data, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@contextmanager
def provider(config: ProviderConfig | None = None, **overrides: Any) -> Iterator[Api]:
    """Run a provider (``fast_config`` unless a config is given) and a client for it."""
    with (
        running_provider(config or fast_config(**overrides)) as base_url,
        httpx.Client(timeout=30) as http,
    ):
        yield Api(base_url, http)


def with_behaviour(**fields: Any) -> ProviderConfig:
    """A fast config whose behaviour overrides ``fields``."""
    return fast_config(behaviour=Behaviour().with_overrides(fields))


def assert_envelope(
    response: httpx.Response,
    status: int,
    *,
    param: str | None = None,
    type_: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """The response is ``status`` with a valid OpenAI error envelope; returns ``error``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert contract.is_error_envelope(body), body
    error = body["error"]
    assert error["message"]
    assert error["param"] == param, error
    if type_ is not None:
        assert error["type"] == type_, error
    if code is not None:
        assert error["code"] == code, error
    return error


def assert_video(body: Any) -> None:
    """``body`` is a Video per the contract."""
    assert contract.errors("Video", body) == [], body


@dataclass(frozen=True)
class VideoProbe:
    width: int
    height: int
    duration: float
    frames: int
    codec: str
    distinct_frames: int


def probe_mp4(data: bytes) -> VideoProbe:
    """Decode an MP4 fully with PyAV."""
    with av.open(io.BytesIO(data), mode="r") as box:
        stream = box.streams.video[0]
        duration = (box.duration or 0) / 1_000_000
        digests = set()
        frames = 0
        for frame in box.decode(stream):
            frames += 1
            digests.add(hashlib.sha256(bytes(frame.planes[0])).hexdigest())
        return VideoProbe(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            duration=duration,
            frames=frames,
            codec=stream.codec_context.name,
            distinct_frames=len(digests),
        )


def first_frame(data: bytes) -> Image.Image:
    """The first decoded frame of an MP4, as an RGB image."""
    with av.open(io.BytesIO(data), mode="r") as box:
        for frame in box.decode(video=0):
            return frame.to_image()
    raise AssertionError("the video has no frames")


def rgb_at(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    """The RGB colour of one pixel."""
    pixel = image.convert("RGB").getpixel((x, y))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def image_of(data: bytes, fmt: str) -> Image.Image:
    """Decode an image, checking its format (``WEBP``, ``JPEG``, ``PNG``)."""
    image = Image.open(io.BytesIO(data))
    assert image.format == fmt
    image.load()
    return image


def png_bytes(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


@contextmanager
def serve_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``video-conformance serve`` in a subprocess; yields it and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving http://127.0.0.1:"), (line, process.stderr)
        yield process, line.split(" ", 1)[1].strip()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

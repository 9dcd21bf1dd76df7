"""An independent video provider, written from the contract alone, as a raw ASGI app.

It shares no code with the bundled reference provider: the rules come from ``spec/openapi.yaml``
and the normative API description (create in JSON and multipart, retrieve, content with its
variants, list with cursor pagination, delete, remix, image-to-video, Bearer auth and the
``{"error": {...}}`` envelope). ``Options`` holds the choices the contract leaves open, each a
switch, and ``faults`` names rules broken on purpose, so tests can show the checker tells the
difference between a legal variation and a broken provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

from tests.foreign import media

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
SECONDS = ("4", "8", "12")
MODELS = (
    "sora-2",
    "sora-2-pro",
    "sora-2-2025-10-06",
    "sora-2-pro-2025-10-06",
    "sora-2-2025-12-08",
)
VARIANTS = ("video", "thumbnail", "spritesheet")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
MAX_PROMPT = 32000
FAIL_MARKER = "[[foreign-fail]]"
"""A prompt containing this renders to ``failed`` (so a profile can name a failing prompt)."""

FAULTS = {
    "status_processing": "reports status 'processing' while rendering (VID-LIFE-001)",
    "progress_fraction": "reports progress as a fraction 0..1 (VID-LIFE-003)",
    "bare_errors": "errors are {'message': ...} without the envelope (VID-ERR-005)",
    "delete_noop": "DELETE answers deleted: true but keeps the video (VID-DEL-002)",
    "list_cursor_ignored": "list ignores the after cursor (VID-LIST-003)",
    "list_order_ignored": "list always answers newest first (VID-LIST-004)",
    "remix_no_source": "remix answers remixed_from_video_id null (VID-REMIX-001)",
    "thumbnail_is_mp4": "variant=thumbnail serves the MP4 (VID-CONTENT-007)",
    "create_id_unknown": "create answers an id that retrieve does not know (VID-OBJ-003)",
    "content_json_200": "/content before completion answers 200 JSON (VID-CONTENT-005)",
    "content_octet_stream": "/content labels the MP4 application/octet-stream (VID-CONTENT-001)",
    "delete_wrong_shape": "DELETE answers the Video instead of the deleted object (VID-DEL-001)",
    "spritesheet_label_lies": "variant=spritesheet: WebP labelled image/jpeg (VID-CONTENT-008)",
    "list_without_cursor_keys": "list omits first_id, last_id and has_more (VID-LIST-001)",
    "job_error_string": "a failed job's error is a bare string (VID-LIFE-007)",
}


@dataclass(frozen=True)
class Options:
    """Choices the contract leaves to the provider (each legal) and deliberate faults."""

    api_key: str = "sk-foreign-provider-key"
    id_style: str = "video"
    """``video`` (video_<hex>), ``uuid``, ``vid`` (vid-<hex>) or ``long`` (130 characters)."""
    not_ready_status: int = 409
    """4xx for /content of a job that is not completed: 400, 404 and 409 are all legal."""
    queue_seconds: float = 0.3
    render_seconds: float = 1.0
    poll_after_ms: int | None = 500
    """``openai-poll-after-ms`` on retrieve; ``None`` sends no header (it is optional)."""
    json_create: bool = True
    """False: create accepts multipart only and answers JSON with 415."""
    default_size: str = "720x1280"
    default_seconds: str = "4"
    extra_keys: bool = False
    """Adds keys the contract does not name to every object (allowed: objects are open)."""
    expires_after_s: int = 3600
    faults: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")


@dataclass
class Job:
    """One generation job; its status is derived from the clock, so it only moves forward."""

    id: str
    seq: int
    model: str
    prompt: str
    size: str
    seconds: str
    created: float
    remixed_from: str | None = None


class ApiError(Exception):
    """An HTTP error answered with the envelope."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code

    @property
    def type(self) -> str:
        return {401: "invalid_request_error", 404: "invalid_request_error"}.get(
            self.status, "invalid_request_error" if self.status < 500 else "server_error"
        )


def _new_id(style: str) -> str:
    if style == "uuid":
        return str(uuid.uuid4())
    if style == "vid":
        return f"vid-{secrets.token_hex(8)}"
    if style == "long":
        return "video_" + secrets.token_hex(62)
    return f"video_{secrets.token_hex(12)}"


class Provider:
    """The ASGI application. ``provider(scope, receive, send)``; state lives in memory."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options()
        self.jobs: dict[str, Job] = {}
        self._seq = itertools.count()
        self._lock = threading.Lock()

    # --- ASGI entry -------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        try:
            status, out_headers, payload = await self._dispatch(
                scope["method"], scope["path"], query, headers, body
            )
        except ApiError as exc:
            status, out_headers, payload = exc.status, {}, self._error_body(exc)
        if isinstance(payload, bytes):
            data = payload
        else:
            data = json.dumps(payload).encode()
            out_headers.setdefault("content-type", "application/json")
        out_headers["content-length"] = str(len(data))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in out_headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": data})

    def _error_body(self, exc: ApiError) -> dict[str, Any]:
        if "bare_errors" in self.options.faults:
            return {"message": exc.message}
        return {
            "error": {
                "message": exc.message,
                "type": exc.type,
                "param": exc.param,
                "code": exc.code,
            }
        }

    # --- routing ----------------------------------------------------------------------------

    async def _dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], Any]:
        parts = [p for p in path.split("/") if p]
        if parts[:2] != ["v1", "videos"]:
            raise ApiError(404, f"no route for {method} {path}", code="not_found")
        self._authenticate(headers)
        rest = parts[2:]
        if not rest:
            if method == "POST":
                return 200, {}, self._create(headers, body)
            if method == "GET":
                return 200, {}, self._list(query)
        elif len(rest) == 1:
            if method == "GET":
                job = self._job(rest[0])
                extra = {}
                if self.options.poll_after_ms is not None:
                    extra["openai-poll-after-ms"] = str(self.options.poll_after_ms)
                return 200, extra, self._video(job)
            if method == "DELETE":
                return 200, {}, self._delete(rest[0])
        elif len(rest) == 2 and rest[1] == "content" and method == "GET":
            return await self._content(rest[0], query)
        elif len(rest) == 2 and rest[1] == "remix" and method == "POST":
            return 200, {}, self._remix(rest[0], headers, body)
        known = len(rest) <= 1 or (len(rest) == 2 and rest[1] in ("content", "remix"))
        raise ApiError(405 if known else 404, f"{method} {path} is not supported")

    def _authenticate(self, headers: dict[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "missing bearer API key", code="invalid_api_key")
        if not secrets.compare_digest(token.strip(), self.options.api_key):
            raise ApiError(401, "incorrect API key provided", code="invalid_api_key")

    # --- request bodies ---------------------------------------------------------------------

    def _form(self, headers: dict[str, str], body: bytes) -> tuple[dict[str, Any], bool]:
        """The body as fields (files as ``(content_type, bytes)``) and whether it was JSON."""
        ctype = headers.get("content-type", "")
        kind = ctype.split(";")[0].strip().lower()
        if kind == "application/json":
            try:
                data = json.loads(body or b"null")
            except ValueError:
                raise ApiError(400, "the body is not valid JSON") from None
            if not isinstance(data, dict):
                raise ApiError(400, "the body must be a JSON object")
            return data, True
        if kind == "multipart/form-data":
            return _parse_multipart(ctype, body), False
        raise ApiError(415, f"unsupported content type {kind or '(none)'}")

    def _prompt(self, fields: dict[str, Any]) -> str:
        prompt = fields.get("prompt")
        if not isinstance(prompt, str):
            raise ApiError(400, "prompt is required and must be a string", param="prompt")
        if not 1 <= len(prompt) <= MAX_PROMPT:
            raise ApiError(400, f"prompt must have 1 to {MAX_PROMPT} characters", param="prompt")
        return prompt

    def _create(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        if not self.options.json_create and headers.get("content-type", "").startswith(
            "application/json"
        ):
            raise ApiError(415, "create takes multipart/form-data only", code="unsupported_media")
        fields, is_json = self._form(headers, body)
        prompt = self._prompt(fields)
        model = fields.get("model", "sora-2")
        if not isinstance(model, str) or model not in MODELS:
            raise ApiError(400, f"unknown model {model!r}", param="model", code="invalid_value")
        seconds = fields.get("seconds", self.options.default_seconds)
        if not isinstance(seconds, str) or seconds not in SECONDS:
            raise ApiError(
                400,
                f"Invalid value: {seconds!r}. Supported values are: '4', '8', and '12'.",
                param="seconds",
                code="invalid_value",
            )
        size = fields.get("size", self.options.default_size)
        if not isinstance(size, str) or size not in SIZES:
            raise ApiError(400, f"Invalid value: {size!r}.", param="size", code="invalid_value")
        if "input_reference" in fields:
            _check_reference(fields["input_reference"], is_json)
        job = self._add(model, prompt, size, seconds, None)
        return self._video(job, answer_id=self._create_answer_id(job))

    def _create_answer_id(self, job: Job) -> str:
        if "create_id_unknown" in self.options.faults:
            return "pending_" + job.id  # a ticket id that retrieve never answers for
        return job.id

    def _remix(self, video_id: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        source = self._job(video_id)
        fields, _ = self._form(headers, body)
        prompt = self._prompt(fields)
        if self._status(source)[0] != "completed":
            raise ApiError(409, "only a completed video can be remixed", code="video_not_ready")
        job = self._add(source.model, prompt, source.size, source.seconds, source.id)
        return self._video(job)

    def _add(self, model: str, prompt: str, size: str, seconds: str, src: str | None) -> Job:
        with self._lock:
            job = Job(
                id=_new_id(self.options.id_style),
                seq=next(self._seq),
                model=model,
                prompt=prompt,
                size=size,
                seconds=seconds,
                created=time.time(),
                remixed_from=src,
            )
            self.jobs[job.id] = job
        # Warm the asset cache while the job "renders", so /content answers at once.
        threading.Thread(target=media.mp4, args=(size, int(seconds)), daemon=True).start()
        return job

    # --- resources --------------------------------------------------------------------------

    def _job(self, video_id: str) -> Job:
        job = self.jobs.get(video_id)
        if job is None:
            raise ApiError(404, f"no video {video_id!r}", param="video_id", code="not_found")
        return job

    def _status(self, job: Job) -> tuple[str, int]:
        elapsed = time.time() - job.created
        queue, render = self.options.queue_seconds, self.options.render_seconds
        if elapsed < queue:
            return "queued", 0
        if elapsed < queue + render:
            return "in_progress", min(99, int(100 * (elapsed - queue) / render))
        if FAIL_MARKER in job.prompt:
            return "failed", 100
        return "completed", 100

    def _video(self, job: Job, *, answer_id: str | None = None) -> dict[str, Any]:
        status, progress = self._status(job)
        done_at = int(job.created + self.options.queue_seconds + self.options.render_seconds)
        terminal = status in ("completed", "failed")
        shown_status: str = status
        if status == "in_progress" and "status_processing" in self.options.faults:
            shown_status = "processing"
        shown_progress: float = progress
        if "progress_fraction" in self.options.faults:
            shown_progress = progress / 100
        video: dict[str, Any] = {
            "id": answer_id or job.id,
            "object": "video",
            "model": job.model,
            "status": shown_status,
            "progress": shown_progress,
            "created_at": int(job.created),
            "completed_at": done_at if terminal else None,
            "expires_at": done_at + self.options.expires_after_s if status == "completed" else None,
            "prompt": job.prompt,
            "size": job.size,
            "seconds": job.seconds,
            "remixed_from_video_id": None
            if "remix_no_source" in self.options.faults
            else job.remixed_from,
            "error": self._job_error() if status == "failed" else None,
        }
        if self.options.extra_keys:
            video["quality"] = "standard"
            video["usage"] = {"video_seconds": int(job.seconds)}
        return video

    def _job_error(self) -> Any:
        if "job_error_string" in self.options.faults:
            return "the render failed"
        return {"code": "generation_failed", "message": "the render failed"}

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        order = query.get("order", ["desc"])[-1]
        if order not in ("asc", "desc"):
            raise ApiError(400, "order must be asc or desc", param="order")
        raw_limit = query.get("limit", ["20"])[-1]
        if not raw_limit.isdigit() or not 0 <= int(raw_limit) <= 100:
            raise ApiError(400, "limit must be an integer from 0 to 100", param="limit")
        limit = int(raw_limit)
        if "list_order_ignored" in self.options.faults:
            order = "desc"
        with self._lock:
            ordered = sorted(self.jobs.values(), key=lambda j: (j.created, j.seq))
        if order == "desc":
            ordered.reverse()
        after = query.get("after", [None])[-1]
        if after is not None and "list_cursor_ignored" not in self.options.faults:
            ids = [j.id for j in ordered]
            if after not in ids:
                raise ApiError(400, f"unknown cursor {after!r}", param="after")
            ordered = ordered[ids.index(after) + 1 :]
        page = ordered[:limit]
        data = [self._video(j) for j in page]
        listing: dict[str, Any] = {
            "object": "list",
            "data": data,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(ordered) > len(page),
        }
        if "list_without_cursor_keys" in self.options.faults:
            listing = {"object": "list", "data": data}
        if self.options.extra_keys:
            listing["total_estimate"] = len(ordered)
        return listing

    def _delete(self, video_id: str) -> dict[str, Any]:
        job = self._job(video_id)
        if "delete_noop" not in self.options.faults:
            with self._lock:
                self.jobs.pop(job.id, None)
        if "delete_wrong_shape" in self.options.faults:
            return self._video(job)
        deleted: dict[str, Any] = {"id": job.id, "object": "video.deleted", "deleted": True}
        if self.options.extra_keys:
            deleted["deleted_at"] = int(time.time())
        return deleted

    async def _content(
        self, video_id: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], Any]:
        job = self._job(video_id)
        variant = query.get("variant", ["video"])[-1]
        if variant not in VARIANTS:
            raise ApiError(400, f"unknown variant {variant!r}", param="variant")
        status, _ = self._status(job)
        if status != "completed":
            if "content_json_200" in self.options.faults:
                return 200, {}, {"status": status, "message": "the video is not ready"}
            raise ApiError(
                self.options.not_ready_status,
                f"video {job.id} is {status}; content is available once it is completed",
                code="video_not_ready",
            )
        if variant == "thumbnail" and "thumbnail_is_mp4" not in self.options.faults:
            return 200, {"content-type": "image/webp"}, media.thumbnail(job.size)
        if variant == "spritesheet":
            if "spritesheet_label_lies" in self.options.faults:
                return 200, {"content-type": "image/jpeg"}, media.thumbnail(job.size)
            return 200, {"content-type": "image/jpeg"}, media.spritesheet(job.size)
        data = await asyncio.to_thread(media.mp4, job.size, int(job.seconds))
        ctype = (
            "application/octet-stream"
            if "content_octet_stream" in self.options.faults
            else "video/mp4"
        )
        return 200, {"content-type": ctype}, data


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields of a multipart body; file parts become ``(content_type, bytes)``."""
    if "boundary=" not in content_type:
        raise ApiError(400, "multipart body without a boundary")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ApiError(400, "malformed multipart body")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            fields[name] = (part.get_content_type(), data)
        else:
            fields[name] = data.decode("utf-8", errors="replace")
    return fields


def _check_reference(value: Any, is_json: bool) -> None:
    """``input_reference``: an image file (multipart) or exactly one of image_url / file_id."""
    if isinstance(value, tuple):
        ctype, data = value
        if ctype not in IMAGE_TYPES or not _looks_like_image(data):
            raise ApiError(
                400, "input_reference must be a PNG, JPEG or WebP image", param="input_reference"
            )
        return
    if is_json and isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("image_url"), str) and value["image_url"].startswith(
            ("data:image/", "https://", "http://")
        ):
            return
        if "file_id" in value:
            raise ApiError(404, "unknown file_id", param="input_reference", code="not_found")
    raise ApiError(
        400, "input_reference must be an image file or one reference", param="input_reference"
    )


def _looks_like_image(data: bytes) -> bool:
    return (
        data.startswith(b"\x89PNG\r\n\x1a\n")
        or data.startswith(b"\xff\xd8\xff")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


@contextlib.contextmanager
def running(options: Options | None = None) -> Iterator[tuple[str, Provider]]:
    """Serve a ``Provider`` on a free loopback port; yields ``(base_url ending in /v1, app)``."""
    from tests.foreign.serve import serve_asgi

    app = Provider(options)
    with serve_asgi(app) as origin:
        yield f"{origin}/v1", app

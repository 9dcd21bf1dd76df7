"""The reference provider's HTTP surface: a Starlette app serving the OpenAI Videos API.

Routing is done on the raw path: ids may contain ``/`` (sent as ``%2F``), ``+`` or ``=`` under
the ``base64std`` id style, and the usual decoded-path matching would split them. Handlers work
in canonical terms and hand their results to ``wire.py`` (objects) and ``envelope.py`` (errors).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import logging
import math
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from conformance import contract
from conformance.provider import wire
from conformance.provider.behaviour import Behaviour
from conformance.provider.bodies import read_fields
from conformance.provider.config import ProviderConfig
from conformance.provider.engine import FAIL_MARKER, RenderEngine
from conformance.provider.envelope import ApiError, error_body, invalid, not_found
from conformance.provider.ids import make_id
from conformance.provider.render import (
    REFERENCE_FILE,
    SPRITESHEET_FILE,
    THUMBNAIL_FILE,
    VIDEO_FILE,
)
from conformance.provider.store import Job, NewJob, Store
from conformance.provider.validation import (
    CreateRequest,
    FilePart,
    fallback_create,
    parse_create,
    parse_list,
    parse_prompt,
)

log = logging.getLogger(__name__)

SIGNED_URL_SECONDS = 300
"""Lifetime of the signed URLs that ``content_redirect`` answers with."""
VARIANTS = contract.VARIANTS

Handler = Callable[[Request, str | None], Awaitable[Response]]


class ProviderApp:
    """Request handling for one provider instance; ``asgi`` is what uvicorn serves."""

    def __init__(self, config: ProviderConfig, store: Store, engine: RenderEngine) -> None:
        self.config = config
        self.b: Behaviour = config.behaviour
        self.store = store
        self.engine = engine
        self.history = wire.PollHistory()
        self._rng = random.Random(config.seed)
        self._signing_key = secrets.token_bytes(32)

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """What uvicorn serves: every HTTP request goes straight to ``dispatch``.

        No framework router sits in between: Starlette's path patterns do not match a newline,
        so an id containing ``%0A`` would get the framework's plain-text 404, not the envelope.
        """
        # Only HTTP: the server runs with lifespan off.
        if scope["type"] == "http":
            response = await self.dispatch(Request(scope, receive))
            await response(scope, receive, send)

    # --- dispatch ----------------------------------------------------------------------------

    async def dispatch(self, request: Request) -> Response:
        """Route, authenticate, run the handler; every error leaves as an envelope."""
        try:
            response = await self._dispatch(request)
        except ApiError as err:
            response = self._error(err)
        except Exception:  # never a bare traceback page: the envelope, and a log line
            log.exception("unhandled error in %s %s", request.method, request.url.path)
            response = self._error(
                ApiError(
                    500,
                    "The reference provider hit an internal error.",
                    type="server_error",
                    code="internal_error",
                )
            )
        response.headers["x-request-id"] = f"req_{secrets.token_hex(12)}"
        return response

    async def _dispatch(self, request: Request) -> Response:
        segments = _segments(request)
        routes = self._routes(segments)
        if routes is None:
            raise self._invalid_url(request)
        video_id = segments[2] if len(segments) > 2 and segments[0] == "v1" else None
        if request.method not in routes:
            raise ApiError(
                405,
                f"Method {request.method} is not allowed on {request.url.path}.",
                code="method_not_allowed",
                headers={"Allow": ", ".join(sorted(routes))},
            )
        name, handler = routes[request.method]
        if name in self.b.routes_disabled:
            raise self._invalid_url(request, self.b.disabled_route_status)
        signed_keyed = name == "signed" and self.b.content_redirect_foreign_keyed
        if (name != "signed" or signed_keyed) and name not in self.b.auth_exempt_routes:
            self._authenticate(request)
        return await handler(request, video_id)

    def _routes(self, segments: list[str]) -> dict[str, tuple[str, Handler]] | None:
        if segments == ["signed", "content"]:
            return {"GET": ("signed", self.signed_content)}
        if len(segments) < 2 or segments[:2] != ["v1", "videos"]:
            return None
        if len(segments) == 2:
            return {"POST": ("create", self.create_video), "GET": ("list", self.list_videos)}
        if len(segments) == 3:
            return {
                "GET": ("retrieve", self.retrieve_video),
                "DELETE": ("delete", self.delete_video),
            }
        if len(segments) == 4 and segments[3] == "content":
            return {"GET": ("content", self.download_content)}
        if len(segments) == 4 and segments[3] == "remix":
            return {"POST": ("remix", self.remix_video)}
        return None

    def _invalid_url(self, request: Request, status: int = 404) -> ApiError:
        return ApiError(
            status, f"Invalid URL ({request.method} {request.url.path})", code="unknown_url"
        )

    def _authenticate(self, request: Request) -> None:
        key = self.config.api_key
        if key is None:
            return
        presented: list[str] = []
        if "bearer" in self.b.auth_styles:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                presented.append(token.strip())
        if "x-api-key" in self.b.auth_styles and request.headers.get("x-api-key"):
            presented.append(request.headers["x-api-key"])
        if any(hmac.compare_digest(p.encode(), key.encode()) for p in presented):
            return
        # Never echo what was presented: it may be a real key meant for someone else.
        message = (
            "Incorrect API key provided."
            if presented
            else "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'"
            + (" or 'x-api-key: <key>'." if "x-api-key" in self.b.auth_styles else ".")
        )
        raise ApiError(self.b.auth_status, message, code="invalid_api_key")

    # --- handlers ----------------------------------------------------------------------------

    async def create_video(self, request: Request, _: str | None) -> Response:
        """POST /videos."""
        fields, encoding = await self._read_body_fields(request)
        if (
            self.b.multipart_requires_file
            and encoding == "multipart"
            and not isinstance(fields.get("input_reference"), FilePart)
        ):
            # A vendor whose multipart route is image-to-video only (dev E3, apiyi).
            raise self._as_validation(
                invalid(
                    "input_reference",
                    "Missing required parameter: 'input_reference' (multipart "
                    "is for image-to-video; send text-to-video as JSON).",
                    "missing_required_parameter",
                )
            )
        try:
            if "input_reference" in fields:
                # Decoding an image is CPU work: off the event loop.
                create = await run_in_threadpool(parse_create, fields, self.b)
            else:
                # Plain fields parse in microseconds; a thread hop per create costs more than
                # that, and a burst of creates would start dozens of threads at once.
                create = parse_create(fields, self.b)
        except ApiError as err:
            if self.b.validation_creates_job:
                # A full queue just means the fault bills nothing this time.
                with contextlib.suppress(ApiError):
                    self._start_job(fallback_create(fields, self.b))
            raise self._as_validation(err) from None
        job = self._start_job(create)
        return self._json(self._video(request, job), self.b.create_status)

    async def list_videos(self, request: Request, _: str | None) -> Response:
        """GET /videos."""
        try:
            query = parse_list(request.query_params)
        except ApiError as err:
            raise self._as_validation(err) from None
        after_seq = None
        if query.after is not None:
            after_seq = self.store.cursor_seq(query.after)
            if after_seq is None:
                raise self._as_validation(
                    invalid(
                        "after",
                        f"Invalid 'after': no video with id {query.after!r} was ever listed here.",
                    )
                )
        ascending = query.ascending and not self.b.list_order_ignored
        limit = None if self.b.list_limit_ignored else query.limit
        lagging = self.b.list_delay_s > 0
        jobs = self.store.page(
            ascending=ascending,
            after_seq=after_seq,
            limit=None if limit is None or lagging else limit + 1,
        )
        if lagging:
            listed_before = time.time() - self.b.list_delay_s
            jobs = [job for job in jobs if job.created_at <= listed_before]
            if limit is not None:
                jobs = jobs[: limit + 1]
        has_more = limit is not None and len(jobs) > limit
        if limit is not None:
            jobs = jobs[:limit]
        items = [self._video(request, job) for job in jobs]
        return self._json(wire.video_list(items, has_more, self.b))

    async def retrieve_video(self, request: Request, video_id: str | None) -> Response:
        """GET /videos/{id}."""
        job = self._job(video_id)
        shown = self.history.show(job, self.b)
        body = self._video(request, job, shown=shown, on_retrieve=True)
        response = self._json(body)
        due_in = job.created_at + self.config.render_seconds - time.time()
        if not job.terminal:
            # Overdue behind other encodes: come back when its turn is expected, not at once.
            expected = self.engine.expected_in(job)
            if expected is not None:
                due_in = max(due_in, expected)
        poll_after = wire.poll_after_header(job.status, self.b, due_in_s=due_in)
        if poll_after is not None:
            response.headers["openai-poll-after-ms"] = poll_after
        return response

    async def delete_video(self, request: Request, video_id: str | None) -> Response:
        """DELETE /videos/{id}: removes the job and its files; a running job is cancelled."""
        job = self._job(video_id)
        if self.b.delete_rejects_json_content_type and "json" in request.headers.get(
            "content-type", ""
        ):
            raise self._as_validation(
                invalid("body", "Invalid JSON body: Expecting value: line 1 column 1 (char 0).")
            )
        if not self.b.delete_noop:
            if not job.terminal:
                self.engine.cancel(job.id)
            self.store.delete(job)
        return self._json(wire.deleted(job, self.b, content_url=self._content_url(request, job)))

    async def download_content(self, request: Request, video_id: str | None) -> Response:
        """GET /videos/{id}/content?variant=..."""
        variant = request.query_params.get("variant", "video")
        if variant not in VARIANTS:
            raise self._as_validation(
                invalid(
                    "variant",
                    f"Invalid value: {variant!r}. Supported "
                    "values are: 'video', 'thumbnail', and "
                    "'spritesheet'.",
                )
            )
        job = self._job(video_id)
        if variant != "video" and not self.b.variants_supported:
            raise self._as_validation(
                invalid("variant", f"The {variant!r} variant is not available from this provider.")
            )
        if job.status != "completed":
            reason = (
                "failed and has no content"
                if job.status == "failed"
                else f"is not ready yet (status: {job.status})"
            )
            err = ApiError(
                self.b.content_not_ready_status, f"Video {job.id} {reason}.", code="video_not_ready"
            )
            if self.b.content_not_ready_200:
                return self._json(error_body(err, self.b))
            raise err
        self._check_not_expired(job)
        if self.b.content_redirect:
            return RedirectResponse(self._signed_url(request, job, variant), status_code=302)
        return self._media(job, variant)

    async def signed_content(self, request: Request, _: str | None) -> Response:
        """GET /signed/content: where ``content_redirect`` sends clients; the signature is the
        credential, so no API key is needed (like a CDN URL)."""
        params = request.query_params
        video_id = params.get("video_id", "")
        variant = params.get("variant", "")
        expires = params.get("expires", "")
        expected = self._signature(video_id, variant, expires)
        if (
            not hmac.compare_digest(expected, params.get("signature", ""))
            or not expires.isdigit()
            or int(expires) < time.time()
        ):
            raise ApiError(
                403, "The signed URL is invalid or has expired.", code="invalid_signature"
            )
        job = self._job(video_id)
        self._check_not_expired(job)
        return self._media(job, variant)

    async def remix_video(self, request: Request, video_id: str | None) -> Response:
        """POST /videos/{id}/remix: a new job from a completed video and a new prompt."""
        source = self._job(video_id)
        fields, _ = await self._read_body_fields(request)
        try:
            prompt = parse_prompt(fields, self.b)
        except ApiError as err:
            raise self._as_validation(err) from None
        if source.status != "completed":
            raise self._as_validation(
                invalid(
                    "video_id",
                    f"Video {source.id} cannot be remixed: "
                    f"it is {source.status}, and only completed videos "
                    "can be remixed.",
                    "invalid_state",
                )
            )
        if self._expired(source):
            raise self._as_validation(
                invalid(
                    "video_id",
                    f"Video {source.id} cannot be remixed: its content has expired.",
                    "invalid_state",
                )
            )
        create = CreateRequest(
            prompt=prompt if prompt is not None else source.prompt,
            model=source.model,
            seconds=source.seconds,
            size=source.size,
            width=source.width,
            height=source.height,
            duration=source.duration,
        )
        job = self._start_job(create, remixed_from=source.id)
        return self._json(self._video(request, job), self.b.create_status)

    # --- jobs ----------------------------------------------------------------------------------

    def _start_job(self, create: CreateRequest, remixed_from: str | None = None) -> Job:
        doomed = FAIL_MARKER in (create.prompt or "")
        if remixed_from is not None and self.b.remix_jobs_fail:
            doomed = True
        if self.config.fail_rate > 0 and self._rng.random() < self.config.fail_rate:
            doomed = True
        new = NewJob(
            id=self._new_id(create.model),
            model=create.model,
            prompt=create.prompt,
            seconds=create.seconds,
            size=create.size,
            width=create.width,
            height=create.height,
            duration=create.duration,
            created_at=time.time(),
            remixed_from=remixed_from,
            has_reference=create.reference_png is not None,
            doomed=doomed,
        )
        job = self.store.insert(new, queue_limit=self.config.queue_limit)
        if job is None:
            headers = {}
            if self.b.retry_after:
                wait = max(1, math.ceil(self.config.render_seconds))
                headers["Retry-After"] = str(wait)
            raise ApiError(
                429,
                f"Too many unfinished videos (the limit is "
                f"{self.config.queue_limit}); retry later.",
                type="rate_limit_error",
                code="rate_limit_exceeded",
                headers=headers,
            )
        if create.reference_png is not None:
            media = self.store.media_dir(job)
            media.mkdir(parents=True, exist_ok=True)
            (media / REFERENCE_FILE).write_bytes(create.reference_png)
        self.engine.submit(job)
        return job

    def _new_id(self, model: str) -> str:
        while True:
            candidate = make_id(self.b.id_style, model)
            if not self.store.id_taken(candidate):
                return candidate

    def _job(self, video_id: str | None) -> Job:
        job = self.store.get(video_id) if video_id else None
        if job is None:
            raise not_found(f"No video found with id {video_id!r}.", self.b.unknown_id_status)
        return job

    def _expired(self, job: Job) -> bool:
        return (
            self.b.expiry_enforced and job.expires_at is not None and time.time() >= job.expires_at
        )

    def _check_not_expired(self, job: Job) -> None:
        if self._expired(job):
            self.store.remove_media(job)
            raise not_found(f"The content of video {job.id} has expired.")

    # --- request bodies ----------------------------------------------------------------------

    async def _read_body_fields(self, request: Request) -> tuple[dict[str, Any], str]:
        try:
            return await read_fields(request, self.b.create_encodings)
        except ApiError as err:
            raise self._as_validation(err) from None

    def _as_validation(self, err: ApiError) -> ApiError:
        """A request validation error with the dialect's validation status."""
        if err.status == 400 and self.b.validation_status != 400:
            return dataclasses.replace(err, status=self.b.validation_status)
        return err

    # --- responses ---------------------------------------------------------------------------

    def _json(self, body: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status)

    def _error(self, err: ApiError) -> Response:
        return JSONResponse(error_body(err, self.b), status_code=err.status, headers=err.headers)

    def _video(
        self,
        request: Request,
        job: Job,
        *,
        shown: wire.Shown | None = None,
        on_retrieve: bool = False,
    ) -> dict[str, Any]:
        return wire.video(
            job,
            self.b,
            content_url=self._content_url(request, job),
            shown=shown,
            on_retrieve=on_retrieve,
        )

    def _content_url(self, request: Request, job: Job) -> str:
        return f"{request.base_url}v1/videos/{quote(job.id, safe='')}/content"

    def _media(self, job: Job, variant: str) -> Response:
        if variant not in VARIANTS:
            raise invalid("variant", f"Invalid value: {variant!r}.")
        if self.b.variant_ignored:
            variant = "video"
        name, media_type = {
            "video": (VIDEO_FILE, self.b.content_type_video),
            "thumbnail": (THUMBNAIL_FILE, "image/webp"),
            "spritesheet": (SPRITESHEET_FILE, "image/jpeg"),
        }[variant]
        path = Path(self.store.media_dir(job), name)
        if not path.exists():
            raise not_found(f"The content of video {job.id} is no longer available.")
        if variant == "video" and self.b.content_corrupt:
            return Response(_garbage(path.stat().st_size, job.id), media_type=media_type)
        return FileResponse(path, media_type=media_type)

    def _signed_url(self, request: Request, job: Job, variant: str) -> str:
        expires = str(int(time.time()) + SIGNED_URL_SECONDS)
        query = urlencode(
            {
                "video_id": job.id,
                "variant": variant,
                "expires": expires,
                "signature": self._signature(job.id, variant, expires),
            }
        )
        base = str(request.base_url)
        if self.b.content_redirect_foreign_keyed:
            # Same server, another origin: clients treat the hop as cross-origin.
            host = request.url.hostname or ""
            other = "localhost" if host == "127.0.0.1" else "127.0.0.1"
            base = base.replace(f"//{host}", f"//{other}", 1)
        return f"{base}signed/content?{query}"

    def _signature(self, video_id: str, variant: str, expires: str) -> str:
        message = f"{video_id}\n{variant}\n{expires}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()


# --- helpers -----------------------------------------------------------------------------------


def _segments(request: Request) -> list[str]:
    """Path segments, each percent-decoded on its own so that an encoded '/' stays in its id."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(request.scope["path"])
    parts = [unquote(part) for part in path.split("/")[1:]]
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # tolerate one trailing slash
    return parts


def _garbage(size: int, seed: str) -> bytes:
    """Deterministic bytes that are not an MP4 (the ``content_corrupt`` fault)."""
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[: max(size, 64)]

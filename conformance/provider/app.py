"""The reference provider's HTTP surface: a Starlette app serving the OpenAI Videos API.

Routing is done on the raw path: ids may contain ``/`` (sent as ``%2F``), ``+`` or ``=`` under
the ``base64std`` id style, and the usual decoded-path matching would split them. Handlers work
in canonical terms and hand their results to ``wire.py`` (objects) and ``envelope.py`` (errors).
Jobs are started and found through ``job_access.py``; the content routes, signed URLs included,
are ``media_routes.py``'s.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from conformance.provider import wire
from conformance.provider.behaviour import Behaviour
from conformance.provider.bodies import read_fields
from conformance.provider.config import ProviderConfig
from conformance.provider.engine import RenderEngine
from conformance.provider.envelope import ApiError, as_validation, error_body, invalid
from conformance.provider.job_access import JobAccess
from conformance.provider.media_routes import MediaRoutes, content_url
from conformance.provider.store import Job, Store
from conformance.provider.validation import (
    CreateRequest,
    FilePart,
    fallback_create,
    parse_create,
    parse_list,
    parse_prompt,
)

log = logging.getLogger(__name__)

Handler = Callable[[Request, str | None], Awaitable[Response]]


class ProviderApp:
    """Request handling for one provider instance; ``asgi`` is what uvicorn serves."""

    def __init__(self, config: ProviderConfig, store: Store, engine: RenderEngine) -> None:
        self.config = config
        self.b: Behaviour = config.behaviour
        self.store = store
        self.engine = engine
        self.history = wire.PollHistory()
        self.jobs = JobAccess(config, store, engine)
        self.media = MediaRoutes(self.b, store, self.jobs)

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
            return {"GET": ("signed", self.media.signed_content)}
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
            return {"GET": ("content", self.media.download_content)}
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
                    self.jobs.start(fallback_create(fields, self.b))
            raise self._as_validation(err) from None
        job = self.jobs.start(create)
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
        job = self.jobs.find(video_id)
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
        job = self.jobs.find(video_id)
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
        return self._json(wire.deleted(job, self.b, content_url=content_url(request, job)))

    async def remix_video(self, request: Request, video_id: str | None) -> Response:
        """POST /videos/{id}/remix: a new job from a completed video and a new prompt."""
        source = self.jobs.find(video_id)
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
        if self.jobs.expired(source):
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
        job = self.jobs.start(create, remixed_from=source.id)
        return self._json(self._video(request, job), self.b.create_status)

    # --- request bodies ----------------------------------------------------------------------

    async def _read_body_fields(self, request: Request) -> tuple[dict[str, Any], str]:
        try:
            return await read_fields(request, self.b.create_encodings)
        except ApiError as err:
            raise self._as_validation(err) from None

    def _as_validation(self, err: ApiError) -> ApiError:
        """A request validation error with the dialect's validation status."""
        return as_validation(err, self.b)

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
            content_url=content_url(request, job),
            shown=shown,
            on_retrieve=on_retrieve,
        )


# --- helpers -----------------------------------------------------------------------------------


def _segments(request: Request) -> list[str]:
    """Path segments, each percent-decoded on its own so that an encoded '/' stays in its id."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(request.scope["path"])
    parts = [unquote(part) for part in path.split("/")[1:]]
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # tolerate one trailing slash
    return parts

"""The reference provider's media: ``GET /v1/videos/{id}/content`` and the signed URLs.

A completed job's files are served directly, or, under ``content_redirect``, through a 302 to
``/signed/content``: a short-lived URL whose HMAC signature is its only credential, as a CDN's
would be. The behaviour's content faults (corrupt bytes, ignored variant, 200 before completion,
a redirect to another origin) are applied here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from conformance import contract
from conformance.provider.behaviour import Behaviour
from conformance.provider.envelope import ApiError, as_validation, error_body, invalid, not_found
from conformance.provider.job_access import JobAccess
from conformance.provider.render import SPRITESHEET_FILE, THUMBNAIL_FILE, VIDEO_FILE
from conformance.provider.store import Job, Store

SIGNED_URL_SECONDS = 300
"""Lifetime of the signed URLs that ``content_redirect`` answers with."""
VARIANTS = contract.VARIANTS


def content_url(request: Request, job: Job) -> str:
    """Where ``job``'s content is downloaded, as its video object names it."""
    return f"{request.base_url}v1/videos/{quote(job.id, safe='')}/content"


class MediaRoutes:
    """The content handlers of one provider instance; the signing key lives as long as it."""

    def __init__(self, behaviour: Behaviour, store: Store, jobs: JobAccess) -> None:
        self.b = behaviour
        self.store = store
        self.jobs = jobs
        self._signing_key = secrets.token_bytes(32)

    async def download_content(self, request: Request, video_id: str | None) -> Response:
        """GET /videos/{id}/content?variant=..."""
        variant = request.query_params.get("variant", "video")
        if variant not in VARIANTS:
            raise as_validation(
                invalid(
                    "variant",
                    f"Invalid value: {variant!r}. Supported "
                    "values are: 'video', 'thumbnail', and "
                    "'spritesheet'.",
                ),
                self.b,
            )
        job = self.jobs.find(video_id)
        if variant != "video" and not self.b.variants_supported:
            raise as_validation(
                invalid("variant", f"The {variant!r} variant is not available from this provider."),
                self.b,
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
                return JSONResponse(error_body(err, self.b), status_code=200)
            raise err
        self.jobs.check_not_expired(job)
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
        job = self.jobs.find(video_id)
        self.jobs.check_not_expired(job)
        return self._media(job, variant)

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


def _garbage(size: int, seed: str) -> bytes:
    """Deterministic bytes that are not an MP4 (the ``content_corrupt`` fault)."""
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[: max(size, 64)]

"""Starting and finding jobs on behalf of the reference provider's handlers.

Create and remix start a job here: a fresh id in the behaviour's id style, whether it is doomed
to fail, admission under the queue limit (a 429 beyond it) and the hand-over to the render
engine. Every handler that names a video finds it here, with the behaviour's status for an
unknown id, and asks here whether its content has expired.
"""

from __future__ import annotations

import math
import random
import time

from conformance.provider.behaviour import Behaviour
from conformance.provider.config import ProviderConfig
from conformance.provider.engine import FAIL_MARKER, RenderEngine
from conformance.provider.envelope import ApiError, not_found
from conformance.provider.ids import make_id
from conformance.provider.render import REFERENCE_FILE
from conformance.provider.store import Job, NewJob, Store
from conformance.provider.validation import CreateRequest


class JobAccess:
    """The jobs of one provider instance, as its handlers start and look them up."""

    def __init__(self, config: ProviderConfig, store: Store, engine: RenderEngine) -> None:
        self.config = config
        self.b: Behaviour = config.behaviour
        self.store = store
        self.engine = engine
        self._rng = random.Random(config.seed)

    def start(self, create: CreateRequest, remixed_from: str | None = None) -> Job:
        """Store a new job for ``create`` and submit it to the engine; ``ApiError`` 429 when
        the queue is full."""
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

    def find(self, video_id: str | None) -> Job:
        """The job ``video_id`` names; not found (in the behaviour's status) otherwise."""
        job = self.store.get(video_id) if video_id else None
        if job is None:
            raise not_found(f"No video found with id {video_id!r}.", self.b.unknown_id_status)
        return job

    def expired(self, job: Job) -> bool:
        """Whether ``job``'s content is past its ``expires_at`` (and expiry is enforced)."""
        return (
            self.b.expiry_enforced and job.expires_at is not None and time.time() >= job.expires_at
        )

    def check_not_expired(self, job: Job) -> None:
        """Not found when ``job``'s content has expired; its files are removed then."""
        if self.expired(job):
            self.store.remove_media(job)
            raise not_found(f"The content of video {job.id} has expired.")

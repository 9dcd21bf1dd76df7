"""How canonical jobs look on the wire under a ``Behaviour``: the one place for it.

Every deviation a dialect or fault asks for in the Video, list and deleted objects is applied
here, so that handlers never special-case wire details.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from conformance.provider.behaviour import Behaviour
from conformance.provider.store import Job

RETRIEVE_ID_SUFFIX = "_r"
"""Appended to ids on retrieve by ``id_changes_on_retrieve``: an id that resolves nowhere."""


@dataclass(frozen=True)
class Shown:
    """What one poll reports, after the poll-history faults had their say."""

    status: str
    progress: int


class PollHistory:
    """Remembers what each job's last retrieve reported, for the regress faults.

    ``status_regress``: the poll after the first one that said in_progress says queued once.
    ``progress_regress``: the first in_progress poll after one that reported progress > 0
    reports half of that progress, once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, Shown] = {}
        self._status_done: set[str] = set()
        self._progress_done: set[str] = set()

    def show(self, job: Job, behaviour: Behaviour) -> Shown:
        """What a retrieve of ``job`` reports now."""
        shown = Shown(job.status, job.progress)
        with self._lock:
            last = self._last.get(job.id)
            if (
                behaviour.status_regress
                and last is not None
                and last.status == "in_progress"
                and job.id not in self._status_done
            ):
                self._status_done.add(job.id)
                shown = Shown("queued", shown.progress)
            elif (
                behaviour.progress_regress
                and last is not None
                and job.status == "in_progress"
                and last.progress > 0
                and job.id not in self._progress_done
            ):
                self._progress_done.add(job.id)
                shown = Shown(job.status, last.progress // 2)
            self._last[job.id] = shown
        return shown


def video(
    job: Job,
    behaviour: Behaviour,
    *,
    content_url: str,
    shown: Shown | None = None,
    on_retrieve: bool = False,
) -> dict[str, Any]:
    """The Video object for ``job``.

    ``content_url`` is the absolute URL of its /content (used by ``url_field``); ``shown`` comes
    from :class:`PollHistory` on retrieve; ``on_retrieve`` enables the retrieve-only id fault.
    """
    b = behaviour
    status = shown.status if shown else job.status
    progress = shown.progress if shown else job.progress
    terminal = status in ("completed", "failed")
    if status == "completed":
        progress = b.progress_at_completion

    job_id = job.id
    if on_retrieve and b.id_changes_on_retrieve:
        job_id += RETRIEVE_ID_SUFFIX

    completed_at: float | None = job.completed_at if terminal else None
    if status == "completed" and not b.completed_at_on_completion:
        completed_at = None
    if not terminal and b.completed_at_early:
        completed_at = job.created_at
    expires_at = job.expires_at if status == "completed" else None

    body: dict[str, Any] = {
        "id": job_id,
        "object": b.object_word,
        "model": job.model,
        "status": b.status_words.get(status, status),
        "progress": _progress(progress, b),
        "created_at": _time(job.created_at, b),
        "completed_at": _time(completed_at, b),
        "expires_at": _time(expires_at, b),
        "prompt": job.prompt,
        "size": b.size_echo if b.size_echo is not None else job.size,
        "seconds": job.seconds,
        "remixed_from_video_id": job.remixed_from if b.remix_link else None,
        "error": None,
    }
    if status == "failed":
        message = job.error_message or "generation failed"
        if b.failed_error_style == "object":
            body["error"] = {"code": job.error_code or "generation_failed", "message": message}
        elif b.failed_error_style == "message_only":
            body["error"] = {"message": message}
        elif b.failed_error_style == "string":
            body["error"] = message
        else:
            del body["error"]
    if b.url_field and status == "completed":
        body["url"] = content_url
    body.update(b.extra_fields)
    body.update(b.extra_fields_by_model.get(job.model, {}))
    for key in b.omit_keys:
        body.pop(key, None)
    if b.omit_null_keys:
        body = {key: value for key, value in body.items() if value is not None}
    for key in b.omit_keys_when_null:
        if key in body and body[key] is None:
            del body[key]
    return body


def video_list(items: list[dict[str, Any]], has_more: bool, behaviour: Behaviour) -> dict[str, Any]:
    """The list object around already rendered Videos."""
    body: dict[str, Any] = {"object": "list", "data": items}
    if behaviour.list_cursor_fields:
        body["first_id"] = items[0]["id"] if items else None
        body["last_id"] = items[-1]["id"] if items else None
        body["has_more"] = has_more
    return body


def deleted(job: Job, behaviour: Behaviour, *, content_url: str) -> dict[str, Any]:
    """The answer to a successful delete."""
    if behaviour.delete_style == "video_status":
        body = video(job, behaviour, content_url=content_url)
        body["status"] = "deleted"
        return body
    if behaviour.delete_style == "minimal":
        return {"status": "deleted"}
    return {"id": job.id, "object": "video.deleted", "deleted": True}


POLL_AFTER_FLOOR_MS = 100
"""The soonest the provider asks a client to come back."""


def poll_after_header(
    status: str, behaviour: Behaviour, due_in_s: float | None = None
) -> str | None:
    """Value of ``openai-poll-after-ms`` for a retrieve of a job in ``status`` (or None).

    ``behaviour.poll_after_ms`` is the longest wait the provider asks for; when the job is due
    sooner (``due_in_s``), it asks the client to come back then, so a client that honours the
    hint (the SDK does) notices completion within a round trip instead of up to a full interval
    late.
    """
    if status in ("completed", "failed"):
        return None
    if behaviour.poll_after_raw is not None:
        return behaviour.poll_after_raw
    if behaviour.poll_after_ms is None:
        return None
    hint = behaviour.poll_after_ms
    if due_in_s is not None:
        hint = min(hint, max(POLL_AFTER_FLOOR_MS, math.ceil(due_in_s * 1000)))
    return str(hint)


def _progress(percent: int, b: Behaviour) -> int | float | str:
    if b.progress_style == "fraction":
        return round(percent / 100, 4)
    if b.progress_style == "percent_string":
        return f"{percent}%"
    return percent


def _time(value: float | None, b: Behaviour) -> int | str | None:
    # created_at_unit governs every timestamp of the object: a vendor that counts in
    # milliseconds or ISO strings does so for all of them.
    if value is None:
        return None
    if b.created_at_unit == "ms":
        return int(value * 1000)
    if b.created_at_unit == "iso":
        return datetime.fromtimestamp(int(value), UTC).isoformat().replace("+00:00", "Z")
    return int(value)

"""The job model: what the pool sends and learns about each job, read by the checks."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.client import ProviderFault, Response
from conformance.report.model import Exchange, JobRecord, StatusSample

if TYPE_CHECKING:
    from conformance.jobs.planning import JobSpec
    from conformance.media import VideoProbe

TERMINAL = ("completed", "failed")
"""The statuses after which a job never changes (api §4)."""


@dataclass(frozen=True)
class CreateAttempt:
    """One create the pool sent for a job (the first, and each fallback)."""

    encoding: str
    fields: dict[str, str]
    response: Response

    @property
    def accepted(self) -> bool:
        return self.response.ok


@dataclass
class PollRecord:
    """One retrieve while polling."""

    t: float
    """Seconds since the create answered."""
    status_code: int
    headers: dict[str, str]
    body: Any
    exchange: Exchange


@dataclass
class EarlyContent:
    """``/content`` asked right after create, before the first poll (VID-CONTENT-005)."""

    response: Response
    status_after: Any
    """The job's status word from a retrieve sent right after the probe (None if unknown)."""
    status_before: Any
    """The status word in the create response."""


@dataclass
class PoolJob:
    """Everything the pool learned about one job, filled in while it runs (``pool.get_created``
    hands it over as soon as the create answered). Checks read it; nobody mutates it after
    the pool is done with it."""

    spec: JobSpec
    outcome: str = "pending"
    """``completed`` / ``failed`` (terminal), ``timeout``, ``rejected`` (create not 2xx),
    ``broken`` (polls kept failing), ``skipped`` (budget or prerequisite), ``error`` (harness)."""
    reason: str = ""
    video_id: str | None = None
    create: Response | None = None
    created_wall: float | None = None
    """``time.time()`` when the create answered (to judge ``created_at``)."""
    polls: list[PollRecord] = field(default_factory=list)
    observed: list[tuple[str, Any]] = field(default_factory=list)
    """Every Video body seen for this job, in order: ("create" | "poll", body)."""
    final: dict[str, Any] | None = None
    """The last Video body seen."""
    terminal_word: str | None = None
    """The status word the job settled on (may be outside the contract's four)."""
    early_content: EarlyContent | None = None
    content: Response | None = None
    video_probe: VideoProbe | None = None
    """The probe of the downloaded bytes: the pool probes every 2xx download once (the main
    content and the SDK's ``download_content``), so a check never decodes them again."""
    variants: dict[str, Response] = field(default_factory=dict)
    poster_png: bytes | None = None
    duration_s: float = 0.0
    deleted: bool | None = None
    cleanup_note: str = ""
    attempts: list[CreateAttempt] = field(default_factory=list)
    """Every create sent for this job, in order; the last one's answer is ``create``."""
    content_fault: ProviderFault | None = None
    """Why ``/content`` gave no usable answer (broken HTTP, over its size cap), if it did not."""
    variant_faults: dict[str, ProviderFault] = field(default_factory=dict)
    sdk: Any = None
    """``sdk.SdkJobRun`` (the ``sdk`` job) or ``sdk.SdkCall`` (a create sent through the SDK):
    what openai-python returned or raised, with its transcript, for the SDK checks."""

    def probe(self) -> VideoProbe:
        """The typed probe of the downloaded content (call once ``content`` answered 2xx)."""
        if self.video_probe is None:
            raise RuntimeError(f"the {self.purpose} job's download was not probed")
        return self.video_probe

    @property
    def purpose(self) -> str:
        return self.spec.purpose

    @property
    def completed(self) -> bool:
        return self.outcome == "completed"

    @property
    def created(self) -> bool:
        return self.video_id is not None

    def timeline(self) -> list[StatusSample]:
        samples = []
        if self.create is not None and isinstance(self.create.json(), dict):
            body = self.create.json()
            samples.append(StatusSample(0.0, body.get("status"), body.get("progress")))
        for poll in self.polls:
            if isinstance(poll.body, dict):
                samples.append(
                    StatusSample(
                        round(poll.t, 3), poll.body.get("status"), poll.body.get("progress")
                    )
                )
        return samples

    def report_record(self) -> JobRecord:
        """The report's view of this job."""
        final_status = self.final.get("status") if isinstance(self.final, dict) else None
        return JobRecord(
            video_id=self.video_id,
            purpose=self.purpose,
            request={
                "encoding": self.spec.encoding,
                "fields": {
                    k: (v if k != "prompt" else v[:200]) for k, v in self.spec.fields.items()
                },
                "with_image": self.spec.with_image,
                "source": self.spec.source,
                "description": self.spec.description,
            },
            final_status=str(final_status) if final_status is not None else self.outcome,
            seconds=self.spec.billed_seconds,
            timeline=self.timeline(),
            poster_png_base64=base64.b64encode(self.poster_png).decode()
            if self.poster_png
            else None,
            duration_s=self.duration_s,
            deleted=self.deleted,
            note=self.reason or self.cleanup_note,
        )


def settled_word(body: Any) -> str | None:
    """The terminal word of a Video body, or ``None`` while it still runs.

    A word outside the contract counts as terminal when the object says it is finished
    (``completed_at`` or ``error`` set): the checker reports the word (VID-LIFE-001) instead of
    spinning until the timeout like a strict poller would.
    """
    if not isinstance(body, dict):
        return None
    status = body.get("status")
    if status in TERMINAL:
        return str(status)
    if status in ("queued", "in_progress"):
        return None
    if body.get("completed_at") or body.get("error"):
        return str(status)
    return None

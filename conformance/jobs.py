"""The job pool: the few billable jobs of a run, created once, polled concurrently, shared.

``plan_jobs`` decides from the selected checks and the target's declared features which jobs a
run needs (``JobSpec``, one per *purpose*). ``JobPool.start`` reserves budget for all of them
up front (in plan order, so the main job is never starved by a later one), then runs each job
in its own thread: create → an early ``/content`` probe (main job only) → poll until terminal
(``polling.PollSchedule``: the provider's hints, else the job's own progress rate, bounded by
the job timeout) → download the content and declared variants → a poster frame.
A remix waits for its source to complete, so wall time is the longest chain
(create → complete → remix → complete), not the sum of the jobs.

Two purposes go through the official ``openai`` SDK (``conformance.sdk``), so that the SDK
checks bill nothing of their own: the ``sdk`` job is created, polled and downloaded by
openai-python's ``create_and_poll`` + ``download_content`` (a lax client, bounded by the job
timeout; what it returned or raised is kept in ``FinishedJob.sdk``), and the ``remix`` job is
created by ``client.videos.remix`` (the raw answer is its create exchange, exactly as our own
client would have recorded it) and then polled by our poller.

Checks take finished jobs with ``pool.get(purpose)`` (blocks until the job is finished);
``pool.get_created(purpose)`` returns as soon as the create answered.
"""

from __future__ import annotations

import base64
import io
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from conformance.budget import Budget, Reservation
from conformance.client import (
    Client,
    ProviderFault,
    Response,
    Throttled,
    TransportFailure,
    Unreachable,
)
from conformance.config import Target
from conformance.features import FeatureMap
from conformance.flow_control import should_retry
from conformance.live import events
from conformance.polling import PollSchedule
from conformance.report.model import Exchange, JobRecord, StatusSample


class _SdkAnswered(Protocol):
    transcript: Any
    """``sdk.SdkTranscript``: every response the SDK received."""


SdkCallT = TypeVar("SdkCallT", bound=_SdkAnswered)

STATUSES = ("queued", "in_progress", "completed", "failed")
TERMINAL = ("completed", "failed")
VARIANTS = ("thumbnail", "spritesheet")

REFUSAL_STATUSES = frozenset({400, 406, 415, 422})
"""Create answers that refuse the request as sent (no job made): a fallback may be tried."""
MAX_POLL_FAILURES = 10
"""Consecutive non-2xx polls after which a job counts as broken."""
SDK_FEATURES = ("list", "remix", "delete")
"""The declared features VID-SDK-003 exercises through openai-python."""

PURPOSES = (
    "main",
    "defaults",
    "failing",
    "remix",
    "image",
    "sdk",
    "extension_seconds",
    "extension_size",
)
"""Every job purpose, in reservation priority order."""


@dataclass(frozen=True)
class JobSpec:
    """One job the run will create."""

    purpose: str
    encoding: str
    """``json`` or ``multipart`` (``remix`` is always JSON, as the SDK sends it)."""
    fields: dict[str, str]
    """Exactly the body fields sent (a field left out is left out on purpose)."""
    billed_seconds: int
    description: str
    source: str | None = None
    """For a remix: the purpose of the job it remixes."""
    with_image: bool = False
    """Send an ``input_reference`` image file (multipart)."""
    variants: tuple[str, ...] = ()
    probe_early_content: bool = False
    sdk_create: bool = False
    """Created through openai-python (lax client); the raw answer is the create exchange."""
    sdk_poll: bool = False
    """Created, polled and downloaded by openai-python's own helpers (``create_and_poll``)."""
    fallbacks: tuple[tuple[str, dict[str, str]], ...] = ()
    """(encoding, fields) sent in turn while the vendor refuses with a 4xx (nothing was made,
    so the reservation still covers the resend): the job tries something the contract allows
    on purpose (a refusal is a finding of its own check) and the other checks still need it."""

    @property
    def uses_extension(self) -> bool:
        """The job asks for a declared extension (a value beyond the contract) on purpose.

        Its objects echo that value, so they are judged by the extension checks, not by the
        contract's shape checks: a client written to the contract never sends such a request.
        """
        return self.purpose.startswith("extension_")

    @property
    def requested(self) -> dict[str, str | None]:
        """model / size / seconds as requested (``None`` = omitted, so the default applies)."""
        return {k: self.fields.get(k) for k in ("model", "size", "seconds")}


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
class FinishedJob:
    """Everything the pool learned about one job. Checks read it; nobody mutates it after done."""

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
    video_probe: Any = None
    """``media.VideoProbe`` of the downloaded bytes, when the media module is available."""
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


def _needs(selected: set[str], *prefixes: str) -> bool:
    return any(cid.startswith(p) for cid in selected for p in prefixes)


def plan_jobs(target: Target, selected: Iterable[str], run_tag: str = "") -> list[JobSpec]:
    """The jobs a run with ``selected`` checks creates against ``target``, in priority order."""
    ids = set(selected)
    tag = f" [vc {run_tag}]" if run_tag else ""
    # The main job uses the encoding openai-python sends (multipart) unless the profile rules it
    # out, and falls back to the other one: a refused encoding is VID-CREATE-001/002's finding,
    # never a reason to leave the lifecycle unjudged. The defaults job tries the other encoding.
    main_enc = "multipart" if "multipart" in target.create_encodings else "json"
    other_enc = "json" if main_enc == "multipart" else "multipart"
    base: dict[str, str] = {"model": target.model} if target.model else {}
    specs: list[JobSpec] = []
    detect: list[JobSpec] = []
    sdk_extended = [f for f in SDK_FEATURES if not target.denies(f)]
    # VID-SDK-003 judges the pool's remix (sent through the SDK) and lists and deletes the SDK job.
    sdk_remix = "remix" in sdk_extended and _needs(ids, "VID-SDK-003")

    lifecycle_users = (
        "VID-CREATE",
        "VID-OBJ",
        "VID-LIFE",
        "VID-CONTENT",
        "VID-AUTH",
        "VID-LIST",
        "VID-DEL",
        "VID-REMIX",
        "VID-EXP",
        "VID-SDK-004",  # the openai-node oracle polls, downloads and lists the main job
    )
    if _needs(ids, *lifecycle_users) or sdk_remix:
        variants = (
            VARIANTS if not target.denies("variants") and _needs(ids, "VID-CONTENT-00") else ()
        )
        main_fields = {
            **base,
            "prompt": f"A paper boat drifting on a calm pond{tag}",
            "size": target.main_size,
            "seconds": target.main_seconds,
        }
        specs.append(
            JobSpec(
                purpose="main",
                encoding=main_enc,
                fields=main_fields,
                fallbacks=((other_enc, main_fields),),
                billed_seconds=int(target.main_seconds),
                description=f"{main_enc} create with explicit size and seconds",
                variants=variants,
                probe_early_content=_needs(ids, "VID-CONTENT-005"),
            )
        )
    if _needs(
        ids, "VID-CREATE-001", "VID-CREATE-002", "VID-CREATE-004", "VID-CREATE-006", "VID-DEL"
    ):
        prompt = {"prompt": f"A lighthouse at dusk, waves below{tag}"}
        specs.append(
            JobSpec(
                purpose="defaults",
                encoding=other_enc,
                # model, size and seconds are all optional in the contract: leave them all out.
                # A refusal of the encoding (VID-CREATE-001/002) or of the missing model
                # (VID-CREATE-006) must not cost the other checks their job: it is resent in
                # the other encoding, then with the profile's model.
                fields=prompt,
                fallbacks=(
                    *(((other_enc, {**base, **prompt}),) if base else ()),
                    (main_enc, prompt),
                    *(((main_enc, {**base, **prompt}),) if base else ()),
                ),
                billed_seconds=4,
                description=f"{other_enc} create omitting model, size and seconds (defaults apply)",
            )
        )
    if target.failing_prompt and _needs(ids, "VID-LIFE"):
        specs.append(
            JobSpec(
                purpose="failing",
                encoding=main_enc,
                fields={
                    **base,
                    "prompt": target.failing_prompt,
                    "size": target.main_size,
                    "seconds": target.main_seconds,
                },
                billed_seconds=int(target.main_seconds),
                description="create with the profile's failing_prompt (expected to fail)",
            )
        )
    if (
        not target.denies("remix")
        and (_needs(ids, "VID-REMIX") or sdk_remix)
        and specs
        and specs[0].purpose == "main"
    ):
        (specs if target.declares("remix") else detect).append(
            JobSpec(
                purpose="remix",
                encoding="json",
                fields={"prompt": f"The same scene, now at night under the stars{tag}"},
                billed_seconds=int(target.main_seconds),
                description="remix of the main job once it completed (sent by openai-python)",
                source="main",
                sdk_create=True,
            )
        )
    if not target.denies("image_to_video") and _needs(ids, "VID-I2V"):
        (specs if target.declares("image_to_video") else detect).append(
            JobSpec(
                purpose="image",
                encoding="multipart",
                fields={
                    **base,
                    "prompt": f"The pictured scene slowly comes alive{tag}",
                    "size": target.main_size,
                    "seconds": target.main_seconds,
                },
                billed_seconds=int(target.main_seconds),
                description="multipart create with an input_reference image file",
                with_image=True,
            )
        )
    if _needs(ids, "VID-SDK-001") or (sdk_extended and _needs(ids, "VID-SDK-003")):
        specs.append(
            JobSpec(
                purpose="sdk",
                encoding="multipart",  # openai-python sends every create as multipart
                fields={
                    **base,
                    "prompt": f"A red balloon rising over rooftops{tag}",
                    "size": target.main_size,
                    "seconds": target.main_seconds,
                },
                billed_seconds=int(target.main_seconds),
                description="openai-python create_and_poll, then download_content",
                sdk_poll=True,
            )
        )
    if target.extension_seconds and _needs(ids, "VID-EXT-001"):
        secs = target.extension_seconds[0]
        specs.append(
            JobSpec(
                purpose="extension_seconds",
                encoding=main_enc,
                fields={
                    **base,
                    "prompt": f"Clouds passing over hills{tag}",
                    "size": target.main_size,
                    "seconds": secs,
                },
                billed_seconds=int(secs) if secs.isdigit() else 20,
                description=f"create with the declared extension seconds {secs!r}",
            )
        )
    if target.extension_sizes and _needs(ids, "VID-EXT-002"):
        size = target.extension_sizes[0]
        specs.append(
            JobSpec(
                purpose="extension_size",
                encoding=main_enc,
                fields={
                    **base,
                    "prompt": f"A windmill turning slowly{tag}",
                    "size": size,
                    "seconds": target.main_seconds,
                },
                billed_seconds=int(target.main_seconds),
                description=f"create with the declared extension size {size!r}",
            )
        )
    # Jobs that find out whether an unmentioned feature is there come last: the budget is
    # reserved in this order, and a claimed feature or the SDK oracle must never go without
    # its job for the sake of a discovery.
    return specs + detect


def reference_image(size: str) -> tuple[str, bytes, str]:
    """A small JPEG at ``size`` (WxH) for ``input_reference`` (the image must match the size)."""
    from PIL import Image, ImageDraw

    try:
        width, height = (int(v) for v in size.lower().split("x", 1))
    except ValueError:
        width, height = 720, 1280
    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 4, 3 * width // 4, height // 2), fill=(240, 200, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return ("reference.jpg", buffer.getvalue(), "image/jpeg")


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


class JobPool:
    """Runs the planned jobs concurrently and hands them to checks."""

    def __init__(
        self,
        client: Client,
        budget: Budget,
        target: Target,
        specs: list[JobSpec],
        *,
        probe_video: Callable[[bytes], Any] | None = None,
        poster: Callable[[bytes], bytes | None] | None = None,
        sdk_transport: Any = None,
        features: FeatureMap | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """``sdk_transport``: an ``httpx2`` transport for openai-python's requests (tests; the
        network by default), as ``client``'s transport is for ours. ``features`` learns from
        the answers of the remix, image and variant requests whether those are offered.
        ``stop``: the event every poll delay waits on (a replay passes one that never blocks)."""
        self.client = client
        self.features = features or FeatureMap(target.features, target.absent_features)
        self.budget = budget
        self.target = target
        self.specs = {s.purpose: s for s in specs}
        self.jobs: dict[str, FinishedJob] = {s.purpose: FinishedJob(s) for s in specs}
        self._created = {p: threading.Event() for p in self.specs}
        self._done = {p: threading.Event() for p in self.specs}
        # Set once a job's outcome is known, before its downloads: a remix of it can start then.
        self._settled = {p: threading.Event() for p in self.specs}
        self._stop = stop if stop is not None else threading.Event()
        self._threads: list[threading.Thread] = []
        self._probe_video = probe_video
        self._poster = poster
        self._sdk_transport = sdk_transport
        self.started = False

    # --- for checks -----------------------------------------------------------------------
    @property
    def sdk_transport(self) -> Any:
        """The ``httpx2`` transport openai-python sends through in this run (``None``: the
        network); the SDK checks' own clients use it too, so they are recorded and replayed."""
        return self._sdk_transport

    def planned(self, purpose: str) -> bool:
        return purpose in self.specs

    def get(self, purpose: str, timeout: float | None = None) -> FinishedJob | None:
        """The finished job for ``purpose`` (blocks), or ``None`` when none was planned."""
        if purpose not in self.jobs:
            return None
        self._done[purpose].wait(timeout)
        return self.jobs[purpose]

    def get_created(self, purpose: str, timeout: float | None = None) -> FinishedJob | None:
        """The job as soon as its create answered (polling may still be running)."""
        if purpose not in self.jobs:
            return None
        self._created[purpose].wait(timeout)
        return self.jobs[purpose]

    def all_jobs(self) -> list[FinishedJob]:
        """Every planned job, finished (blocks until all are done)."""
        for event in self._done.values():
            event.wait()
        return list(self.jobs.values())

    def accepted_encodings(self) -> list[str]:
        """The create encodings the target accepted in this run (waits for the text creates)."""
        accepted: list[str] = []
        for job in self.jobs.values():
            spec = job.spec
            # The SDK's create is always multipart, whatever the profile declares.
            if spec.source is None and not spec.with_image and not spec.sdk_poll:
                self._created[job.purpose].wait()
                for attempt in job.attempts:
                    if attempt.accepted and attempt.encoding not in accepted:
                        accepted.append(attempt.encoding)
        return accepted

    def working_encoding(self) -> str | None:
        """A create encoding the target accepted in this run, the first declared preferred."""
        accepted = self.accepted_encodings()
        return accepted[0] if accepted else None

    # --- running ---------------------------------------------------------------------------
    def start(self) -> None:
        """Reserve budget for every job (priority order), then run each in its own thread."""
        self.started = True
        reservations: dict[str, Reservation | None] = {}
        for purpose, spec in self.specs.items():
            reservations[purpose] = self.budget.reserve(spec.billed_seconds, f"job:{purpose}")
        for purpose, res in reservations.items():
            job = self.jobs[purpose]
            if res is None:
                limits = self.budget.limits
                self._finish(
                    job,
                    "skipped",
                    f"over budget (max_jobs={limits.max_jobs}, "
                    f"max_video_seconds={limits.max_video_seconds})",
                )
                continue
            run = self._run_sdk_job if job.spec.sdk_poll else self._run_job
            events().job_update(purpose, "creating", None)
            thread = threading.Thread(
                target=run, args=(job, res), name=f"job-{purpose}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Ask every poll loop to end (interrupts); jobs still running end as ``error``."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _settle(self, job: FinishedJob, outcome: str) -> None:
        job.outcome = outcome
        events().job_done(job.purpose, outcome, job.reason)
        self._settled[job.purpose].set()

    def _finish(self, job: FinishedJob, outcome: str, reason: str = "") -> None:
        job.reason = reason
        self._settle(job, outcome)
        self._created[job.purpose].set()
        self._done[job.purpose].set()

    def _run_job(self, job: FinishedJob, reservation: Reservation) -> None:
        started = time.monotonic()
        settled = False
        try:
            if job.spec.source is not None:
                # The source's outcome, not its downloads: a vendor's MP4 may take a while to
                # fetch, and the remix (the run's longest chain) need not wait for it.
                source = self.jobs.get(job.spec.source)
                if source is not None:
                    self._settled[job.spec.source].wait()
                if source is None or not source.completed or not source.video_id:
                    reservation.cancel()
                    settled = True
                    state = "not planned" if source is None else source.outcome
                    self._finish(
                        job, "skipped", f"source job {job.spec.source!r} did not complete ({state})"
                    )
                    return
                if job.spec.sdk_create:
                    response = self._sdk_remix(job, source.video_id)
                else:
                    response = self.client.remix(source.video_id, job.spec.fields["prompt"])
            else:
                files = (
                    {
                        "input_reference": reference_image(
                            job.spec.fields.get("size") or self.target.main_size
                        )
                    }
                    if job.spec.with_image
                    else None
                )
                response = self._create_with_fallbacks(job, files)
            feature = "remix" if job.spec.source is not None else None
            feature = "image_to_video" if job.spec.with_image else feature
            if feature is not None and not self.features.observe(
                feature, response, f"the {job.purpose} job's create"
            ):
                job.create = response
                reservation.cancel()
                settled = True
                self._finish(job, "unsupported", f"{feature} is not offered: {response.status}")
                return
            job.create = response
            job.created_wall = time.time()
            body = response.json()
            video_id = body.get("id") if isinstance(body, dict) else None
            if not response.ok or not isinstance(video_id, str) or not video_id:
                if response.ok:
                    # Accepted but no usable id: it may still bill, so it counts as created.
                    reservation.confirm(None)
                else:
                    reservation.cancel()
                settled = True
                what = "no id in the response" if response.ok else f"answered {response.status}"
                self._finish(job, "rejected", f"create {what}")
                return
            reservation.confirm(video_id)
            settled = True
            job.video_id = video_id
            job.observed.append(("create", body))
            job.final = body
            self._created[job.purpose].set()
            if job.spec.probe_early_content:
                self._probe_early_content(job, body, started)
            outcome, reason = self._poll(job, started)
            self._settle(job, outcome)
            if outcome == "completed":
                self._download(job)
            self._finish(job, outcome, reason)
        except Throttled as exc:
            if not settled:
                reservation.cancel()  # only statuses that prove no job was made are retried
            self._finish(job, "error", f"throttled: {exc}")
        except TransportFailure as exc:
            if not settled:
                # The request may have reached the vendor: count it, to stay under the cap.
                reservation.confirm(None)
            if isinstance(exc, ProviderFault):
                self._finish(job, "broken", f"no usable answer: {exc}")
            else:
                self._finish(job, "error", str(exc))
        except Exception as exc:  # a bug in the harness must not hang the checks waiting on it
            if not settled:
                reservation.cancel()
            self._finish(job, "error", f"harness error: {type(exc).__name__}: {exc}")
        finally:
            job.duration_s = round(time.monotonic() - started, 3)

    def _create_with_fallbacks(
        self, job: FinishedJob, files: Mapping[str, tuple[str, bytes, str]] | None
    ) -> Response:
        """Send the job's create, then each fallback in turn while the vendor refuses it."""
        tries = [(job.spec.encoding, job.spec.fields), *job.spec.fallbacks]
        response: Response | None = None
        for encoding, fields in tries:
            if response is not None and response.status not in REFUSAL_STATUSES:
                break
            # Refused, so nothing was created: the reservation still covers the resend.
            response = self.client.create(fields, encoding=encoding, files=files)
            job.attempts.append(CreateAttempt(encoding, dict(fields), response))
        assert response is not None
        return response

    def _past_flow_control(self, send: Callable[[], SdkCallT], path: str) -> SdkCallT:
        """``send()`` (an SDK create through ``path``), again while its answer is flow control
        that proves no job was made, within the client's retry deadline."""
        until = time.monotonic() + self.client.retry_deadline_s
        attempt = 0
        while True:
            call = send()
            answered = call.transcript.last("POST", path)
            throttled = answered is not None and should_retry(
                "POST", path, answered.status, answered.headers
            )
            attempt += 1
            wait = min(2.0 * attempt, 10.0)
            if not throttled or time.monotonic() + wait > until:
                return call
            self._stop.wait(wait)

    def _sdk_remix(self, job: FinishedJob, source_id: str) -> Response:
        """Send the remix through openai-python; its raw answer, as our client would have
        recorded it (an error answer is also kept for the envelope check)."""
        from conformance import sdk

        # A remix the SDK gave up on over flow control made no job (429 proves it; the SDK
        # retries a 503 only with Retry-After): it is sent again within the retry deadline.
        call = self._past_flow_control(
            lambda: sdk.drive_remix(
                self.target,
                source_id,
                job.spec.fields["prompt"],
                self._sdk_transport,
                run_ends_at=self.client.run_ends_at,
            ),
            "/remix",
        )
        job.sdk = call
        raw = call.transcript.last("POST", "/remix")
        if raw is None:
            what = sdk.describe_sdk_error(call.error) if call.error else "no response"
            if call.error is not None and sdk.is_provider_fault(call.error):
                raise ProviderFault(f"openai-python's remix got no usable answer: {what}")
            raise Unreachable(f"openai-python's remix got no answer: {what}")
        response = raw.as_response()
        self.client.note_error("remix", response)
        return response

    def _run_sdk_job(self, job: FinishedJob, reservation: Reservation) -> None:
        """The ``sdk`` job: openai-python creates, polls and downloads it. The pool keeps what
        the SDK returned or raised (``job.sdk``) and reads the job's record from the SDK's raw
        answers. When the SDK gives up on a job that still runs (its poll returns early on a
        word outside the contract, or raises), our poller takes over, so that the job's own
        outcome is judged like every other job's and only the SDK checks judge the SDK."""
        from conformance import sdk

        started = time.monotonic()
        settled = False
        try:
            # Given up on flow control at the create: no job was made, so it is sent again.
            run = self._past_flow_control(
                lambda: sdk.drive_create_and_poll(
                    self.target,
                    job.spec.fields,
                    self._stop,
                    self._sdk_transport,
                    run_ends_at=self.client.run_ends_at,
                ),
                "/videos",
            )
            job.sdk = run
            create = run.transcript.last("POST", "/videos")
            if create is None:
                reservation.confirm(None)  # it may have reached the vendor: count it
                settled = True
                what = sdk.describe_sdk_error(run.error) if run.error else "no response"
                if run.error is not None and sdk.is_provider_fault(run.error):
                    self._finish(job, "broken", f"openai-python's create: no usable answer: {what}")
                else:
                    self._finish(job, "error", f"openai-python's create got no answer: {what}")
                return
            job.create = create.as_response()
            job.created_wall = create.wall
            body = create.json()
            video_id = body.get("id") if isinstance(body, dict) else None
            if not job.create.ok or not isinstance(video_id, str) or not video_id:
                if job.create.ok:
                    reservation.confirm(None)  # accepted without a usable id: it may bill
                else:
                    reservation.cancel()
                settled = True
                what = "no id in the response" if job.create.ok else f"answered {create.status}"
                self._finish(job, "rejected", f"create {what}")
                return
            reservation.confirm(video_id)
            settled = True
            job.video_id = video_id
            job.observed.append(("create", body))
            job.final = body
            self._created[job.purpose].set()
            self._record_sdk_polls(job, run.transcript, started)
            outcome, reason = self._sdk_outcome(job, run, started)
            download = run.transcript.last("GET", "/content")
            if run.content is not None and download is not None:
                job.content = download.as_response()
                if self._probe_video is not None:
                    job.video_probe = self._probe_video(run.content)
                if self._poster is not None:
                    job.poster_png = self._poster(run.content)
            self._finish(job, outcome, reason)
        except TransportFailure as exc:
            outcome = "broken" if isinstance(exc, ProviderFault) else "error"
            self._finish(job, outcome, str(exc))
        except Exception as exc:  # a bug in the harness must not hang the checks waiting on it
            if not settled:
                reservation.confirm(None)
            self._finish(job, "error", f"harness error: {type(exc).__name__}: {exc}")
        finally:
            job.duration_s = round(time.monotonic() - started, 3)

    def _record_sdk_polls(self, job: FinishedJob, transcript: Any, started: float) -> None:
        """The SDK's retrieves of the job, as poll records."""
        for raw in transcript.responses:
            if raw.method != "GET" or raw.path.endswith("/content"):
                continue
            body = raw.json()
            job.polls.append(
                PollRecord(raw.at - started, raw.status, dict(raw.headers), body, raw.exchange)
            )
            if 200 <= raw.status < 300 and isinstance(body, dict):
                job.observed.append(("poll", body))
                job.final = body

    def _sdk_outcome(self, job: FinishedJob, run: Any, started: float) -> tuple[str, str]:
        """The job's outcome after ``create_and_poll``: the SDK's when it saw the job settle on
        a contract word, else our poller's (a timeout or an interrupt ends it here)."""
        from conformance import sdk

        error = run.error if run.video is None else None
        if isinstance(error, sdk.PollTimeout):
            return "timeout", str(error)
        if isinstance(error, sdk.PollInterrupted):
            return "error", str(error)
        if error is not None and sdk.is_network_error(error):
            return "error", f"openai-python got no answer: {sdk.describe_sdk_error(error)}"
        word = getattr(run.video, "status", None)
        if word in TERMINAL:
            job.terminal_word = str(word)
            return str(word), ""
        return self._poll(job, started)

    def _record_poll(self, job: FinishedJob, response: Response, started: float) -> Any:
        body = response.json()
        job.polls.append(
            PollRecord(
                t=time.monotonic() - started,
                status_code=response.status,
                headers=dict(response.headers),
                body=body,
                exchange=response.exchange,
            )
        )
        if response.ok and isinstance(body, dict):
            job.observed.append(("poll", body))
            job.final = body
            events().job_update(job.purpose, body.get("status"), body.get("progress"))
        return body

    def _probe_early_content(self, job: FinishedJob, create_body: Any, started: float) -> None:
        assert job.video_id is not None
        before = create_body.get("status") if isinstance(create_body, dict) else None
        probe = self.client.content(job.video_id, follow_redirects=False)
        after = self.client.retrieve(job.video_id)
        body = self._record_poll(job, after, started)
        status_after = body.get("status") if after.ok and isinstance(body, dict) else None
        job.early_content = EarlyContent(probe, status_after, before)

    def _poll(self, job: FinishedJob, started: float) -> tuple[str, str]:
        assert job.video_id is not None
        deadline = started + self.target.job_timeout_s
        schedule = PollSchedule()
        for t, body in [(0.0, job.final), *((p.t, p.body) for p in job.polls)]:
            schedule.observe(t, body)
        failures = 0
        word = settled_word(job.final)
        last: tuple[float, int | None, Mapping[str, str]] | None = (
            (job.polls[-1].t, job.polls[-1].status_code, job.polls[-1].headers)
            if job.polls
            else None
        )
        while word is None:
            if self._stop.is_set():
                return "error", "run interrupted while polling"
            if last is not None:
                delay = schedule.next_delay(*last)
                if time.monotonic() + delay > deadline:
                    status = job.final.get("status") if job.final else None
                    return "timeout", (
                        f"still {status!r} after the job timeout of {self.target.job_timeout_s:g} s"
                    )
                self._stop.wait(delay)
            try:
                response = self.client.retrieve(job.video_id)
            except ProviderFault as exc:
                # A paid job is not abandoned over one broken answer: it counts as a failed
                # poll, and only a run of them makes the job broken.
                failures += 1
                last = (time.monotonic() - started, None, {})
                if failures >= MAX_POLL_FAILURES:
                    return "broken", f"retrieve gave no usable answer {failures} times: {exc}"
                continue
            body = self._record_poll(job, response, started)
            last = (job.polls[-1].t, response.status, job.polls[-1].headers)
            schedule.observe(job.polls[-1].t, body if response.ok else None)
            if not response.ok:
                failures += 1
                if failures >= MAX_POLL_FAILURES:
                    if response.status == 404 and not any(p.status_code < 300 for p in job.polls):
                        return "broken", (
                            f"retrieve answers 404 for the id create returned ({job.video_id!r}): "
                            f"{failures} times, never found"
                        )
                    return (
                        "broken",
                        f"retrieve answered {response.status} {failures} times in a row",
                    )
                continue
            failures = 0
            word = settled_word(body)
        job.terminal_word = word
        if word == "failed" or (
            word not in TERMINAL and isinstance(job.final, dict) and job.final.get("error")
        ):
            return "failed", ""
        return "completed", ""

    def _download(self, job: FinishedJob) -> None:
        assert job.video_id is not None
        try:
            job.content = self.client.content(job.video_id)
        except ProviderFault as exc:
            # The job completed; only its download broke: the content checks judge that.
            job.content_fault = exc
            return
        if job.content.ok and job.content.content:
            if self._probe_video is not None:
                job.video_probe = self._probe_video(job.content.content)
            if self._poster is not None:
                job.poster_png = self._poster(job.content.content)
        for variant in job.spec.variants:
            try:
                answer = self.client.content(job.video_id, variant=variant)
            except ProviderFault as exc:
                job.variant_faults[variant] = exc
                continue
            job.variants[variant] = answer
            self.features.observe("variants", answer, f"GET /content?variant={variant}")

    # --- after the suite ---------------------------------------------------------------------
    def cleanup(
        self,
        extra_ids: Iterable[str] = (),
        keep: Iterable[str] = (),
        delete_offered: bool | None = None,
    ) -> list[str]:
        """Delete every job the run created, except ``keep`` (jobs a deferred check needs on a
        later run). Returns notes.

        ``delete_offered``: what the run found out (``None``: unknown, so try); a profile that
        declares delete absent is never sent one. A failed delete is a note, never a failure.
        """
        notes: list[str] = []
        kept = set(keep)
        ids = [j.video_id for j in self.budget.created if j.video_id]
        ids += [i for i in extra_ids if i not in ids]
        by_id = {j.video_id: j for j in self.jobs.values() if j.video_id}
        for video_id in kept:
            if video_id in by_id:
                by_id[video_id].cleanup_note = "kept for a deferred check"
        ids = [i for i in ids if i not in kept]
        if self.target.denies("delete") or delete_offered is False:
            if ids:
                why = "declared absent" if self.target.denies("delete") else "not offered"
                notes.append(f"{len(ids)} created job(s) left on the vendor: delete is {why}")
            return notes
        for video_id in dict.fromkeys(ids):
            try:
                response = self.client.delete(video_id)
            except TransportFailure as exc:
                ok, note = False, str(exc)
            else:
                if response.status in (405, 501) and not self.target.declares("delete"):
                    notes.append(
                        f"created job(s) left on the vendor: delete answered {response.status}"
                    )
                    return notes
                # 404: already gone (a delete check or expiry removed it).
                ok = response.ok or response.status == 404
                note = "" if ok else f"delete answered {response.status}"
            if video_id in by_id:
                by_id[video_id].deleted = ok
                by_id[video_id].cleanup_note = note
            if not ok:
                notes.append(f"cleanup of {video_id}: {note}")
        return notes

    def job_records(self) -> list[JobRecord]:
        """The report's view of every planned job."""
        records = []
        for job in self.jobs.values():
            final_status = job.final.get("status") if isinstance(job.final, dict) else None
            note = job.reason or job.cleanup_note
            records.append(
                JobRecord(
                    video_id=job.video_id,
                    purpose=job.purpose,
                    request={
                        "encoding": job.spec.encoding,
                        "fields": {
                            k: (v if k != "prompt" else v[:200]) for k, v in job.spec.fields.items()
                        },
                        "with_image": job.spec.with_image,
                        "source": job.spec.source,
                        "description": job.spec.description,
                    },
                    final_status=str(final_status) if final_status is not None else job.outcome,
                    seconds=job.spec.billed_seconds,
                    timeline=job.timeline(),
                    poster_png_base64=base64.b64encode(job.poster_png).decode()
                    if job.poster_png
                    else None,
                    duration_s=job.duration_s,
                    deleted=job.deleted,
                    note=note,
                )
            )
        return records

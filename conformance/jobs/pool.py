"""``JobPool``: runs the planned jobs, each in its own thread, and hands them to the checks.

Every job goes the same way: its create is sent (``create.send_in_turn``: by our client, or by
openai-python for the ``sdk`` job and the remix), the answer is judged once (``_accept``), then
the job is followed to its end (our poller, or openai-python's ``create_and_poll``) and its
content downloaded and probed once (``content.ContentStep``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from conformance.budget import Budget, Reservation
from conformance.client import (
    Client,
    ProviderFault,
    Response,
    Throttled,
    TransportFailure,
)
from conformance.config import Target
from conformance.features import FeatureMap
from conformance.jobs import cleanup, follow
from conformance.jobs.content import ContentStep
from conformance.jobs.create import (
    image_files,
    past_flow_control,
    sdk_answer,
    sdk_remix,
    send_in_turn,
)
from conformance.jobs.model import PoolJob
from conformance.jobs.planning import JobSpec
from conformance.live import events
from conformance.report.model import JobRecord

if TYPE_CHECKING:
    from conformance.media import VideoProbe


class JobPool:
    """Runs the planned jobs concurrently and hands them to checks."""

    def __init__(
        self,
        client: Client,
        budget: Budget,
        target: Target,
        specs: list[JobSpec],
        *,
        probe_video: Callable[[bytes], VideoProbe] | None = None,
        poster: Callable[[bytes], bytes | None] | None = None,
        sdk_transport: Any = None,
        features: FeatureMap | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """``sdk_transport``: an ``httpx2`` transport for openai-python's requests (tests; the
        network by default), as ``client``'s transport is for ours. ``features`` learns from
        the answers of the remix, image and variant requests whether those are offered.
        ``stop``: the event every poll delay waits on (a replay passes one that never blocks).
        ``probe_video``: how downloaded bytes are probed (``media.probe_video`` by default)."""
        self.client = client
        self.features = features or FeatureMap(target.features, target.absent_features)
        self.budget = budget
        self.target = target
        self.specs = {s.purpose: s for s in specs}
        self.jobs: dict[str, PoolJob] = {s.purpose: PoolJob(s) for s in specs}
        self._created = {p: threading.Event() for p in self.specs}
        self._done = {p: threading.Event() for p in self.specs}
        # Set once a job's outcome is known, before its downloads: a remix of it can start then.
        self._settled = {p: threading.Event() for p in self.specs}
        self._stop = stop if stop is not None else threading.Event()
        self._threads: list[threading.Thread] = []
        self._content = ContentStep(probe_video, poster)
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

    def get(self, purpose: str, timeout: float | None = None) -> PoolJob | None:
        """The finished job for ``purpose`` (blocks), or ``None`` when none was planned."""
        if purpose not in self.jobs:
            return None
        self._done[purpose].wait(timeout)
        return self.jobs[purpose]

    def get_created(self, purpose: str, timeout: float | None = None) -> PoolJob | None:
        """The job as soon as its create answered (polling may still be running)."""
        if purpose not in self.jobs:
            return None
        self._created[purpose].wait(timeout)
        return self.jobs[purpose]

    def all_jobs(self) -> list[PoolJob]:
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
        declared = self.target.create_encodings
        accepted = sorted(
            self.accepted_encodings(),
            key=lambda e: declared.index(e) if e in declared else len(declared),
        )
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
            events().job_update(purpose, "creating", None)
            thread = threading.Thread(
                target=self._run, args=(job, res), name=f"job-{purpose}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Ask every poll loop to end (interrupts); jobs still running end as ``error``."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the job threads (each at most ``timeout``)."""
        for thread in self._threads:
            thread.join(timeout)

    def _settle(self, job: PoolJob, outcome: str) -> None:
        job.outcome = outcome
        events().job_done(job.purpose, outcome, job.reason)
        self._settled[job.purpose].set()

    def _finish(self, job: PoolJob, outcome: str, reason: str = "") -> None:
        job.reason = reason
        self._settle(job, outcome)
        self._created[job.purpose].set()
        self._done[job.purpose].set()

    def _run(self, job: PoolJob, reservation: Reservation) -> None:
        """One job, start to end: create, judge the answer, follow it; never raises."""
        started = time.monotonic()
        settled = False
        try:
            skipped = self._source_missing(job)
            if skipped:
                reservation.cancel()
                settled = True
                self._finish(job, "skipped", skipped)
                return
            if job.spec.sdk_poll:
                response, wall = self._create_by_sdk(job)
            else:
                response, wall = self._create(job), time.time()
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
            settled = True
            if not self._accept(job, response, wall, reservation):
                return
            if job.spec.sdk_poll:
                self._follow_sdk(job, started)
            else:
                self._follow(job, started)
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
                # A create that went out may bill: count it; one never sent frees its share.
                if job.attempts or job.sdk is not None:
                    reservation.confirm(None)
                else:
                    reservation.cancel()
            self._finish(job, "error", f"harness error: {type(exc).__name__}: {exc}")
        finally:
            job.duration_s = round(time.monotonic() - started, 3)
            self._content.draw_poster(job)

    def _accept(
        self, job: PoolJob, response: Response, wall: float, reservation: Reservation
    ) -> bool:
        """Judge a job's create answer (whoever sent it): with a usable id the job exists and
        its reservation is confirmed; otherwise it ends ``rejected``. Returns whether it exists."""
        job.create = response
        job.created_wall = wall
        body = response.json()
        video_id = body.get("id") if isinstance(body, dict) else None
        if not response.ok or not isinstance(video_id, str) or not video_id:
            if response.ok:
                # Accepted but no usable id: it may still bill, so it counts as created.
                reservation.confirm(None)
            else:
                reservation.cancel()
            what = "no id in the response" if response.ok else f"answered {response.status}"
            self._finish(job, "rejected", f"create {what}")
            return False
        reservation.confirm(video_id)
        job.video_id = video_id
        job.observed.append(("create", body))
        job.final = body
        self._created[job.purpose].set()
        return True

    def _source_missing(self, job: PoolJob) -> str:
        """Why a remix cannot be sent (its source did not complete), or ``""``."""
        if job.spec.source is None:
            return ""
        # The source's outcome, not its downloads: a vendor's MP4 may take a while to
        # fetch, and the remix (the run's longest chain) need not wait for it.
        source = self.jobs.get(job.spec.source)
        if source is not None:
            self._settled[job.spec.source].wait()
        if source is None or not source.completed or not source.video_id:
            state = "not planned" if source is None else source.outcome
            return f"source job {job.spec.source!r} did not complete ({state})"
        return ""

    def _create(self, job: PoolJob) -> Response:
        """Send the create of a job our client follows (a remix: its source completed)."""
        if job.spec.source is None:
            files = image_files(job, self.target.main_size)
            return send_in_turn(
                job, lambda enc, fields: self.client.create(fields, encoding=enc, files=files)
            )
        source_id = self.jobs[job.spec.source].video_id
        assert source_id is not None
        if job.spec.sdk_create:
            return sdk_remix(
                self.client, self.target, self._stop, self._sdk_transport, job, source_id
            )
        return self.client.remix(source_id, job.spec.fields["prompt"])

    def _create_by_sdk(self, job: PoolJob) -> tuple[Response, float]:
        """The ``sdk`` job's create: openai-python's ``create_and_poll`` (which goes on to poll
        and download when the create is accepted); ``job.sdk`` keeps what the SDK returned or
        raised, and the create exchange is read from the SDK's raw answers. Returns the last
        create answer and when it arrived (``time.time()``)."""
        from conformance import sdk_jobs

        walls: list[float] = []

        def send(_encoding: str, fields: dict[str, str]) -> Response:
            # Given up on flow control at the create: no job was made, so it is sent again.
            run = past_flow_control(
                self.client,
                self._stop,
                lambda: sdk_jobs.drive_create_and_poll(
                    self.target,
                    fields,
                    self._stop,
                    self._sdk_transport,
                    run_ends_at=self.client.run_ends_at,
                ),
                "/videos",
            )
            job.sdk = run
            create = sdk_answer(run, "/videos", "create")
            walls.append(create.wall)
            return create.as_response()

        response = send_in_turn(job, send)
        return response, walls[-1]

    def _follow(self, job: PoolJob, started: float) -> None:
        """Our poller follows a created job to its end, then downloads it when completed."""
        if job.spec.probe_early_content:
            follow.probe_early_content(self.client, job, job.final, started)
        outcome, reason = self._poll(job, started)
        self._settle(job, outcome)
        if outcome == "completed":
            self._content.download(self.client, self.features, job)
        self._finish(job, outcome, reason)

    def _follow_sdk(self, job: PoolJob, started: float) -> None:
        """The ``sdk`` job after its create: what openai-python's poll and download saw. When
        the SDK gave up on a job that still runs (its poll returns early on a word outside the
        contract, or raises), our poller takes over, so that the job's own outcome is judged
        like every other job's and only the SDK checks judge the SDK."""
        run = job.sdk
        follow.record_sdk_polls(job, run.transcript, started)
        outcome, reason = follow.sdk_outcome(job, run, started, self._poll)
        if run.content is not None:
            download = run.transcript.last("GET", "/content")
            if download is not None:
                job.content = download.as_response()
            self._content.probe(job, run.content)
        self._finish(job, outcome, reason)

    def _poll(self, job: PoolJob, started: float) -> tuple[str, str]:
        return follow.poll_until_settled(
            self.client, job, started, self.target.job_timeout_s, self._stop
        )

    # --- after the suite ---------------------------------------------------------------------
    def cleanup(
        self,
        extra_ids: Iterable[str] = (),
        keep: Iterable[str] = (),
        delete_offered: bool | None = None,
    ) -> list[str]:
        """Delete every job the run created, except ``keep``; returns notes (see
        ``cleanup.delete_created``)."""
        return cleanup.delete_created(
            self.client,
            self.target,
            self.budget,
            self.jobs.values(),
            extra_ids=extra_ids,
            keep=keep,
            delete_offered=delete_offered,
        )

    def job_records(self) -> list[JobRecord]:
        """The report's view of every planned job."""
        return [job.report_record() for job in self.jobs.values()]

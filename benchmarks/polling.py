"""Benchmark 2: how soon a poller notices that a job finished, and what it costs in requests.

Three pollers against the same provider, at the same time, on jobs of known duration:

- **ours**: ``conformance.jobs.JobPool`` itself (one pool, one job spec per job), which polls
  on ``polling.PollSchedule``: ``openai-poll-after-ms`` when sent, else the job's progress rate
  and a share of the time it has run;
- **fixed 1 s**: a loop that sleeps 1 s between retrieves (the SDK's default without a hint);
- **fixed 15 s**: a loop that sleeps 15 s (the vendor samples in ``vendor-docs/apiyi.txt``).

Notice delay = the moment the poller's retrieve answered with a terminal status (wall clock,
taken right after the response) minus the provider's own ``completed_at`` (float, from its store).
Retrieves per job = every retrieve the poller sent for that job up to and including the one that
noticed.

The phase of the completion against a poller's schedule decides the delay, so it is swept
rather than left to chance: the provider is restarted for several job durations spread evenly
over one 500 ms hint period (``DURATION_BASE_S`` + i·0.5/n), and the fixed pollers start their
schedule at a random offset within their interval (seeded), as a job's duration is no multiple
of the interval in practice. Each round runs both the hint (``poll_after_ms=500``, the default)
and the no-hint (``poll_after_ms=None``) provider; without the hint, longer jobs run too
(``LONG_DURATIONS_S``), since the no-hint targets are shares of the job's time.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from benchmarks import markdown as md
from benchmarks.common import Section, log
from benchmarks.providers import LocalProvider, local_provider
from benchmarks.stats import Target, median, percentile, ratio
from conformance.budget import Budget, BudgetLimits
from conformance.client import AuthMode, Client, Response
from conformance.config import Target as CheckTarget
from conformance.jobs import JobPool, JobSpec
from conformance.provider.behaviour import Behaviour

DURATION_BASE_S = 2.5
HINT_MS = 500
TERMINAL = ("completed", "failed")
NOTICE_TARGET = Target("median notice delay of our poller, hint present (ms)", 250)
RELATIVE_TARGET = Target(
    "median notice delay of our poller without a hint, share of the job's time", 0.10
)
COST_TARGET = Target(
    "retrieves per job of our poller without a hint / those of a fixed 1 s poller", 2.0
)
VARIANTS = ((True, True), (False, True), (False, False))
"""(hint, progress) of each kind of round: the hint, no hint, and neither hint nor a progress
the schedule can read (a fraction), where only the share of the elapsed time is left."""
LONG_DURATIONS_S = (6.0, 12.0)
"""No-hint rounds also run jobs this long: the schedule's share of the job time must hold on
longer jobs too, where a fixed 1 s poller's cost grows with the job."""
FIXED_INTERVALS_S = (1.0, 15.0)
POLLERS = ("ours", "fixed 1 s", "fixed 15 s")
JOB_FIELDS = {"model": "sora-2", "size": "720x1280", "seconds": "4"}


class TimedClient(Client):
    """A ``Client`` that notes when each retrieve answered and with which status."""

    def __init__(self, target: CheckTarget) -> None:
        super().__init__(target)
        self.retrieves: dict[str, list[tuple[float, object]]] = defaultdict(list)
        self._notes = threading.Lock()

    def retrieve(self, video_id: str, *, auth: AuthMode = "default") -> Response:
        response = super().retrieve(video_id, auth=auth)
        answered = time.time()
        body = response.json()
        status = body.get("status") if isinstance(body, dict) else None
        with self._notes:
            self.retrieves[video_id].append((answered, status))
        return response

    def noticed(self, video_id: str) -> tuple[float | None, int]:
        """(when the first terminal status arrived, retrieves sent up to then)."""
        with self._notes:
            notes = list(self.retrieves.get(video_id, []))
        for index, (answered, status) in enumerate(notes, 1):
            if status in TERMINAL:
                return answered, index
        return None, len(notes)


@dataclass(frozen=True)
class Observation:
    """One job as one poller saw it."""

    poller: str
    hint: bool
    delay_s: float | None
    """None: the poller never noticed (or the job never finished)."""
    retrieves: int
    job_s: float | None = None
    """The job's own time on the provider (create → completed, from its store)."""
    group: float | None = None
    """The round's ``render_seconds``."""
    progress: bool = True
    """False: the provider's ``progress`` was a fraction, which the schedule does not read."""

    @property
    def relative_delay(self) -> float | None:
        """Notice delay as a share of the job's time."""
        if self.delay_s is None or not self.job_s:
            return None
        return self.delay_s / self.job_s


def _fixed_poller(
    client: Client,
    interval_s: float,
    offset_s: float,
    give_up_s: float,
    ids: list[str],
    prompt: str,
) -> None:
    """Create one job, then retrieve at ``offset_s`` and every ``interval_s`` until terminal."""
    response = client.create({**JOB_FIELDS, "prompt": prompt})
    body = response.json()
    video_id = body.get("id") if isinstance(body, dict) else None
    if not response.ok or not isinstance(video_id, str):
        return
    ids.append(video_id)
    deadline = time.monotonic() + give_up_s
    time.sleep(offset_s)
    while time.monotonic() < deadline:
        body = client.retrieve(video_id).json()
        if isinstance(body, dict) and body.get("status") in TERMINAL:
            return
        time.sleep(interval_s)


def _round(
    provider: LocalProvider, hint: bool, jobs_each: int, rng: random.Random
) -> list[Observation]:
    """All pollers at once against one provider; their observations."""
    target = CheckTarget(
        name="bench-polling",
        base_url=provider.base_url,
        api_key=provider.api_key,
        model="sora-2",
        job_timeout_s=120.0,
        request_timeout_s=30.0,
    )
    give_up_s = 60.0
    client = TimedClient(target)
    with client:
        specs = [
            JobSpec(
                purpose=f"ours-{i}",
                encoding="json",
                fields={**JOB_FIELDS, "prompt": f"polling benchmark, ours {i}"},
                billed_seconds=4,
                description="polling benchmark",
            )
            for i in range(jobs_each)
        ]
        budget = Budget(BudgetLimits(max_jobs=jobs_each, max_video_seconds=4 * jobs_each))
        pool = JobPool(client, budget, target, specs)
        fixed_ids: dict[float, list[str]] = {interval: [] for interval in FIXED_INTERVALS_S}
        threads = [
            threading.Thread(
                target=_fixed_poller,
                args=(
                    client,
                    interval,
                    rng.uniform(0, interval),
                    give_up_s,
                    fixed_ids[interval],
                    f"polling benchmark, fixed {interval:g} s, {i}",
                ),
                daemon=True,
            )
            for interval in FIXED_INTERVALS_S
            for i in range(jobs_each)
        ]
        pool.start()
        for thread in threads:
            thread.start()
        pool.join(timeout=give_up_s + 30)
        for thread in threads:
            thread.join(timeout=give_up_s + 30)
        pool.stop()
        stored = {job.id: job for job in provider.jobs()}
        groups: list[tuple[str, list[str]]] = [
            ("ours", [j.video_id for j in pool.jobs.values() if j.video_id])
        ]
        groups += [(f"fixed {interval:g} s", fixed_ids[interval]) for interval in FIXED_INTERVALS_S]
        observations = []
        for poller, ids in groups:
            for video_id in ids:
                noticed, count = client.noticed(video_id)
                job = stored.get(video_id)
                done = None if job is None else job.completed_at
                delay = None if noticed is None or done is None else noticed - done
                took = None if job is None else job.render_s
                observations.append(Observation(poller, hint, delay, count, took))
    return observations


def durations(count: int) -> list[float]:
    """Job durations spread evenly over one hint period, so the phase is swept, not drawn."""
    step = HINT_MS / 1000 / count
    return [round(DURATION_BASE_S + (i + 0.5) * step, 4) for i in range(count)]


def run(
    duration_count: int,
    jobs_each: int,
    long_durations: tuple[float, ...] = LONG_DURATIONS_S,
    seed: int = 6,
) -> Section:
    """Benchmark 2."""
    rng = random.Random(seed)
    observations: list[Observation] = []
    for hint, progress in VARIANTS:
        behaviour = Behaviour(
            poll_after_ms=HINT_MS if hint else None,
            progress_style="percent" if progress else "fraction",
        )
        # The hint's rounds sweep its period; without it there is no period to sweep, and the
        # longer jobs matter more.
        short = durations(duration_count if hint else max(1, duration_count // 2))
        lengths = short + ([] if hint else list(long_durations))
        for seconds in lengths:
            log(f"polling: {variant_name(hint, progress)}, jobs of {seconds:g} s")
            with local_provider(
                render_seconds=seconds,
                behaviour=behaviour,
                max_concurrent_renders=len(POLLERS) * jobs_each + 1,
                queue_limit=64,
            ) as provider:
                observations += [
                    dataclasses.replace(o, group=seconds, progress=progress)
                    for o in _round(provider, hint, jobs_each, rng)
                ]
    return _section(observations, duration_count, jobs_each, long_durations)


def variant_name(hint: bool, progress: bool) -> str:
    """How a kind of round is named in RESULTS.md."""
    if hint:
        return "hint"
    return "no hint" if progress else "no hint, no progress"


def _picked(
    observations: list[Observation],
    poller: str,
    hint: bool,
    group: float | None = None,
    progress: bool | None = None,
) -> list[Observation]:
    return [
        o
        for o in observations
        if o.poller == poller
        and o.hint == hint
        and (group is None or o.group == group)
        and (progress is None or o.progress == progress)
    ]


def mean_retrieves(picked: list[Observation]) -> float | None:
    """Mean retrieves per job over the jobs the poller noticed."""
    counts = [float(o.retrieves) for o in picked if o.delay_s is not None]
    return sum(counts) / len(counts) if counts else None


def summarise(
    observations: list[Observation], poller: str, hint: bool, progress: bool = True
) -> list[str]:
    """One table row: poller, round kind, noticed, median / p90 / max delay, median delay as a
    share of the job's time, retrieves."""
    picked = _picked(observations, poller, hint, progress=progress)
    delays = [o.delay_s for o in picked if o.delay_s is not None]
    shares = [o.relative_delay for o in picked if o.relative_delay is not None]
    retrieves = [float(o.retrieves) for o in picked if o.delay_s is not None]
    return [
        poller,
        variant_name(hint, progress),
        f"{len(delays)}/{len(picked)}",
        md.fmt_ms(median(delays)),
        md.fmt_ms(percentile(delays, 90)),
        md.fmt_ms(max(delays) if delays else None),
        _percent(median(shares)),
        md.fmt_number(median(retrieves)),
        md.fmt_ratio(mean_retrieves(picked)),
    ]


def _percent(value: float | None) -> str:
    return md.NA if value is None else f"{value * 100:.1f} %"


def no_hint_rows(observations: list[Observation]) -> list[list[str]]:
    """Per kind of no-hint round and job length: our median delay (and share of the job), our
    retrieves per job against the fixed 1 s poller's in the same rounds."""
    rows = []
    for progress in (True, False):
        kinds = [o for o in observations if not o.hint and o.progress == progress]
        for group in sorted({o.group for o in kinds if o.group is not None}):
            ours = _picked(observations, "ours", False, group, progress)
            fixed = _picked(observations, "fixed 1 s", False, group, progress)
            delays = [o.delay_s for o in ours if o.delay_s is not None]
            shares = [o.relative_delay for o in ours if o.relative_delay is not None]
            jobs = [o.job_s for o in ours if o.job_s is not None]
            rows.append(
                [
                    variant_name(False, progress),
                    md.fmt_seconds(median(jobs)),
                    md.fmt_ms(median(delays)),
                    _percent(median(shares)),
                    md.fmt_ratio(mean_retrieves(ours)),
                    md.fmt_ratio(mean_retrieves(fixed)),
                    md.fmt_ratio(ratio(mean_retrieves(ours), mean_retrieves(fixed))),
                ]
            )
    return rows


def _section(
    observations: list[Observation],
    duration_count: int,
    jobs_each: int,
    long_durations: tuple[float, ...],
) -> Section:
    rows = [summarise(observations, p, h, g) for h, g in VARIANTS for p in POLLERS]
    ours = [
        o.delay_s for o in observations if o.poller == "ours" and o.hint and o.delay_s is not None
    ]
    measured = median(ours)
    measured_ms = None if measured is None else measured * 1000
    unhinted = _picked(observations, "ours", False)
    share = median([o.relative_delay for o in unhinted if o.relative_delay is not None])
    cost = ratio(
        mean_retrieves(unhinted), mean_retrieves(_picked(observations, "fixed 1 s", False))
    )
    shown = ", ".join(f"{d:g} s" for d in durations(duration_count))
    longer = ", ".join(f"{d:g} s" for d in long_durations)
    body = "\n\n".join(
        [
            f"Job durations (provider `render_seconds`): {shown}"
            + (f", and without the hint also {longer}" if longer else "")
            + f"; {jobs_each} job(s) per poller per duration, all pollers at once on one "
            f"provider; the hint is `openai-poll-after-ms: {HINT_MS}` (the provider's default) "
            "or absent (`poll_after_ms=None`; the jobs still report `progress` as a percentage, "
            "or, in the *no progress* rounds, as a fraction the schedule does not read). "
            "Fixed pollers "
            "start at a random offset within their interval (seeded). Delays are the poller's "
            "notice minus the provider's `completed_at` from its store; the share is the delay "
            "over the job's own time (create → completed, store).",
            md.table(
                [
                    "poller",
                    "round",
                    "noticed",
                    "median delay",
                    "p90 delay",
                    "max delay",
                    "median delay / job time",
                    "median retrieves/job",
                    "mean retrieves/job",
                ],
                rows,
            ),
            "Without the hint, per job length (ours against the fixed 1 s poller in the same "
            "rounds); the no-hint targets take every no-hint round together:",
            md.table(
                [
                    "round",
                    "job time (median)",
                    "our median delay",
                    "share of the job time",
                    "our retrieves/job",
                    "fixed 1 s retrieves/job",
                    "ours / fixed 1 s",
                ],
                no_hint_rows(observations),
            ),
        ]
    )
    return Section(
        "2. Polling efficiency",
        body,
        targets=[
            (
                NOTICE_TARGET.label,
                NOTICE_TARGET.describe(),
                md.fmt_number(measured_ms, 0),
                NOTICE_TARGET.verdict(measured_ms),
            ),
            (
                RELATIVE_TARGET.label,
                f"≤ {RELATIVE_TARGET.limit * 100:g} %",
                _percent(share),
                RELATIVE_TARGET.verdict(share),
            ),
            (
                COST_TARGET.label,
                COST_TARGET.describe(),
                md.fmt_ratio(cost),
                COST_TARGET.verdict(cost),
            ),
        ],
    )

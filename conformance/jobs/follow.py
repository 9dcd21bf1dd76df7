"""Following a created job: polling it until it settles, and reading the SDK's own polls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from conformance.client import Client, ProviderFault, Response
from conformance.jobs.model import TERMINAL, EarlyContent, PollRecord, PoolJob, settled_word
from conformance.live import events
from conformance.polling import PollSchedule

MAX_POLL_FAILURES = 10
"""Consecutive non-2xx polls after which a job counts as broken."""


def record_sdk_polls(job: PoolJob, transcript: Any, started: float) -> None:
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


def sdk_outcome(
    job: PoolJob, run: Any, started: float, poll: Callable[[PoolJob, float], tuple[str, str]]
) -> tuple[str, str]:
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
    return poll(job, started)


def record_poll(job: PoolJob, response: Response, started: float) -> Any:
    """Keep one retrieve of the job (and its body, when it is a Video); returns the body."""
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


def probe_early_content(client: Client, job: PoolJob, create_body: Any, started: float) -> None:
    """Ask ``/content`` right after the create (VID-CONTENT-005), then the job's status."""
    assert job.video_id is not None
    before = create_body.get("status") if isinstance(create_body, dict) else None
    probe = client.content(job.video_id, follow_redirects=False)
    after = client.retrieve(job.video_id)
    body = record_poll(job, after, started)
    status_after = body.get("status") if after.ok and isinstance(body, dict) else None
    job.early_content = EarlyContent(probe, status_after, before)


def poll_until_settled(
    client: Client, job: PoolJob, started: float, timeout_s: float, stop: threading.Event
) -> tuple[str, str]:
    """Retrieve the job until it settles (``PollSchedule`` delays), a run of polls fails, the
    job timeout passes or ``stop`` is set; returns (outcome, reason)."""
    assert job.video_id is not None
    deadline = started + timeout_s
    schedule = PollSchedule()
    for t, body in [(0.0, job.final), *((p.t, p.body) for p in job.polls)]:
        schedule.observe(t, body)
    failures = 0
    word = settled_word(job.final)
    last: tuple[float, int | None, Mapping[str, str]] | None = (
        (job.polls[-1].t, job.polls[-1].status_code, job.polls[-1].headers) if job.polls else None
    )
    while word is None:
        if stop.is_set():
            return "error", "run interrupted while polling"
        if last is not None:
            delay = schedule.next_delay(*last)
            if time.monotonic() + delay > deadline:
                status = job.final.get("status") if job.final else None
                return "timeout", (f"still {status!r} after the job timeout of {timeout_s:g} s")
            stop.wait(delay)
        try:
            response = client.retrieve(job.video_id)
        except ProviderFault as exc:
            # A paid job is not abandoned over one broken answer: it counts as a failed
            # poll, and only a run of them makes the job broken.
            failures += 1
            last = (time.monotonic() - started, None, {})
            if failures >= MAX_POLL_FAILURES:
                return "broken", f"retrieve gave no usable answer {failures} times: {exc}"
            continue
        body = record_poll(job, response, started)
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

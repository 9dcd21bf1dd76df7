"""The openai-node oracle in a run: planned, budgeted, started with the job pool, judged late.

``oracle_jobs`` says which billable jobs the oracle makes (``plan`` shows them): its own job
(create with explicit small fields, polled, downloaded, found through ``list``) and, when the
target declares remix, a remix of it. ``NodeOracleSession.start`` reserves budget for them,
starts the loopback server (a recording forwarding proxy in a live run, a replay server on
``rejudge``) and runs node in a background thread, so that the oracle's chain overlaps the
pool's instead of following every other check. VID-SDK-004 waits for it (``wait``) and judges
what it saw. Every job it made is in the budget's ledger, so the run's clean-up deletes what
node did not (a crashed oracle included); what node deleted itself is not deleted twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.budget import Budget, Reservation
from conformance.config import Target
from conformance.node_oracle.driver import (
    OracleError,
    OraclePlan,
    OracleRun,
    run_oracle,
    unavailable,
)
from conformance.node_oracle.loopback import OracleServer, Relayed
from conformance.node_oracle.upstream import LiveUpstream, ReplayUpstream
from conformance.recording.replay import NOT_IN_RECORDING

CHECK_ID = "VID-SDK-004"
ORACLE_SLACK_S = 60.0
"""Time for node to start and for the free calls, on top of the job timeouts it may wait."""
REPLAY_POLL_MS = 0
"""A replay answers polls from the recording: waiting between them changes nothing."""
LIVE_POLL_MS = 1000


@dataclass(frozen=True)
class OracleJob:
    """One billable job the oracle makes."""

    purpose: str
    """``create`` or ``remix``."""
    encoding: str
    """As openai-node sends it: a create is multipart (6.28+), a remix JSON."""
    fields: dict[str, str]
    billed_seconds: int
    description: str


def oracle_jobs(target: Target, selected: set[str], run_tag: str = "") -> list[OracleJob]:
    """The jobs the oracle makes in a run with ``selected`` (none when node cannot run here)."""
    if CHECK_ID not in selected or unavailable() is not None:
        return []
    tag = f" [vc {run_tag}]" if run_tag else ""
    size, secs = _smallest(target)
    fields = {
        **({"model": target.model} if target.model else {}),
        "prompt": f"A kite over a windy beach{tag}",
        "size": size,
        "seconds": secs,
    }
    seconds = int(secs)
    jobs = [
        OracleJob(
            "create", "multipart", fields, seconds, "openai-node create, poll, download, list"
        )
    ]
    if target.declares("remix"):
        prompt = {"prompt": f"The same kite at sunset{tag}"}
        jobs.append(
            OracleJob("remix", "json", prompt, seconds, "openai-node remix of its job, polled")
        )
    return jobs


def _smallest(target: Target) -> tuple[str, str]:
    """The cheapest size and duration the profile allows (its main ones when unreadable):
    the oracle's job is billed like any other, and it needs no more to be judged."""

    def pixels(size: str) -> int:
        width, _, height = size.partition("x")
        return int(width) * int(height) if width.isdigit() and height.isdigit() else 1 << 62

    def length(seconds: str) -> int:
        return int(seconds) if seconds.isdigit() else 1 << 62

    size = min(target.sizes, key=pixels, default=target.main_size)
    seconds = min(target.seconds, key=length, default=target.main_seconds)
    return size, seconds if seconds.isdigit() else target.main_seconds


def _created_id(answer: Relayed) -> str | None:
    try:
        body = json.loads(answer.body)
    except ValueError:
        return None
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


class NodeOracleSession:
    """One background run of the oracle; see the module docstring."""

    def __init__(self, target: Target, budget: Budget, plan: OraclePlan) -> None:
        self.target = target
        self.plan = plan
        self.skip_reason: str | None = None
        self.run: OracleRun | None = None
        self.error: str | None = None
        self.budget_note = ""
        self.deleted_ids: list[str] = []
        self._budget = budget
        self._reserved: dict[str, Reservation] = {}
        self._sent: dict[str, Reservation] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._upstream: LiveUpstream | ReplayUpstream | None = None
        self._stop: Callable[[], None] = lambda: None
        self._server_errors: list[str] = []

    # --- what the check reads ------------------------------------------------------------------
    @property
    def notes(self) -> list[str]:
        """Why requests of node got no answer from the proxy."""
        return [*getattr(self._upstream, "notes", []), *self._server_errors]

    @property
    def missing(self) -> list[str]:
        """Requests of node a replayed recording had no answer for."""
        return list(getattr(self._upstream, "missing", []))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the oracle finished (or was never started); True when it did."""
        return self._done.wait(timeout)

    def stop(self) -> None:
        """End node now (the run was interrupted); the run's clean-up deletes its jobs."""
        self._stop()

    # --- the budget, seen through the proxy ------------------------------------------------------
    def _billable(self, method: str, url: str) -> str | None:
        if method != "POST":
            return None
        base = urlsplit(self.target.base_url).path.rstrip("/")
        path = urlsplit(url).path
        if path == f"{base}/videos":
            return "create"
        if path.startswith(f"{base}/videos/") and path.endswith("/remix"):
            return "remix"
        return None

    def gate(self, method: str, url: str) -> Relayed | None:
        """A billable request goes on only on its reservation; otherwise the proxy refuses it."""
        kind = self._billable(method, url)
        if kind is None:
            return None
        with self._lock:
            reservation = self._reserved.pop(kind, None)
            if reservation is not None:
                self._sent[kind] = reservation
                return None
        body = {"error": {"message": f"the run's budget has no room for this {kind}"}}
        return Relayed(
            403, "Forbidden", [("Content-Type", "application/json")], json.dumps(body).encode()
        )

    def observe(self, method: str, url: str, answer: Relayed) -> None:
        """Settle a billable request's reservation; note what node deleted."""
        kind = self._billable(method, url)
        if kind is not None:
            with self._lock:
                reservation = self._sent.pop(kind, None)
            if reservation is not None:
                if 200 <= answer.status < 300:
                    reservation.confirm(_created_id(answer))
                else:
                    reservation.cancel()
        elif method == "DELETE" and 200 <= answer.status < 300:
            video_id = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
            with self._lock:
                self.deleted_ids.append(video_id)

    def _settle_rest(self) -> None:
        with self._lock:
            sent, unused = list(self._sent.values()), list(self._reserved.values())
            self._sent.clear()
            self._reserved.clear()
        for reservation in sent:
            reservation.confirm(None)  # sent but never answered: it may have made a job
        for reservation in unused:
            reservation.cancel()

    # --- running -------------------------------------------------------------------------------
    def _run(self, server: OracleServer, api_key: str) -> None:
        timeout = self.target.job_timeout_s * (1 + bool(self.plan.remix)) + ORACLE_SLACK_S
        try:
            with server:
                self._server_errors = server.errors
                self.plan.base_url = server.base_url
                self.run = run_oracle(self.plan, api_key, timeout_s=timeout, started=self._started)
        except OracleError as exc:
            self.error = str(exc)
        except Exception as exc:  # a harness bug must not hang the check waiting on it
            self.error = f"harness error: {type(exc).__name__}: {exc}"
        finally:
            self._settle_rest()
            if self._upstream is not None:
                self._upstream.close()
            self._done.set()

    def _started(self, kill: Callable[[], None]) -> None:
        self._stop = kill


def start(
    target: Target,
    selected: set[str],
    budget: Budget,
    *,
    run_tag: str,
    wiring: Any,
    media_cap: int,
    run_ends_at: Callable[[], float],
) -> NodeOracleSession | None:
    """Start the oracle in the background when VID-SDK-004 is selected (``None`` otherwise).

    A session that cannot run (no node, or a recording without node's traffic) is returned
    finished, with ``skip_reason`` saying why.
    """
    if CHECK_ID not in selected:
        return None
    from conformance.recording.wiring import Recorder, Replayer

    replaying = isinstance(wiring, Replayer)
    plan = OraclePlan(
        base_url=target.base_url,
        list=target.declares("list"),
        delete=target.declares("delete"),
        x_api_key=target.auth in ("x-api-key", "both"),
        poll_interval_ms=REPLAY_POLL_MS if replaying else LIVE_POLL_MS,
        job_timeout_s=target.job_timeout_s,
        request_timeout_s=target.request_timeout_s,
    )
    session = NodeOracleSession(target, budget, plan)
    reason = unavailable()
    if replaying and not wiring.recording.has_client("node"):
        reason = f"{NOT_IN_RECORDING}: the recorded run has no openai-node traffic"
    if reason:
        session.skip_reason = reason if replaying else f"openai-node oracle not run: {reason}"
        session._done.set()
        return session
    refused = []
    for job in oracle_jobs(target, selected, run_tag):
        if job.purpose == "remix" and "create" not in session._reserved:
            break
        reservation = budget.reserve(job.billed_seconds, f"openai-node oracle {job.purpose}")
        if reservation is None:
            refused.append(job.purpose)
            break
        session._reserved[job.purpose] = reservation
        if job.purpose == "create":
            plan.create = job.fields
        else:
            plan.remix = job.fields["prompt"]
    if refused:
        session.budget_note = f"the budget had no room for the oracle's {refused[0]}"
    upstream: LiveUpstream | ReplayUpstream
    if replaying:
        upstream = ReplayUpstream(wiring.recording, target.api_key)
    else:
        har = wiring.har if isinstance(wiring, Recorder) else None
        upstream = LiveUpstream(target, media_cap=media_cap, run_ends_at=run_ends_at, har=har)
    session._upstream = upstream
    server = OracleServer(
        target.base_url, upstream, target.api_key, gate=session.gate, observe=session.observe
    )
    threading.Thread(
        target=session._run, args=(server, target.api_key), name="node-oracle", daemon=True
    ).start()
    return session

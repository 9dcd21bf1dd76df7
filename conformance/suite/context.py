"""What one check session works with: the context, the job getters, the recorder, the ledger.

These are the types behind the fixtures of ``conformance.plugin``. They import nothing of the
plugin or of the check modules, so the plugin, the runner and the checks all import them
without a cycle. Check authors import them through ``conformance.suite.kit``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.budget import Budget
from conformance.client import Client
from conformance.config import Target
from conformance.features import FeatureMap
from conformance.jobs import JobPool, PoolJob
from conformance.report.model import DeferredCheck, Exchange, Kind

if TYPE_CHECKING:
    from conformance.node_oracle.session import NodeOracleSession
    from conformance.sdk import SdkTranscript


@dataclass
class VideoLedger:
    """Every Video object checks saw outside the job pool, for the object and status checks."""

    entries: list[tuple[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, source: str, body: Any) -> None:
        """Remember a Video body a check saw; ``source`` says where (for failure messages)."""
        with self._lock:
            self.entries.append((source, body))

    def snapshot(self) -> list[tuple[str, Any]]:
        """Every entry so far, as a copy."""
        with self._lock:
            return list(self.entries)


@dataclass
class SuiteContext:
    """What one suite session works with; built by the runner (or the pytest entry point).

    The fields after ``pytest_html`` are what checks hand on: to a later check of the session
    (``deleted``, ``rejections``, ...) or to the runner after the session (``keep_ids``,
    ``deferred``, ``created_by_checks``). Each is typed, so a misspelt name fails mypy rather
    than silently reading an empty default.
    """

    target: Target
    client: Client
    budget: Budget
    pool: JobPool
    selected: set[str]
    run_tag: str
    report_dir: Path
    ledger: VideoLedger = field(default_factory=VideoLedger)
    replaying: bool = False
    """The run is a replay of a recording (``video-conformance rejudge``)."""
    features: FeatureMap = field(default_factory=lambda: FeatureMap(frozenset(), frozenset()))
    """What the run knows of the extended features (declared, detected, absent)."""
    progress: Callable[[str], None] | None = None
    pytest_html: Path | None = None
    """Where the session writes its pytest-html page (None: no page)."""

    # --- handed to the runner ----------------------------------------------------------------
    created_by_checks: list[str] = field(default_factory=list)
    """Ids of jobs checks created outside the pool (accepted probes), for clean-up."""
    keep_ids: list[str] = field(default_factory=list)
    """Ids the end-of-run clean-up must not delete (a deferred expiry check needs them)."""
    deferred: list[DeferredCheck] = field(default_factory=list)
    """Checks waiting on a later run (expiry), for report.json's ``deferred``."""

    # --- handed to a later check --------------------------------------------------------------
    deleted: list[str] = field(default_factory=list)
    """Ids a check deleted (VID-DEL-001, the SDK's delete): later checks must not expect them."""
    node_oracle: NodeOracleSession | None = None
    """openai-node's own chain, started with the pool and judged by VID-SDK-004."""
    delete_target: str | None = None
    """The job VID-DEL-001 deleted, for VID-DEL-002 to look for."""
    rejections: list[dict[str, Any]] = field(default_factory=list)
    """The validation probes' refusals (check, field, status, body), for VID-VAL-011/012."""
    probe_started: float | None = None
    """Wall clock of the first validation probe: what the list check may see from then on."""
    sdk_transcripts: list[SdkTranscript] = field(default_factory=list)
    """Transcripts of the SDK calls checks make (the pool's are judged through its jobs)."""


class Jobs:
    """The checks' view of the job pool: blocking getters that skip with a reason."""

    def __init__(self, pool: JobPool) -> None:
        self.pool = pool

    def get(self, purpose: str) -> PoolJob | None:
        """The job of ``purpose`` once it finished, whatever happened (``None``: not planned)."""
        return self.pool.get(purpose)

    def all(self) -> list[PoolJob]:
        """Every planned job, finished."""
        return self.pool.all_jobs()

    def _planned(self, purpose: str) -> None:
        if not self.pool.planned(purpose):
            pytest.skip(f"no {purpose!r} job in this run (not needed by the selected checks)")

    def created(self, purpose: str) -> PoolJob:
        """The job as soon as its create answered; skips when it was not created."""
        self._planned(purpose)
        job = self.pool.get_created(purpose)
        assert job is not None
        if not job.created:
            pytest.skip(f"the {purpose!r} job was not created: {job.outcome} ({job.reason})")
        return job

    def finished(self, purpose: str) -> PoolJob:
        """The job once terminal (or timed out); a harness error is raised, not judged."""
        job = self.created(purpose)
        self.pool.get(purpose)
        if job.outcome == "error":
            raise RuntimeError(f"the {purpose!r} job hit a harness error: {job.reason}")
        return job

    def completed(self, purpose: str) -> PoolJob:
        """The job once completed with its content; skips with the reason otherwise."""
        job = self.finished(purpose)
        if not job.completed:
            pytest.skip(f"the {purpose!r} job did not complete: {job.outcome} {job.reason}".strip())
        return job


class CheckRecorder:
    """What a running test tells its CheckResult besides the outcome."""

    def __init__(self) -> None:
        self.message = ""
        self.kind: Kind = "violation"
        self.details: dict[str, Any] = {}
        self.evidence: list[Exchange] = []

    def note(self, message: str) -> None:
        """The message shown when the check passes."""
        self.message = message

    def extension(self, message: str) -> None:
        """Mark a pass as a declared extension (the vendor accepts more than the contract)."""
        self.kind = "extension"
        self.message = message

    def observe(self, message: str) -> None:
        """Mark a pass as a note: legal behaviour worth knowing, reported and never gated."""
        self.kind = "note"
        self.message = message

    def detail(self, key: str, value: Any) -> None:
        """A structured fact for the result's ``details``."""
        self.details[key] = value

    def attach(self, *exchanges: Exchange | None) -> None:
        """Extra evidence (e.g. ``job.create.exchange``); ``None``s are ignored."""
        self.evidence.extend(e for e in exchanges if e is not None)

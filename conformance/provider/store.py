"""Durable job state: one SQLite database plus one media directory per job.

Jobs are kept in canonical terms (the four contract statuses, integer percent progress, float
Unix times); how they look on the wire is ``wire.py``'s business. A deleted job leaves a
tombstone row (id and sequence number only) so that a list cursor naming it keeps working.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["queued", "in_progress", "completed", "failed"]
UNFINISHED: tuple[str, ...] = ("queued", "in_progress")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT    NOT NULL UNIQUE,
    status        TEXT    NOT NULL,
    progress      INTEGER NOT NULL DEFAULT 0,
    model         TEXT    NOT NULL,
    prompt        TEXT,
    seconds       TEXT    NOT NULL,
    size          TEXT    NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    duration      REAL    NOT NULL,
    created_at    REAL    NOT NULL,
    started_at    REAL,
    completed_at  REAL,
    expires_at    REAL,
    remixed_from  TEXT,
    error_code    TEXT,
    error_message TEXT,
    has_reference INTEGER NOT NULL DEFAULT 0,
    doomed        INTEGER NOT NULL DEFAULT 0,
    deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, deleted);
"""


@dataclass(frozen=True)
class Job:
    """One generation job, canonical."""

    seq: int
    id: str
    status: Status
    progress: int
    model: str
    prompt: str | None
    seconds: str
    """The ``seconds`` string as accepted (echoed on the wire)."""
    size: str
    """The ``size`` string as accepted (echoed on the wire)."""
    width: int
    height: int
    duration: float
    """Seconds of video actually rendered."""
    created_at: float
    started_at: float | None
    completed_at: float | None
    expires_at: float | None
    remixed_from: str | None
    error_code: str | None
    error_message: str | None
    has_reference: bool
    doomed: bool
    """Decided at create: this job will fail (``[[fail]]`` marker or ``fail_rate``)."""

    @property
    def terminal(self) -> bool:
        """True once the job is completed or failed."""
        return self.status in ("completed", "failed")


@dataclass(frozen=True)
class NewJob:
    """What create and remix decide before a job exists."""

    id: str
    model: str
    prompt: str | None
    seconds: str
    size: str
    width: int
    height: int
    duration: float
    created_at: float
    remixed_from: str | None = None
    has_reference: bool = False
    doomed: bool = False


_COLUMNS = [f.name for f in dataclasses.fields(Job)]


class Store:
    """Thread-safe access to the job table and the media directories."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.media_root = data_dir / "media"
        self.media_root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # One connection shared by the event loop and the render threads, serialised by _lock.
        self._db = sqlite3.connect(
            data_dir / "provider.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        with self._lock:
            self._db.close()

    # --- paths ---------------------------------------------------------------------------------

    def media_dir(self, job: Job) -> Path:
        """The directory holding a job's files (named by sequence number: ids may contain '/')."""
        return self.media_root / str(job.seq)

    def media_dir_for_seq(self, seq: int) -> Path:
        """The media directory of the job with sequence number ``seq``."""
        return self.media_root / str(seq)

    # --- queries -------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        """The live (not deleted) job with this id, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM jobs WHERE id = ? AND deleted = 0", (job_id,)
            ).fetchone()
        return _job(row) if row else None

    def cursor_seq(self, job_id: str) -> int | None:
        """Sequence number of any job ever created with this id (deleted ones included)."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return int(row["seq"]) if row else None

    def page(self, *, ascending: bool, after_seq: int | None, limit: int | None) -> list[Job]:
        """Live jobs in creation order (or its reverse), strictly after ``after_seq``."""
        order = "ASC" if ascending else "DESC"
        where = "deleted = 0"
        params: list[Any] = []
        if after_seq is not None:
            where += " AND seq > ?" if ascending else " AND seq < ?"
            params.append(after_seq)
        sql = f"SELECT * FROM jobs WHERE {where} ORDER BY seq {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_job(row) for row in rows]

    def unfinished(self) -> list[Job]:
        """Live jobs not yet completed or failed, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM jobs WHERE deleted = 0 AND status IN (?, ?) ORDER BY seq",
                UNFINISHED,
            ).fetchall()
        return [_job(row) for row in rows]

    # --- changes -------------------------------------------------------------------------------

    def insert(self, new: NewJob, *, queue_limit: int | None) -> Job | None:
        """Insert a queued job; None when ``queue_limit`` unfinished jobs already exist.

        Counting and inserting happen under one lock so that concurrent creates cannot both
        take the last slot.
        """
        values = dataclasses.asdict(new)
        values["has_reference"] = int(new.has_reference)
        values["doomed"] = int(new.doomed)
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._lock:
            if queue_limit is not None:
                (count,) = self._db.execute(
                    "SELECT COUNT(*) FROM jobs WHERE deleted = 0 AND status IN (?, ?)", UNFINISHED
                ).fetchone()
                if count >= queue_limit:
                    return None
            self._db.execute(
                f"INSERT INTO jobs ({names}, status, progress) VALUES ({marks}, 'queued', 0)",
                list(values.values()),
            )
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (new.id,)).fetchone()
        return _job(row)

    def id_taken(self, job_id: str) -> bool:
        """True if any job, live or deleted, ever had this id."""
        return self.cursor_seq(job_id) is not None

    def mark_started(self, job_id: str, when: float) -> bool:
        """queued → in_progress (a resumed in_progress job stays so); False if gone."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status = 'in_progress', started_at = COALESCE(started_at, ?) "
                "WHERE id = ? AND deleted = 0 AND status IN (?, ?)",
                (when, job_id, *UNFINISHED),
            )
        return cur.rowcount == 1

    def set_progress(self, job_id: str, progress: int) -> None:
        """Record progress of a running job; progress never goes down."""
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET progress = MAX(progress, ?) "
                "WHERE id = ? AND deleted = 0 AND status = 'in_progress'",
                (progress, job_id),
            )

    def mark_completed(self, job_id: str, when: float, ttl_seconds: float) -> bool:
        """in_progress → completed with its expiry; False if the job was deleted meanwhile."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status = 'completed', progress = 100, completed_at = ?, "
                "expires_at = ? WHERE id = ? AND deleted = 0 AND status = 'in_progress'",
                (when, when + ttl_seconds, job_id),
            )
        return cur.rowcount == 1

    def mark_failed(self, job_id: str, when: float, code: str, message: str) -> bool:
        """→ failed with the job error; False if the job was deleted meanwhile."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status = 'failed', completed_at = ?, error_code = ?, "
                "error_message = ? WHERE id = ? AND deleted = 0 AND status IN (?, ?)",
                (when, code, message, job_id, *UNFINISHED),
            )
        return cur.rowcount == 1

    def delete(self, job: Job) -> None:
        """Remove a job's data and files, keeping only its cursor position."""
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET deleted = 1, prompt = NULL, error_message = NULL WHERE seq = ?",
                (job.seq,),
            )
        self.remove_media(job)

    def remove_media(self, job: Job) -> None:
        """Delete a job's files (after delete, or once its content expired)."""
        shutil.rmtree(self.media_dir(job), ignore_errors=True)


def _job(row: sqlite3.Row) -> Job:
    values = {name: row[name] for name in _COLUMNS}
    values["has_reference"] = bool(values["has_reference"])
    values["doomed"] = bool(values["doomed"])
    return Job(**values)

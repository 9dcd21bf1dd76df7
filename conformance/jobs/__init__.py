"""The job pool: the few billable jobs of a run, created once, polled concurrently, shared.

``plan_jobs`` decides from the selected checks (the purposes each declares in the catalogue,
``Check.jobs``) and the target's declared features which jobs a run needs (``JobSpec``, one
per *purpose*). ``JobPool.start`` reserves budget for all of them up front (in plan order, so
the main job is never starved by a later one), then runs each job in its own thread: create →
an early ``/content`` probe (main job only) → poll until terminal (``polling.PollSchedule``:
the provider's hints, else the job's own progress rate, bounded by the job timeout) → download
the content and declared variants → one probe of the video → a poster frame.
A remix waits for its source to complete, so wall time is the longest chain
(create → complete → remix → complete), not the sum of the jobs.

Two purposes go through the official ``openai`` SDK (``conformance.sdk``), so that the SDK
checks bill nothing of their own: the ``sdk`` job is created, polled and downloaded by
openai-python's ``create_and_poll`` + ``download_content`` (a lax client, bounded by the job
timeout; what it returned or raised is kept in ``PoolJob.sdk``). Its create carries only the
prompt, so the same job shows the contract's defaults, multipart without a file and the optional
model (VID-CREATE-002/004/006). The ``remix`` job is created by ``client.videos.remix`` (the
raw answer is its create exchange, exactly as our own client would have recorded it) and then
polled by our poller.

Checks take finished jobs with ``pool.get(purpose)`` (blocks until the job is finished);
``pool.get_created(purpose)`` returns as soon as the create answered.

Modules: ``planning`` (``JobSpec``, ``plan_jobs``), ``model`` (``PoolJob`` and what it holds),
``pool`` (``JobPool``: running the jobs), ``create`` (sending a create, fallbacks, flow
control), ``follow`` (polling), ``content`` (download, probe, poster), ``cleanup`` (deleting
what the run created).
"""

from conformance.jobs.model import (
    TERMINAL,
    CreateAttempt,
    EarlyContent,
    PollRecord,
    PoolJob,
    settled_word,
)
from conformance.jobs.planning import PURPOSES, SDK_FEATURES, JobSpec, plan_jobs
from conformance.jobs.pool import JobPool

__all__ = [
    "PURPOSES",
    "SDK_FEATURES",
    "TERMINAL",
    "CreateAttempt",
    "EarlyContent",
    "JobPool",
    "JobSpec",
    "PollRecord",
    "PoolJob",
    "plan_jobs",
    "settled_word",
]

"""What the sdk checks (``test_sdk.py``) share: the pool's SDK job, the checks' own SDK
transcripts and evidence, and openai-python's strict models applied to a body the run saw.

A documented extra size the target declared is the one reason a strict parse may fail without
a finding: it is returned as an extension for the check's note, never as a problem.
"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from conformance import contract
from conformance.config import Target
from conformance.jobs import PoolJob
from conformance.report.model import Exchange
from conformance.sdk import SdkJobRun, SdkTranscript, describe_sdk_error, openai
from conformance.suite.context import CheckRecorder, Jobs, SuiteContext, VideoLedger
from conformance.suite.support import every_video, js

EVIDENCE_PASSED = 2
EVIDENCE_FAILED = 6


def transcripts(ctx: SuiteContext) -> list[SdkTranscript]:
    """Transcripts of the SDK calls the checks make (the pool's SDK calls are judged through
    their jobs' records)."""
    return ctx.sdk_transcripts


def new_transcript(ctx: SuiteContext) -> SdkTranscript:
    """A transcript for a check's own SDK client, kept with the run's for VID-SDK-002."""
    transcript = SdkTranscript()
    transcripts(ctx).append(transcript)
    return transcript


def attach_evidence(check: CheckRecorder, exchanges: list[Exchange], failed: bool) -> None:
    """A few of ``exchanges`` as the check's evidence: more of them when it failed."""
    if failed:
        # the first request (what was sent) and the last ones (where it broke)
        check.attach(*exchanges[:1], *exchanges[1:][-(EVIDENCE_FAILED - 1) :])
    else:
        check.attach(*exchanges[:EVIDENCE_PASSED])


def no_answer(exc: Exception, what: str) -> RuntimeError:
    """The harness error for an SDK call that got no answer (an error, not a failed check)."""
    return RuntimeError(f"no answer to the SDK's {what}: {describe_sdk_error(exc)}")


def sdk_job(jobs: Jobs) -> tuple[PoolJob, SdkJobRun]:
    """The pool's ``sdk`` job, finished, and what the SDK did with it (skips when not run)."""
    job = jobs.get("sdk")
    if job is None:
        pytest.skip("no 'sdk' job in this run (not needed by the selected checks)")
    if job.outcome == "skipped":
        pytest.skip(f"the SDK job was not created: {job.reason}")
    run = job.sdk
    if not isinstance(run, SdkJobRun):
        raise RuntimeError(f"the SDK job hit a harness error: {job.reason}")
    return job, run


def first_error(exc: Exception) -> str:
    """The first thing strict validation rejected (where, why, what it got), or the error."""
    cause = exc.__cause__ if isinstance(exc, openai.APIResponseValidationError) else exc
    if isinstance(cause, pydantic.ValidationError) and cause.errors():
        error = cause.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']} (got {js(error.get('input'))})"[:200]
    return describe_sdk_error(exc)


def declared_extension_only(exc: Exception, target: Target) -> str | None:
    """The declared extension value that is the only reason ``exc`` was raised, if it is.

    A job asked for with a documented extra size (e.g. 640x480) echoes it, and the SDK's
    strict size literal rejects it: that is the extension working as documented, not a broken
    response, so it is reported as a note instead of failing the check.
    """
    cause = exc.__cause__ if isinstance(exc, openai.APIResponseValidationError) else exc
    if not isinstance(cause, pydantic.ValidationError) or not cause.errors():
        return None
    values = {str(e.get("input")) for e in cause.errors()}
    on_size = all("size" in (str(part) for part in e["loc"]) for e in cause.errors())
    extras = set(target.extension_sizes) - set(contract.SIZES)
    return ", ".join(sorted(values)) if on_size and values <= extras else None


def strict_problem(kind: str, body: Any, target: Target, extensions: set[str]) -> str | None:
    """Why openai-python's model of ``kind`` (video, list, deleted) rejects ``body``, if it does;
    a declared extension that is the only reason goes to ``extensions`` instead."""
    from openai._models import validate_type
    from openai.pagination import SyncConversationCursorPage
    from openai.types import Video, VideoDeleteResponse

    model: Any = {
        "video": Video,
        "list": SyncConversationCursorPage[Video],
        "deleted": VideoDeleteResponse,
    }[kind]
    try:
        validate_type(type_=model, value=body)
    except pydantic.ValidationError as exc:
        extension = declared_extension_only(exc, target)
        if extension is not None:
            extensions.add(extension)
            return None
        return first_error(exc)
    return None


def seen_bodies(ctx: SuiteContext, jobs: Jobs, ledger: VideoLedger) -> list[tuple[str, str, Any]]:
    """(kind, where, body) of every successful Video, list and deleted body of the run."""
    seen = [("video", where, body) for where, body in every_video(jobs.all(), ledger)]
    for transcript in transcripts(ctx):
        for method, path, status, body in transcript.bodies:
            if not 200 <= status < 300 or path.endswith("/content"):
                continue
            if method == "DELETE":
                seen.append(("deleted", f"SDK DELETE {path}", body))
            elif method == "GET" and path.rstrip("/").endswith("/videos"):
                seen.append(("list", f"SDK list {path}", body))
            else:
                seen.append(("video", f"SDK {method} {path}", body))
    return seen


__all__ = [
    "attach_evidence",
    "declared_extension_only",
    "first_error",
    "new_transcript",
    "no_answer",
    "sdk_job",
    "seen_bodies",
    "strict_problem",
    "transcripts",
]

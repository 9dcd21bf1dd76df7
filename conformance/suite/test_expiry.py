"""expiry: once ``expires_at`` has passed, /content answers 404.

When the main job's ``expires_at`` falls within ``--expiry-wait`` the check waits and asks.
Otherwise it records the job in ``<report dir>/state.json`` and a later run with the same report
dir (and the same base URL) checks every recorded job whose time has come: a *deferred* check,
listed in the report's ``deferred`` section until then. A deferred job is kept out of the
end-of-run clean-up: a deleted video answers 404 for another reason than expiry.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance import catalog
from conformance.suite.kit import (
    CheckRecorder,
    Client,
    DeferredCheck,
    Jobs,
    SuiteContext,
    describe,
    js,
)

CHECK_ID = "VID-EXP-001"
STATE_FILE = "state.json"
EXPIRY_GRACE_S = 5.0
"""How long after expires_at content may linger before that is a failure: expires_at is whole
seconds (rounded either way) and the vendor's clock differs a little from ours."""
EXPIRY_RECHECK_S = 0.5
"""Within the grace, how often /content is asked again (each 200 may be a whole video)."""


MILLISECONDS_FROM = 10**11
"""A Unix time this large is in milliseconds (seconds reach it in the year 5138)."""


def _iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def load_state(path: Path) -> dict[str, Any]:
    """The state file's content; an unreadable file is set aside (never silently overwritten)."""
    if not path.exists():
        return {"deferred": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("deferred"), list):
            raise ValueError("no 'deferred' list")
    except (OSError, ValueError) as exc:
        aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
        path.replace(aside)
        print(f"warning: {path} was unreadable ({exc}); moved to {aside.name}")
        return {"deferred": []}
    return data


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state file atomically (a crash leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    scratch.replace(path)


def _content_after_expiry(client: Client, video_id: str, expires_at: int) -> str | None:
    """``None`` when /content answers 404; otherwise why that is a failure."""
    response = client.content(video_id, follow_redirects=False)
    if response.status == 404:
        return None
    late = int(time.time() - expires_at)
    answer = (
        describe(response)
        if response.content_type.endswith("json")
        else f"{response.status} {response.content_type} ({len(response.content)} bytes)"
    )
    return (
        f"/content of {video_id} answered {answer} {late} s after its "
        f"expires_at ({_iso(expires_at)}), not 404"
    )


def _await_expiry(client: Client, video_id: str, expires_at: int) -> str | None:
    """Watch /content from ``expires_at`` on: ``None`` as soon as it answers 404, otherwise why
    it still served the video once the grace ran out. A correct provider costs no grace."""
    time.sleep(max(0.0, expires_at - time.time()))
    while True:
        problem = _content_after_expiry(client, video_id, expires_at)
        if problem is None or time.time() >= expires_at + EXPIRY_GRACE_S:
            return problem
        time.sleep(EXPIRY_RECHECK_S)


def _check_due(
    ctx: SuiteContext, client: Client, state: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Check the recorded jobs of this target whose time has come; drop them from ``state``."""
    passed: list[str] = []
    failures: list[str] = []
    keep: list[dict[str, Any]] = []
    now = time.time()
    for entry in state["deferred"]:
        mine = entry.get("id") == CHECK_ID and entry.get("base_url") == ctx.target.base_url
        expires_at = entry.get("expires_at")
        if not mine or not isinstance(expires_at, int) or now < expires_at + EXPIRY_GRACE_S:
            keep.append(entry)
            continue
        problem = _content_after_expiry(client, str(entry.get("video_id")), expires_at)
        if problem is None:
            passed.append(str(entry.get("video_id")))
        else:
            failures.append(f"{problem} (recorded by the run of {entry.get('recorded_at')})")
    state["deferred"] = keep
    return passed, failures


@pytest.mark.late
@catalog.check(CHECK_ID)
def test_content_gone_after_expiry(
    ctx: SuiteContext, client: Client, jobs: Jobs, check: CheckRecorder
) -> None:
    path = ctx.report_dir / STATE_FILE
    state = load_state(path)
    passed, failures = _check_due(ctx, client, state)
    deferred_now: dict[str, Any] | None = None
    skip_reason = ""
    job = jobs.get("main")
    expires_at = (job.final or {}).get("expires_at") if job is not None else None
    if job is None or not job.completed or job.video_id is None:
        skip_reason = "the main job did not complete, so it has no expiry to check"
    elif expires_at is None:
        skip_reason = "the completed job's expires_at is null (the contract makes it optional)"
    elif (
        not isinstance(expires_at, int)
        or isinstance(expires_at, bool)
        or expires_at >= MILLISECONDS_FROM
    ):
        skip_reason = f"expires_at {js(expires_at)} is not a Unix time in seconds (see VID-OBJ)"
    else:
        wait = expires_at + EXPIRY_GRACE_S - time.time()
        if wait <= ctx.target.expiry_wait_s:
            problem = _await_expiry(client, job.video_id, expires_at)
            if problem is None:
                passed.append(job.video_id)
            else:
                failures.append(problem)
        else:
            deferred_now = {
                "id": CHECK_ID,
                "video_id": job.video_id,
                "base_url": ctx.target.base_url,
                "target": ctx.target.name,
                "expires_at": expires_at,
                "due_at": _iso(expires_at + EXPIRY_GRACE_S),
                "recorded_at": _iso(time.time()),
            }
            state["deferred"].append(deferred_now)
            ctx.keep_ids.append(job.video_id)
            skip_reason = (
                f"deferred: expires_at is {int(wait)} s away (more than --expiry-wait "
                f"{ctx.target.expiry_wait_s:g} s); a later run with the report dir "
                f"{ctx.report_dir} checks it after {deferred_now['due_at']}"
            )
    if path.exists() or state["deferred"]:
        save_state(path, state)
    ctx.deferred = [
        DeferredCheck(
            id=e.get("id", CHECK_ID),
            video_id=e.get("video_id"),
            target=e.get("target"),
            due_at=e.get("due_at"),
            recorded_at=e.get("recorded_at"),
        )
        for e in state["deferred"]
    ]
    check.detail("deferred_pending", len(state["deferred"]))
    if failures:
        raise AssertionError("; ".join(failures[:3]))
    if passed:
        extra = f"; {skip_reason}" if deferred_now else ""
        check.note(f"/content answered 404 after expires_at for {', '.join(passed)}{extra}")
        return
    pytest.skip(skip_reason)

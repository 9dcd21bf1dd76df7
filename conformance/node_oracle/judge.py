"""Judge what the openai-node oracle saw: one line per thing a Node integrator's code would trip on.

The expectations are the SDK's documented contract (openai-videos-api.md §2-§5): a poll ends on
``completed``; ``downloadContent`` returns the MP4; an unknown id raises ``NotFoundError``; a
remix links to its source; delete answers ``deleted: true``. A call that raised anything else is
reported with the SDK's error class, status and ``error.code``.
"""

from __future__ import annotations

from typing import Any

from conformance.node_oracle.driver import OracleCall, OraclePlan, OracleRun
from conformance.redact import redact_text

MP4_BRAND = "66747970"  # "ftyp" at byte offset 4 of every MP4


def _raised(call: OracleCall) -> str:
    err = call.error or {}
    status = f" ({err['status']})" if "status" in err else ""
    code = f", error.code {err['code']!r}" if err.get("code") is not None else ""
    return f"{err.get('name', 'Error')}{status}{code}: {err.get('message', '')}"


def _video_status(value: Any) -> str:
    if not isinstance(value, dict) or value.get("type") != "object":
        shown = value.get("value", "") if isinstance(value, dict) else value
        return f"a {value.get('type') if isinstance(value, dict) else 'value'} ({shown!r:.80})"
    return repr(value.get("status"))


def _poll(call: OracleCall, what: str) -> str | None:
    if not call.ok:
        return f"{what} raised {_raised(call)}"
    if not isinstance(call.value, dict) or call.value.get("status") != "completed":
        return f"{what} ended with status {_video_status(call.value)}, not 'completed'"
    return None


def content_expired(run: OracleRun) -> bool:
    """The download of the run's job got 404 while its ``expires_at`` was unset or passed.

    Content is promised only until ``expires_at`` (api §3.1, §4); without one, retention is the
    vendor's business (VID-OBJ-001 judges the missing key, VID-CONTENT-001 the download itself),
    so such a 404 says nothing about openai-node.
    """
    poll, download = run.get("poll"), run.get("downloadContent")
    if poll is None or download is None or download.ok or not isinstance(poll.value, dict):
        return False
    if (download.error or {}).get("name") != "NotFoundError":
        return False
    expires_at = poll.value.get("expires_at")
    return not isinstance(expires_at, int | float) or download.at >= expires_at


def _download(call: OracleCall, what: str) -> str | None:
    if not call.ok:
        return f"{what} raised {_raised(call)}"
    value = call.value if isinstance(call.value, dict) else {}
    if str(value.get("head_hex", ""))[8:16] != MP4_BRAND:
        return (
            f"{what} returned {value.get('length')} bytes labelled "
            f"{value.get('content_type')!r} that are not an MP4"
        )
    return None


def _not_found(call: OracleCall, what: str) -> str | None:
    if call.ok:
        return f"{what} of an unknown id returned {_video_status(call.value)} instead of raising"
    if (call.error or {}).get("name") != "NotFoundError":
        return f"{what} of an unknown id raised {_raised(call)}, not NotFoundError"
    return None


def _deleted(call: OracleCall, what: str) -> str | None:
    if not call.ok:
        return f"{what} raised {_raised(call)}"
    if not isinstance(call.value, dict) or call.value.get("deleted") is not True:
        return f"{what} returned deleted={(call.value or {}).get('deleted')!r}"
    return None


def _listed(listed: OracleCall, wanted: str | None, what: str) -> str | None:
    """``videos.list`` worked and showed ``wanted`` (unless more pages were left unread)."""
    if not listed.ok:
        return f"videos.list raised {_raised(listed)}"
    value = listed.value if isinstance(listed.value, dict) else {}
    if wanted and wanted not in (value.get("ids") or []) and not value.get("has_more"):
        return f"videos.list did not return {what}"
    return None


def _missing(name: str) -> str:
    return f"the oracle did not reach {name} (an earlier call broke the flow)"


def problems(run: OracleRun, plan: OraclePlan) -> list[str]:
    """What broke for openai-node, one redacted line each; empty when everything worked."""
    found: list[str | None] = []

    def need(name: str) -> OracleCall | None:
        call = run.get(name)
        if call is None:
            found.append(_missing(name))
        return call

    if plan.existing_id:
        if poll := need("poll"):
            found.append(_poll(poll, "the poll loop (videos.retrieve) on the run's job"))
        if (download := need("downloadContent")) and not content_expired(run):
            found.append(_download(download, "videos.downloadContent"))
    if plan.list and (plan.existing_id or not plan.create) and (listed := need("list")):
        found.append(_listed(listed, plan.existing_id, "the run's job"))
    if unknown := need("retrieve_unknown"):
        found.append(_not_found(unknown, "videos.retrieve"))
    if plan.create and (created := need("create")):
        if not created.ok:
            found.append(f"videos.create raised {_raised(created)}")
        else:
            found += _own_job(run, plan, need)
    if plan.delete and (unknown_delete := need("delete_unknown")):
        found.append(_not_found(unknown_delete, "videos.delete"))
    return [redact_text(p)[:400] for p in found if p]


def _own_job(run: OracleRun, plan: OraclePlan, need: Any) -> list[str | None]:
    found: list[str | None] = []
    created = (run.get("create") or OracleCall("create", False)).value
    created_id = created.get("id") if isinstance(created, dict) else None
    if not created_id:
        return [f"videos.create returned {_video_status(created)} without an id"]
    polled = need("createAndPoll")
    if polled:
        found.append(_poll(polled, "create and poll"))
        completed = polled.ok and (polled.value or {}).get("status") == "completed"
        if completed and (download := need("downloadContent_created")):
            found.append(_download(download, "videos.downloadContent of its own job"))
        if completed and plan.list and not plan.existing_id and (listed := need("list")):
            found.append(_listed(listed, created_id, "the job it created"))
    if plan.remix and (remix := need("remix")):
        if not remix.ok:
            found.append(f"videos.remix raised {_raised(remix)}")
        else:
            source = (remix.value or {}).get("remixed_from_video_id")
            if source != created_id:
                found.append(f"videos.remix returned remixed_from_video_id {source!r}")
            if remix_poll := need("remix_poll"):
                found.append(_poll(remix_poll, "polling the remix"))
            if plan.delete and (delete_remix := need("delete_remix")):
                found.append(_deleted(delete_remix, "videos.delete of the remix"))
    if plan.delete and (delete := need("delete")):
        found.append(_deleted(delete, "videos.delete"))
    return found

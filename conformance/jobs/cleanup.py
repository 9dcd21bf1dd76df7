"""After the suite: deleting what the run created (a failed delete is a note, never a failure)."""

from __future__ import annotations

from collections.abc import Iterable

from conformance.budget import Budget
from conformance.client import Client, TransportFailure
from conformance.config import Target
from conformance.jobs.model import PoolJob


def delete_created(
    client: Client,
    target: Target,
    budget: Budget,
    jobs: Iterable[PoolJob],
    extra_ids: Iterable[str] = (),
    keep: Iterable[str] = (),
    delete_offered: bool | None = None,
) -> list[str]:
    """Delete every job the run created, except ``keep`` (jobs a deferred check needs on a
    later run). Returns notes.

    ``delete_offered``: what the run found out (``None``: unknown, so try); a profile that
    declares delete absent is never sent one. A failed delete is a note, never a failure.
    """
    notes: list[str] = []
    kept = set(keep)
    ids = [j.video_id for j in budget.created if j.video_id]
    ids += [i for i in extra_ids if i not in ids]
    by_id = {j.video_id: j for j in jobs if j.video_id}
    for video_id in kept:
        if video_id in by_id:
            by_id[video_id].cleanup_note = "kept for a deferred check"
    ids = [i for i in ids if i not in kept]
    if target.denies("delete") or delete_offered is False:
        if ids:
            why = "declared absent" if target.denies("delete") else "not offered"
            notes.append(f"{len(ids)} created job(s) left on the vendor: delete is {why}")
        return notes
    for video_id in dict.fromkeys(ids):
        try:
            response = client.delete(video_id)
        except TransportFailure as exc:
            ok, note = False, str(exc)
        else:
            if response.status in (405, 501) and not target.declares("delete"):
                notes.append(
                    f"created job(s) left on the vendor: delete answered {response.status}"
                )
                return notes
            # 404: already gone (a delete check or expiry removed it).
            ok = response.ok or response.status == 404
            note = "" if ok else f"delete answered {response.status}"
        if video_id in by_id:
            by_id[video_id].deleted = ok
            by_id[video_id].cleanup_note = note
        if not ok:
            notes.append(f"cleanup of {video_id}: {note}")
    return notes

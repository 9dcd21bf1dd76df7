"""list: the list object's shape, the created job in it, cursor paging and both sort orders.

Only what the contract guarantees is judged: other jobs of the same account may be listed too,
jobs created in the same second share ``created_at`` (any order among them is legal), and the
id format is the vendor's business.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from conformance import catalog, contract
from conformance.suite.kit import (
    Budget,
    CheckRecorder,
    Client,
    FeatureMap,
    Jobs,
    Response,
    SuiteContext,
    VideoLedger,
    describe,
    js,
)

SEARCH_PAGE = 100
SEARCH_MAX_PAGES = 10
PAGE_LIMIT = 2
REFERENCE_PAGE = 10
PAGING_MAX_PAGES = 25
PAGING_RESTARTS = 2
"""Times the paging starts over when its cursor video was deleted meanwhile by another client."""
ORDER_PAGE = 100
WITNESS_WAIT_MAX_S = 3.0


def _page(
    client: Client, ledger: VideoLedger, features: FeatureMap, **params: Any
) -> tuple[Response, Any]:
    """One GET /videos that must answer a list object (a missing route: see ``FeatureMap``)."""
    return _read_page(client.list_videos(**params), ledger, features, **params)


def _read_page(
    response: Response, ledger: VideoLedger, features: FeatureMap, **params: Any
) -> tuple[Response, Any]:
    """Judge one GET /videos answer: it must be a list object."""
    features.judge_route("list", response, f"GET /videos ({_query(params)})")
    assert response.status == 200, f"GET /videos answered {describe(response)}"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("data"), list), (
        f"GET /videos did not answer an object with a data array: {describe(response)}"
    )
    for item in body["data"]:
        ledger.add(f"list item ({_query(params)})", item)
    return response, body


def _query(params: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "no parameters"


def _ids(body: dict[str, Any]) -> list[str]:
    return [str(v.get("id")) if isinstance(v, dict) else repr(v) for v in body["data"]]


def _run_job_ids(ctx: SuiteContext, jobs: Jobs) -> list[str]:
    """Ids of the pool's jobs once their creates answered (they exist until the clean-up)."""
    ids = []
    for purpose in ctx.pool.specs:
        job = jobs.pool.get_created(purpose)
        if job is not None and job.video_id and job.video_id not in ctx.deleted:
            ids.append(job.video_id)
    return ids


@catalog.check("VID-LIST-001")
def test_list_shape(
    client: Client,
    ledger: VideoLedger,
    jobs: Jobs,
    check: CheckRecorder,
    features: FeatureMap,
) -> None:
    jobs.created("main")  # so that the list has at least one item to show
    response, body = _page(client, ledger, features)
    check.attach(response.exchange)
    problems = contract.errors("VideoList", body)
    # The item schemas are VID-OBJ-001's business; judge the envelope of the list here.
    problems = [p for p in problems if "/data/" not in p]
    assert not problems, "the list object does not match the contract: " + "; ".join(problems[:4])
    check.note(f"list object with {len(body['data'])} item(s), first_id, last_id and has_more")


@catalog.check("VID-LIST-002")
def test_created_job_listed(
    client: Client,
    ledger: VideoLedger,
    jobs: Jobs,
    check: CheckRecorder,
    features: FeatureMap,
) -> None:
    job = jobs.created("main")
    params: dict[str, str | int] = {"limit": SEARCH_PAGE, "order": "desc"}
    for page in range(1, SEARCH_MAX_PAGES + 1):
        response, body = _page(client, ledger, features, **params)
        if job.video_id in _ids(body):
            check.note(f"the main job {job.video_id} is on page {page} of the list")
            return
        last_id = body.get("last_id")
        if body.get("has_more") is not True or not isinstance(last_id, str) or not last_id:
            check.attach(response.exchange)
            raise AssertionError(
                f"the main job {job.video_id} is not in the list ({page} page(s), newest first, "
                "read to the end)"
            )
        params = {**params, "after": last_id}
    pytest.skip(
        f"the main job was not among the {SEARCH_PAGE * SEARCH_MAX_PAGES} newest listed jobs; "
        "the account has too many newer jobs to look further"
    )


@catalog.check("VID-LIST-003")
def test_list_paging(
    ctx: SuiteContext,
    client: Client,
    ledger: VideoLedger,
    jobs: Jobs,
    check: CheckRecorder,
    features: FeatureMap,
) -> None:
    jobs.created("main")
    _run_job_ids(ctx, jobs)  # every create of the pool answered: the list has all it will have
    # The reference: the newest jobs in one page. Paging newest first must show each of them
    # once; jobs created meanwhile only add items at the top, which a cursor never repeats.
    _, first = _page(client, ledger, features, limit=REFERENCE_PAGE, order="desc")
    reference = _ids(first)
    if len(reference) < 2:
        pytest.skip(f"paging needs at least two listed jobs; the list shows {len(reference)}")
    limit = PAGE_LIMIT if len(reference) > PAGE_LIMIT else 1
    seen: list[str] = []
    params: dict[str, Any] = {"limit": limit, "order": "desc"}
    restarts = 0
    for page in range(1, PAGING_MAX_PAGES + 1):
        response = client.list_videos(**params)
        cursor = params.get("after")
        if response.status != 200 and cursor and client.retrieve(cursor).status == 404:
            # The cursor's video was deleted meanwhile by another client (openai-node deletes
            # its own jobs while the suite runs); refusing a cursor that names nothing is
            # legal, so the paging starts over instead of failing.
            restarts += 1
            if restarts > PAGING_RESTARTS:
                pytest.skip("the videos used as cursors kept being deleted while paging")
            seen, params = [], {"limit": limit, "order": "desc"}
            continue
        response, body = _read_page(response, ledger, features, **params)
        ids = _ids(body)
        if len(ids) > limit:
            check.attach(response.exchange)
            raise AssertionError(f"limit={limit} answered {len(ids)} items on page {page}")
        repeats = [i for i in ids if i in seen]
        if repeats:
            check.attach(response.exchange)
            raise AssertionError(
                f"page {page} (after={params.get('after')}) repeats {', '.join(repeats[:3])} "
                "from an earlier page"
            )
        seen.extend(ids)
        has_more = body.get("has_more")
        if not isinstance(has_more, bool):
            check.attach(response.exchange)
            raise AssertionError(
                f"page {page} has no boolean has_more ({js(has_more)}): a client cannot tell "
                "whether to ask for the next page"
            )
        if not has_more or all(i in seen for i in reference):
            break
        last_id = body.get("last_id")
        if not ids or not isinstance(last_id, str) or not last_id:
            check.attach(response.exchange)
            raise AssertionError(
                f"page {page} says has_more but gives {len(ids)} items and last_id {js(last_id)}: "
                "the SDK's pager stops here"
            )
        if last_id != ids[-1]:
            check.attach(response.exchange)
            raise AssertionError(
                f"page {page}'s last_id {js(last_id)} is not its last item {js(ids[-1])}"
            )
        params = {**params, "after": last_id}
    gone = set(ctx.deleted)
    # A job deleted meanwhile by another client (openai-node deletes its own) is not skipped:
    # it is gone, which retrieve tells.
    missing = [
        i for i in reference if i not in seen and i not in gone and client.retrieve(i).status != 404
    ]
    if missing and len(seen) >= limit * PAGING_MAX_PAGES:
        pytest.skip(f"{len(seen)} jobs were created meanwhile; the paging could not be judged")
    assert not missing, (
        f"paging with limit={limit} skipped {len(missing)} of the {len(reference)} newest jobs "
        f"({', '.join(missing[:3])}): a paging client never sees them"
    )
    check.note(f"{len(seen)} jobs paged {limit} at a time without gaps or repeats")


def _created_at_values(body: dict[str, Any]) -> list[int]:
    values = []
    for item in body["data"]:
        created_at = item.get("created_at") if isinstance(item, dict) else None
        # A non-integer created_at is VID-OBJ-002's finding; it cannot be sorted here.
        if isinstance(created_at, int) and not isinstance(created_at, bool):
            values.append(created_at)
    return values


def _ordering_witness(ctx: SuiteContext, client: Client, budget: Budget, newest: int) -> None:
    """Create one job in a later second than every listed job, so the two orders differ.

    Jobs created concurrently share ``created_at``, and then no order can be told apart.
    """
    give_up = time.monotonic() + WITNESS_WAIT_MAX_S  # created_at may be on another clock
    while time.time() < newest + 1.05 and time.monotonic() < give_up:
        time.sleep(0.1)
    target = ctx.target
    reservation = budget.reserve(int(target.main_seconds), "VID-LIST-004 ordering witness")
    if reservation is None:
        pytest.skip("every listed job has the same created_at, and a later job is over budget")
    fields = {
        "prompt": f"A kite over a beach [vc {ctx.run_tag}]",
        "size": target.main_size,
        "seconds": target.main_seconds,
        **({"model": target.model} if target.model else {}),
    }
    encoding = ctx.pool.working_encoding() or target.create_encodings[0]
    try:
        response = client.create(fields, encoding=encoding)
    except BaseException:
        reservation.confirm(None)
        raise
    body = response.json()
    video_id = body.get("id") if isinstance(body, dict) else None
    if not response.ok:
        reservation.cancel()
        pytest.skip(f"the ordering witness job was not created: {describe(response)}")
    reservation.confirm(video_id if isinstance(video_id, str) else None)
    if isinstance(video_id, str):
        ctx.created_by_checks.append(video_id)


def _unsorted(values: list[int], descending: bool) -> tuple[int, int] | None:
    for before, after in itertools.pairwise(values):
        if (after > before) if descending else (after < before):
            return before, after
    return None


@pytest.mark.late
@catalog.check("VID-LIST-004")
def test_list_order(
    ctx: SuiteContext,
    client: Client,
    budget: Budget,
    ledger: VideoLedger,
    jobs: Jobs,
    check: CheckRecorder,
    features: FeatureMap,
) -> None:
    jobs.created("main")
    _, desc = _page(client, ledger, features, limit=ORDER_PAGE, order="desc")
    _, asc = _page(client, ledger, features, limit=ORDER_PAGE, order="asc")
    values = _created_at_values(desc) + _created_at_values(asc)
    if values and len(set(values)) < 2:
        _ordering_witness(ctx, client, budget, max(values, default=int(time.time())))
        _, desc = _page(client, ledger, features, limit=ORDER_PAGE, order="desc")
        _, asc = _page(client, ledger, features, limit=ORDER_PAGE, order="asc")
    judged = 0
    for name, body, descending in (("desc", desc, True), ("asc", asc, False)):
        values = _created_at_values(body)
        wrong = _unsorted(values, descending)
        if wrong is not None:
            raise AssertionError(
                f"order={name} lists a job created at {wrong[0]} before one created at {wrong[1]}"
            )
        judged += len(set(values)) > 1
    if not judged:
        pytest.skip("no two listed jobs differ in created_at: the order cannot be judged")
    check.note(f"order=desc ({len(desc['data'])} items) and order=asc sorted by created_at")

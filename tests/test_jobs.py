"""The job pool: planning, budget, concurrent polling, early /content probe, remix, clean-up."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from typing import Any

import httpx
import httpx2
import pytest

from conformance.budget import Budget, BudgetLimits
from conformance.catalog import CHECKS
from conformance.client import Client
from conformance.config import Target
from conformance.jobs import PURPOSES, JobPool, plan_jobs, settled_word
from conformance.media import VideoProbe

ALL = set(CHECKS)


class FakeVendor:
    """A tiny in-memory /v1/videos: queued → in_progress → completed over three retrieves."""

    def __init__(
        self,
        *,
        poll_after: str | None = "10",
        fail_prompt: str = "[[fail]]",
        require_model: bool = False,
    ) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.require_model = require_model
        self.creates: list[bytes] = []
        self.retrieves: dict[str, int] = {}
        self.deleted: list[str] = []
        self.poll_after = poll_after
        self.fail_prompt = fail_prompt
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _new(self, prompt: str, source: str | None = None) -> dict[str, Any]:
        with self._lock:
            video_id = f"video_{next(self._ids)}"
        job = {
            "id": video_id,
            "object": "video",
            "status": "queued",
            "progress": 0,
            "prompt": prompt,
            "remixed_from_video_id": source,
            "completed_at": None,
        }
        self.jobs[video_id] = job
        return job

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        if request.method == "POST" and path == "/videos":
            body = request.read()
            self.creates.append(body)
            if body.startswith(b"{"):
                prompt = json.loads(body)["prompt"]
                has_model = "model" in json.loads(body)
            else:  # multipart: the prompt part's value
                found = re.search(rb'name="prompt"\r\n\r\n(.*?)\r\n', body, re.S)
                prompt = found.group(1).decode() if found else "multipart"
                has_model = b'name="model"' in body
            if self.require_model and not has_model:
                error = {"message": "model is required", "type": "x", "param": "model"}
                return httpx.Response(400, json={"error": {**error, "code": None}})
            return httpx.Response(200, json=self._new(prompt))
        parts = path.split("/")
        video_id = parts[2] if len(parts) > 2 else ""
        job = self.jobs.get(video_id)
        if job is None:
            return httpx.Response(
                404, json={"error": {"message": "no", "type": "x", "param": None, "code": None}}
            )
        if request.method == "DELETE":
            self.deleted.append(video_id)
            return httpx.Response(
                200, json={"id": video_id, "object": "video.deleted", "deleted": True}
            )
        if path.endswith("/remix"):
            return httpx.Response(200, json=self._new("remix", source=video_id))
        if path.endswith("/content"):
            if job["status"] != "completed":
                return httpx.Response(400, json={"error": {"message": "not ready"}})
            return httpx.Response(200, content=b"MP4BYTES", headers={"content-type": "video/mp4"})
        count = self.retrieves[video_id] = self.retrieves.get(video_id, 0) + 1
        if count >= 3:
            failing = self.fail_prompt in (job["prompt"] or "")
            job.update(status="failed" if failing else "completed", progress=100, completed_at=1)
            if failing:
                job["error"] = {"code": "x", "message": "y"}
        elif count >= 1:
            job.update(status="in_progress", progress=50)
        headers = {"openai-poll-after-ms": self.poll_after} if self.poll_after else {}
        return httpx.Response(200, json=job, headers=headers)


def _target(**kw: Any) -> Target:
    base = dict(
        name="fake",
        base_url="https://fake.test/v1",
        api_key="k" * 12,
        features=frozenset({"remix", "delete", "variants"}),
        failing_prompt="x [[fail]]",
        job_timeout_s=10.0,
    )
    base.update(kw)
    return Target(**base)  # type: ignore[arg-type]


def sdk_transport(handler: Callable[[httpx.Request], httpx.Response]) -> httpx2.MockTransport:
    """The same fake vendor for openai-python, which speaks httpx2."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        response = handler(
            httpx.Request(
                request.method,
                str(request.url),
                headers=list(request.headers.multi_items()),
                content=request.read(),
            )
        )
        return httpx2.Response(
            response.status_code,
            headers=list(response.headers.multi_items()),
            content=response.read(),
        )

    return httpx2.MockTransport(handle)


def _pool(
    vendor: Callable[[httpx.Request], httpx.Response],
    target: Target,
    budget: Budget | None = None,
    selected: set[str] = ALL,
) -> JobPool:
    client = Client(target, transport=httpx.MockTransport(vendor))
    return JobPool(
        client,
        budget or Budget(target.budget),
        target,
        plan_jobs(target, selected, "t1"),
        probe_video=lambda data: VideoProbe(ok=False, error=f"probed {len(data)} bytes"),
        sdk_transport=sdk_transport(vendor),
    )


def test_plan_follows_features_and_selection() -> None:
    # Features the profile does not mention are tried (and found out); denied ones are not.
    target = _target(features=frozenset(), failing_prompt="")
    # (discovery jobs last: a budget never starves the SDK oracle for their sake)
    assert [s.purpose for s in plan_jobs(target, ALL)] == ["main", "sdk", "remix", "image"]
    denied = _target(
        features=frozenset(),
        absent_features=frozenset({"remix", "image_to_video", "variants"}),
        failing_prompt="",
    )
    assert [s.purpose for s in plan_jobs(denied, ALL)] == ["main", "sdk"]
    assert plan_jobs(denied, ALL)[0].variants == ()
    full = _target(
        model="sora-2",
        features=frozenset({"remix", "image_to_video", "variants"}),
        extension_seconds=("2",),
        extension_sizes=("640x480",),
    )
    purposes = [s.purpose for s in plan_jobs(full, ALL)]
    assert purposes == [
        "main",
        "sdk",
        "failing",
        "remix",
        "image",
        "extension_seconds",
        "extension_size",
    ]
    assert plan_jobs(full, {"VID-VAL-001"}) == []
    main = plan_jobs(full, ALL)[0]
    assert main.variants == ("thumbnail", "spritesheet") and main.probe_early_content
    sdk = plan_jobs(full, ALL)[1]
    # openai-python's shortest call: only the prompt, so model, size and seconds default.
    assert sdk.fields.keys() == {"prompt"} and sdk.sdk_poll and sdk.encoding == "multipart"
    # The main job is JSON first (VID-CREATE-001), multipart judged on the SDK job; each falls
    # back so that a refusal never costs the other checks their job (nothing is billed twice:
    # a refusal made no job).
    assert main.encoding == "json"
    assert main.fallbacks == (("multipart", main.fields),)
    assert sdk.fallbacks == (("multipart", {**sdk.fields, "model": "sora-2"}),)
    # Without a profile model there is nothing to resend with.
    alone = {s.purpose: s for s in plan_jobs(_target(), {"VID-CREATE-006"})}
    assert alone["sdk"].fallbacks == ()


def test_plan_needs_at_most_five_jobs_for_every_core_and_declared_check() -> None:
    # The defaults and the SDK checks share one job: a profile declaring every extended
    # feature (extensions aside) needs main, sdk, failing, remix and image.
    full = _target(model="sora-2", features=frozenset({"remix", "image_to_video", "variants"}))
    assert [s.purpose for s in plan_jobs(full, ALL)] == ["main", "sdk", "failing", "remix", "image"]
    # The delete checks need a finished job of their own: the SDK job.
    assert [s.purpose for s in plan_jobs(full, {"VID-DEL-001"})] == ["main", "sdk"]


def test_pool_runs_the_chain_and_records_everything() -> None:
    vendor = FakeVendor()
    pool = _pool(vendor, _target())
    pool.start()
    main = pool.get("main", timeout=10)
    assert main is not None and main.outcome == "completed"
    assert main.early_content is not None and main.early_content.response.status == 400
    assert [p.body["status"] for p in main.polls][-1] == "completed"
    assert main.content is not None and main.content.content == b"MP4BYTES"
    assert main.video_probe == VideoProbe(ok=False, error="probed 8 bytes")
    assert set(main.variants) == {"thumbnail", "spritesheet"}
    remix = pool.get("remix", timeout=10)
    assert remix is not None and remix.outcome == "completed"
    assert remix.final is not None and remix.final["remixed_from_video_id"] == main.video_id
    failing = pool.get("failing", timeout=10)
    assert failing is not None and failing.outcome == "failed"
    pool.join()
    # main, sdk, failing, remix, image (not mentioned, so tried)
    assert pool.budget.jobs_created == 5
    pool.cleanup()
    assert sorted(vendor.deleted) == sorted(j.video_id or "" for j in pool.jobs.values())
    records = pool.job_records()
    assert all(r.deleted for r in records) and records[0].timeline[0].status == "queued"


def test_sdk_create_refused_without_model_is_resent_with_it() -> None:
    # openai-python's create leaves model out; a vendor that requires it refuses (no job is
    # made), so the same call is sent again with the profile's model and the job still runs.
    vendor = FakeVendor(require_model=True)
    target = _target(model="sora-2", features=frozenset(), failing_prompt="")
    pool = _pool(vendor, target, selected={"VID-CREATE-006"})
    pool.start()
    job = pool.get("sdk", timeout=20)
    assert job is not None and job.outcome == "completed", job and job.reason
    assert [(a.response.status, "model" in a.fields) for a in job.attempts] == [
        (400, False),
        (200, True),
    ]
    assert job.create is job.attempts[-1].response
    assert job.sdk is not None and job.sdk.video is not None and job.sdk.video.id == job.video_id
    assert job.video_probe == VideoProbe(ok=False, error="probed 8 bytes")
    pool.join()
    # VID-CREATE-006 needs only the SDK job, and the refused create billed nothing
    assert list(pool.specs) == ["sdk"] and pool.budget.jobs_created == 1


def test_budget_refusal_skips_lower_priority_jobs() -> None:
    target = _target()
    pool = _pool(FakeVendor(), target, Budget(BudgetLimits(max_jobs=1, max_video_seconds=64)))
    pool.start()
    assert pool.get("main", timeout=10).outcome == "completed"  # type: ignore[union-attr]
    sdk = pool.get("sdk", timeout=10)
    assert sdk is not None and sdk.outcome == "skipped" and "over budget" in sdk.reason
    pool.join()


def test_timeout_when_the_job_never_finishes() -> None:
    vendor = FakeVendor()
    target = _target(job_timeout_s=0.3, features=frozenset(), failing_prompt="")

    def stuck(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return vendor(request)
        return httpx.Response(
            200,
            json={"id": "video_1", "status": "queued", "progress": 0},
            headers={"openai-poll-after-ms": "50"},
        )

    pool = _pool(vendor, target, selected={"VID-LIFE-008"})
    pool.client = Client(target, transport=httpx.MockTransport(stuck))
    pool.start()
    job = pool.get("main", timeout=10)
    assert job is not None and job.outcome == "timeout" and "job timeout" in job.reason


def test_cleanup_without_delete_only_notes() -> None:
    vendor = FakeVendor()
    absent = _target(features=frozenset(), absent_features=frozenset({"delete"}))
    pool = _pool(vendor, absent, selected={"VID-CREATE-003"})
    pool.start()
    pool.join()
    notes = pool.cleanup()
    assert vendor.deleted == [] and "delete is declared absent" in notes[0]
    # Not mentioned: the delete is tried, and a route that is not there ends the clean-up.
    pool = _pool(vendor, _target(features=frozenset()), selected={"VID-CREATE-003"})
    pool.start()
    pool.join()
    assert pool.cleanup() == [] and len(vendor.deleted) == 1


def test_cleanup_stops_when_delete_is_not_offered() -> None:
    vendor = FakeVendor()

    def no_delete(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(405, json={"error": {"message": "no"}})
        return vendor(request)

    target = _target(features=frozenset())
    pool = JobPool(
        Client(target, transport=httpx.MockTransport(no_delete)),
        Budget(target.budget),
        target,
        plan_jobs(target, {"VID-CREATE-003", "VID-CREATE-001"}, "t1"),
    )
    pool.start()
    pool.join()
    notes = pool.cleanup()
    assert len(notes) == 1 and "delete answered 405" in notes[0]
    assert pool.cleanup(delete_offered=False)[0].endswith("delete is not offered")


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"status": "completed"}, "completed"),
        ({"status": "in_progress", "completed_at": 5}, None),
        ({"status": "processing"}, None),
        ({"status": "done", "completed_at": 5}, "done"),
        ({"status": "error", "error": {"code": "x"}}, "error"),
        ("not json", None),
    ],
)
def test_settled_word(body: Any, word: str | None) -> None:
    assert settled_word(body) == word


def test_the_sdk_job_is_driven_by_openai_python_and_recorded() -> None:
    vendor = FakeVendor()
    target = _target(features=frozenset(), failing_prompt="")
    pool = _pool(vendor, target, selected={"VID-SDK-001"})
    assert list(pool.specs) == ["sdk"]
    pool.start()
    job = pool.get("sdk", timeout=10)
    assert job is not None and job.outcome == "completed", job and job.reason
    assert job.sdk.video.status == "completed" and job.sdk.content == b"MP4BYTES"
    assert job.content is not None and job.content.status == 200
    assert job.video_probe == VideoProbe(ok=False, error="probed 8 bytes")
    assert job.create is not None and job.create.exchange.method == "POST"
    assert "multipart/form-data" in (job.create.exchange.request_body or "")
    assert job.observed[0][0] == "create"
    assert job.polls and job.polls[-1].body["status"] == "completed"
    # one job, created by the SDK and billed through the pool's reservation
    assert list(vendor.jobs) == [job.video_id]
    assert [c.video_id for c in pool.budget.created] == [job.video_id]


def test_the_remix_is_sent_by_openai_python_and_polled_by_ours() -> None:
    vendor = FakeVendor()
    target = _target(failing_prompt="")
    pool = _pool(vendor, target, selected={"VID-REMIX-001"})
    assert list(pool.specs) == ["main", "remix"]
    pool.start()
    main, remix = pool.get("main", timeout=10), pool.get("remix", timeout=10)
    assert main is not None and remix is not None and remix.outcome == "completed"
    assert remix.sdk.error is None
    assert remix.sdk.value.remixed_from_video_id == main.video_id
    assert (
        remix.create is not None and remix.create.json()["remixed_from_video_id"] == main.video_id
    )
    assert remix.create.exchange.url.endswith("/remix")
    assert json.loads(remix.create.exchange.request_body or "")["prompt"].startswith("The same")
    assert remix.polls and vendor.retrieves[remix.video_id or ""] >= 3  # our poller's retrieves


def test_a_remix_answer_that_breaks_the_sdk_still_reaches_the_checks() -> None:
    vendor = FakeVendor()

    def html_remix(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/remix"):
            return httpx.Response(
                200, text="<html>busy</html>", headers={"content-type": "text/html"}
            )
        return vendor(request)

    pool = _pool(html_remix, _target(failing_prompt=""), selected={"VID-REMIX-001"})
    pool.start()
    remix = pool.get("remix", timeout=10)
    assert remix is not None and remix.outcome == "rejected" and "no id" in remix.reason
    assert remix.create is not None and remix.create.status == 200
    assert "<html>busy</html>" in (remix.create.exchange.response_body or "")
    assert isinstance(remix.sdk.value, str)  # the lax SDK hands back the text


def test_our_poller_takes_over_when_the_sdk_poll_returns_early() -> None:
    vendor = FakeVendor()

    def processing(request: httpx.Request) -> httpx.Response:
        response = vendor(request)
        if request.method == "GET" and b'"in_progress"' in response.content:
            body = json.loads(response.content)
            return httpx.Response(200, json={**body, "status": "processing"})
        return response

    target = _target(features=frozenset(), failing_prompt="")
    pool = _pool(processing, target, selected={"VID-SDK-001"})
    pool.start()
    job = pool.get("sdk", timeout=10)
    assert job is not None
    assert job.sdk.video.status == "processing" and job.sdk.content is None
    assert job.outcome == "completed" and job.terminal_word == "completed"


def test_plan_and_pool_agree_on_every_job() -> None:
    vendor = FakeVendor()
    target = _target(features=frozenset({"remix", "delete", "image_to_video", "list"}))
    plan = plan_jobs(target, ALL, "t1")
    pool = _pool(vendor, target)
    assert list(pool.specs) == [s.purpose for s in plan]
    pool.start()
    pool.join()
    assert sorted(j.purpose for j in pool.jobs.values() if j.created) == sorted(pool.specs)
    assert pool.budget.jobs_created == len(plan) == len(vendor.jobs)


def test_sdk_003_alone_plans_the_sdk_job_and_the_remix_it_judges() -> None:
    target = _target(features=frozenset({"remix", "list"}))
    assert [s.purpose for s in plan_jobs(target, {"VID-SDK-003"})] == ["main", "sdk", "remix"]
    none = frozenset({"remix", "list", "delete"})
    assert plan_jobs(_target(features=frozenset(), absent_features=none), {"VID-SDK-003"}) == []
    assert plan_jobs(_target(), {"VID-SDK-002"}) == []


def test_every_catalogue_job_is_a_pool_purpose() -> None:
    # plan_jobs reads Check.jobs: a purpose it does not know would silently plan nothing.
    declared = {p for check in CHECKS.values() for p in check.jobs}
    assert declared <= set(PURPOSES), declared - set(PURPOSES)
    # and every purpose is some check's own (none is planned for nothing)
    assert set(PURPOSES) == declared

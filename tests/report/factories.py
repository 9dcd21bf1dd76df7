"""Realistic reports for the report tests, built from real catalogue ids."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image, ImageDraw

from conformance import SUITE_VERSION, catalog
from conformance.report.model import (
    Billing,
    CheckResult,
    Exchange,
    FuzzSection,
    JobRecord,
    Outcome,
    Report,
    StatusSample,
)

HOSTILE_BODY = '<script>alert("owned")</script><img src=x onerror=alert(1)>'


def tiny_png(width: int = 64, height: int = 36) -> str:
    """A small PNG poster frame (base64), like the runner grabs from a video's first frame."""
    image = Image.new("RGB", (width, height), (20, 40, 90))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (width // 3, height // 4, width // 3 + height // 2, height // 4 + height // 2),
        fill=(250, 200, 40),
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def result(
    check_id: str, outcome: Outcome = "passed", message: str = "", **extra: Any
) -> CheckResult:
    """A ``CheckResult`` for a catalogue check, its facts copied from the catalogue."""
    entry = catalog.get(check_id)
    return CheckResult(
        id=entry.id,
        title=entry.title,
        level=entry.level,
        feature=entry.feature,
        outcome=outcome,
        message=message,
        reference=entry.reference,
        core=entry.core,
        **extra,
    )


def exchange(
    method: str, path: str, status: int | None, body: str | None, **extra: Any
) -> Exchange:
    """One redacted transcript entry against a vendor."""
    return Exchange(
        method=method,
        url=f"https://api.vendor.example/v1{path}",
        request_headers=extra.pop(
            "request_headers",
            {"authorization": "Bearer [REDACTED]", "content-type": "application/json"},
        ),
        request_body=extra.pop("request_body", None),
        status=status,
        response_headers={"content-type": "application/json"} if status is not None else {},
        response_body=body,
        elapsed_ms=extra.pop("elapsed_ms", 42.0),
        **extra,
    )


def job(
    video_id: str = "video_abc123", *, final_status: str = "completed", poster: bool = True
) -> JobRecord:
    """A job with a realistic timeline (queued → in_progress → completed)."""
    timeline = [
        StatusSample(0.0, "queued", 0),
        StatusSample(1.0, "in_progress", 10),
        StatusSample(2.0, "in_progress", 45),
        StatusSample(3.0, "in_progress", 80),
        StatusSample(4.0, final_status, 100 if final_status == "completed" else 80),
    ]
    return JobRecord(
        video_id=video_id,
        purpose="main",
        request={"prompt": "a calm lake at dawn", "seconds": "4", "size": "720x1280"},
        final_status=final_status,
        seconds=4,
        timeline=timeline,
        poster_png_base64=tiny_png() if poster else None,
        duration_s=4.2,
        deleted=True,
    )


def passing_checks() -> list[CheckResult]:
    """Every catalogue check passed (extended features included)."""
    return [result(c.id) for c in catalog.CHECKS.values()]


def make_report(
    checks: list[CheckResult] | None = None,
    *,
    name: str = "acme",
    suite_version: str = SUITE_VERSION,
    complete: bool = True,
    jobs: list[JobRecord] | None = None,
    harness_errors: list[str] | None = None,
) -> Report:
    """A report; by default every check passed against the ``acme`` target."""
    return Report(
        tool={
            "name": "video-conformance",
            "version": "0.1.0",
            "suite_version": suite_version,
            "spec_version": "2025-10",
        },
        target={
            "name": name,
            "base_url": f"https://api.{name}.example/v1",
            "profile": name,
            "auth": "bearer",
        },
        started_at="2025-11-21T08:00:00Z",
        duration_s=73.25,
        checks=passing_checks() if checks is None else checks,
        jobs=[job()] if jobs is None else jobs,
        billing=Billing(
            jobs_created=3,
            billable_seconds=12,
            estimated_cost=1.2,
            max_jobs=8,
            max_video_seconds=64,
        ),
        fuzz=FuzzSection(
            seed=1234,
            requests_per_operation={"POST /videos": 25, "GET /videos/{video_id}": 40},
            billable_jobs=1,
        ),
        deferred=[],
        harness_errors=harness_errors or [],
        complete=complete,
    )


def replace(checks: list[CheckResult], *updated: CheckResult) -> list[CheckResult]:
    """``checks`` with the results of the same ids swapped for ``updated``."""
    by_id = {c.id: c for c in updated}
    return [by_id.get(c.id, c) for c in checks]


def realistic_report(name: str = "sciforium") -> Report:
    """A vendor with MUST and SHOULD failures (with evidence), an error, unsupported features,
    a MAY failure, an extension, a deferred check and a job with a poster and a timeline."""
    checks = replace(
        passing_checks(),
        result(
            "VID-LIFE-001",
            "failed",
            "status 'processing' is not one of queued, in_progress, completed, failed",
            evidence=[
                exchange(
                    "GET",
                    "/videos/video_abc123",
                    200,
                    '{"id":"video_abc123","object":"video","status":"processing","progress":45}',
                ),
            ],
            details={"observed": ["queued", "processing", "completed"]},
        ),
        result(
            "VID-CONTENT-005",
            "failed",
            "/content before completion answered 200 with a JSON body",
            evidence=[exchange("GET", "/videos/video_abc123/content", 200, HOSTILE_BODY)],
        ),
        result(
            "VID-CREATE-003",
            "failed",
            "create answered 201, the contract documents 200",
            evidence=[
                exchange(
                    "POST",
                    "/videos",
                    201,
                    '{"id":"video_abc123","status":"queued"}',
                    request_body='{"prompt":"a calm lake"}',
                ),
            ],
        ),
        result(
            "VID-ERR-001",
            "error",
            "connection reset by peer while retrieving an unknown id",
            evidence=[
                exchange(
                    "GET",
                    "/videos/video_does_not_exist",
                    None,
                    None,
                    error="ConnectError: connection reset",
                )
            ],
        ),
        result("VID-REMIX-001", "unsupported", "remix is not declared by the profile"),
        result("VID-REMIX-002", "unsupported", "remix is not declared by the profile"),
        result("VID-ERR-004", "unsupported", "remix is not declared by the profile"),
        result("VID-I2V-001", "unsupported", "image_to_video is not declared by the profile"),
        result("VID-EXP-001", "skipped", "deferred: expires_at is 3600 s away"),
        result(
            "VID-SDK-001",
            "failed",
            "create_and_poll returned early with status 'processing' instead of completed",
        ),
        result("VID-EXT-001", "failed", 'declared extra duration "2" was rejected with 400'),
        result(
            "VID-VAL-001",
            "passed",
            'seconds "5" is a documented extension and was accepted',
            kind="extension",
        ),
    )
    report = make_report(checks, name=name)
    report.jobs = [job("video_abc123"), job("video_fail01", final_status="failed", poster=False)]
    report.deferred = [
        {"id": "VID-EXP-001", "video_id": "video_abc123", "due_at": "2025-11-21T09:00:00Z"}
    ]
    return report

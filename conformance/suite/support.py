"""Helpers shared by the check modules: billable probes, envelope and Video judgements."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import contract
from conformance.client import AuthMode, Response
from conformance.jobs import PoolJob
from conformance.suite.context import SuiteContext, VideoLedger


def js(value: Any, limit: int = 120) -> str:
    """A value the provider sent, as JSON (``null``, ``"4"``, ``4``), for a check's message."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:  # a circular structure cannot come from JSON; say what it is
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


URL_SAFE_ID = re.compile(r"^[A-Za-z0-9._~-]+$")
REJECTION_STATUSES = (400, 422)


@dataclass
class ProbeResult:
    """A request that should have been refused, and whether the vendor accepted it anyway."""

    response: Response
    accepted: bool
    video_id: str | None


class Probes:
    """Creates and remixes that a broken vendor might accept (and bill): budgeted and tracked.

    An accepted probe is confirmed against the budget and remembered for the end-of-run
    clean-up; the check that sent it then fails.
    """

    def __init__(self, ctx: SuiteContext) -> None:
        self.ctx = ctx

    def _send(self, purpose: str, seconds: int, send: Any) -> ProbeResult:
        reservation = self.ctx.budget.reserve(seconds, f"probe:{purpose}")
        if reservation is None:
            limits = self.ctx.budget.limits
            pytest.skip(
                f"over budget: this probe could bill a {seconds} s job "
                f"(max_jobs={limits.max_jobs}, max_video_seconds={limits.max_video_seconds})"
            )
        try:
            response: Response = send()
        except BaseException:
            reservation.confirm(None)  # it may have reached the vendor: count it
            raise
        body = response.json()
        video_id = body.get("id") if isinstance(body, dict) else None
        if response.ok:
            reservation.confirm(video_id if isinstance(video_id, str) else None)
            if isinstance(video_id, str):
                self.ctx.created_by_checks.append(video_id)
            return ProbeResult(response, True, video_id if isinstance(video_id, str) else None)
        reservation.cancel()
        return ProbeResult(response, False, None)

    def create(
        self,
        fields: Mapping[str, Any],
        *,
        encoding: str,
        purpose: str,
        seconds: int = 4,
        auth: AuthMode = "default",
    ) -> ProbeResult:
        """POST /videos with ``fields`` (JSON values kept as given, e.g. an integer)."""
        client = self.ctx.client
        if encoding == "json":
            return self._send(
                purpose,
                seconds,
                lambda: client.request(
                    "POST", "/videos", route="create", json_body=dict(fields), auth=auth
                ),
            )
        return self._send(
            purpose, seconds, lambda: client.create(fields, encoding=encoding, auth=auth)
        )

    def remix(
        self, video_id: str, prompt: str, *, purpose: str, auth: AuthMode = "default"
    ) -> ProbeResult:
        """POST /videos/{id}/remix that should be refused."""
        seconds = int(self.ctx.target.main_seconds)
        return self._send(
            purpose, seconds, lambda: self.ctx.client.remix(video_id, prompt, auth=auth)
        )

    def valid_fields(self, **overrides: Any) -> dict[str, Any]:
        """A valid create body for this target, with ``overrides`` applied (``None`` removes)."""
        target = self.ctx.target
        fields: dict[str, Any] = {
            "prompt": f"A quiet forest clearing [vc {self.ctx.run_tag} probe]",
            "size": target.main_size,
            "seconds": target.main_seconds,
        }
        if target.model:
            fields["model"] = target.model
        for key, value in overrides.items():
            if value is None:
                fields.pop(key, None)
            else:
                fields[key] = value
        return fields


def unknown_id(ctx: SuiteContext) -> str:
    """A well-formed, URL-safe id that no vendor has issued."""
    return f"video_vcmissing{ctx.run_tag}0000"


def envelope_problems(body: Any) -> list[str]:
    """Why ``body`` is not the error envelope ``{"error": {message, type, param, code}}``."""
    problems = contract.errors("ErrorResponse", body)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        if isinstance(code, str) and code.isdigit():
            problems.append(
                f"error.code is the HTTP status as a string ({js(code)}), not an error code"
            )
    return problems


def every_video(jobs: Iterable[PoolJob], ledger: VideoLedger) -> list[tuple[str, Any]]:
    """(where, body) of every Video object a contract-following client would see in the run:
    pool creates and polls (except jobs that opted into a declared extension), plus the ledger."""
    seen: list[tuple[str, Any]] = []
    for job in contract_jobs(jobs):
        for i, (source, body) in enumerate(job.observed):
            seen.append((f"{job.purpose} job, {source} #{i}", body))
    seen.extend(ledger.snapshot())
    return seen


def contract_jobs(jobs: Iterable[PoolJob]) -> list[PoolJob]:
    """The jobs whose requests stay within the contract (see ``JobSpec.uses_extension``)."""
    return [job for job in jobs if not job.spec.uses_extension]


DURATION_TOLERANCE_S = 0.5
DURATION_TOLERANCE_SHARE = 0.1


def duration_tolerance(seconds: int) -> float:
    """How far a video may be off the requested length: half a second, or a tenth of a long
    one (encoders round to whole frames and GOPs)."""
    return max(DURATION_TOLERANCE_S, DURATION_TOLERANCE_SHARE * seconds)


def describe(response: Response) -> str:
    """``400 {"error": ...}`` in one short line, for failure messages."""
    body = response.content[:160].decode("utf-8", "replace")
    return f"{response.status} {body}".strip()

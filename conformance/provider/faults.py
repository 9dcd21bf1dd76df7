"""Named fault switches: each one a set of ``Behaviour`` overrides that breaks one rule.

``serve --fault NAME`` (repeatable) and the project's own tests apply them on top of a dialect,
so that every check can be shown to fail against a provider that breaks exactly its rule.
Append new faults to the table; keep one rule per fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance import contract
from conformance.provider.behaviour import ALL_ROUTES, Behaviour


@dataclass(frozen=True)
class Fault:
    """One named misbehaviour."""

    name: str
    description: str
    overrides: dict[str, Any] = field(default_factory=dict)


def _table(*faults: Fault) -> dict[str, Fault]:
    return {fault.name: fault for fault in faults}


FAULTS: dict[str, Fault] = _table(
    Fault(
        "unknown-id-500",
        "an unknown video id answers 500 instead of 404 (G1)",
        {"unknown_id_status": 500},
    ),
    Fault(
        "error-no-envelope",
        'errors come as FastAPI {"detail": ...}, not the OpenAI envelope (H1)',
        {"error_style": "detail"},
    ),
    Fault(
        "accept-any-size",
        "create accepts any size string instead of the four contract sizes (D5)",
        {"sizes_accept_any": True},
    ),
    Fault(
        "content-type-octet",
        "the MP4 is served as application/octet-stream (F2)",
        {"content_type_video": "application/octet-stream"},
    ),
    Fault(
        "auth-ignored",
        "no route checks the API key (H3)",
        {"auth_exempt_routes": sorted(ALL_ROUTES)},
    ),
    Fault(
        "status-processing",
        'in_progress is reported as "processing" (A1)',
        {"status_words": {"in_progress": "processing"}},
    ),
)


def apply_faults(behaviour: Behaviour, names: Iterable[str]) -> Behaviour:
    """``behaviour`` with the named faults applied in order; an unknown name is a ValueError."""
    for name in names:
        fault = FAULTS.get(name)
        if fault is None:
            raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(sorted(FAULTS))}")
        behaviour = behaviour.with_overrides(fault.overrides)
    return behaviour


# --- Faults for the core checks of `video-conformance run`: one rule each. -----------------------
# tests/suite/test_faults.py runs the checker against each and asserts the exact failed check ids.
_CONTRACT_SECONDS = list(contract.SECONDS)
_CONTRACT_SIZES = list(contract.SIZES)
FAULTS.update(
    _table(
        Fault(
            "json-create-refused",
            "a JSON create body is refused with 415 (E2)",
            {"create_encodings": ["multipart"]},
        ),
        Fault(
            "multipart-create-refused",
            "a multipart create body is refused with 415 (E1)",
            {"create_encodings": ["json"]},
        ),
        Fault(
            "create-201", "create answers 201 instead of the documented 200", {"create_status": 201}
        ),
        Fault(
            "model-required",
            "a create without model is a 400 (the contract makes model optional)",
            {"model_required": True},
        ),
        Fault(
            "default-seconds-8",
            'an omitted seconds defaults to "8" instead of "4"',
            {"default_seconds": "8"},
        ),
        Fault(
            "size-echo-wrong",
            "the Video reports size 1280x720 whatever was requested (D5)",
            {"size_echo": "1280x720"},
        ),
        Fault(
            "omit-prompt", "the Video never carries the prompt key (D1)", {"omit_keys": ["prompt"]}
        ),
        Fault("created-at-ms", "created_at is in milliseconds (D3)", {"created_at_unit": "ms"}),
        Fault(
            "id-changes-on-retrieve",
            "retrieve answers with another id than create gave (C3)",
            {"id_changes_on_retrieve": True},
        ),
        Fault(
            "id-base64",
            "ids are standard base64 with '/', '+' or '=' (C2)",
            {"id_style": "base64std"},
        ),
        Fault(
            "status-regress",
            "a running job is reported queued again on one poll",
            {"status_regress": True},
        ),
        Fault(
            "progress-fraction",
            "progress is a fraction 0..1 instead of a percent (B3)",
            {"progress_style": "fraction"},
        ),
        Fault(
            "progress-regress",
            "progress goes down once while the job runs",
            {"progress_regress": True},
        ),
        Fault(
            "progress-99-when-completed",
            "a completed job reports progress 99",
            {"progress_at_completion": 99},
        ),
        Fault(
            "completed-at-early",
            "completed_at is set while the job still runs (D2)",
            {"completed_at_early": True},
        ),
        Fault(
            "failed-error-message-only",
            "a failed job's error has a message but no code (D8)",
            {"failed_error_style": "message_only"},
        ),
        Fault(
            "poll-after-not-integer",
            'openai-poll-after-ms is "soon", not an integer',
            {"poll_after_raw": "soon"},
        ),
        Fault(
            "content-corrupt",
            "/content answers bytes that are not an MP4 (F5)",
            {"content_corrupt": True},
        ),
        Fault(
            "content-wrong-duration",
            "every video lasts 2 s whatever seconds asked",
            {"render_seconds": 2.0},
        ),
        Fault(
            "content-wrong-size",
            "every video is rendered at 1280x720 whatever size asked",
            {"render_size": "1280x720"},
        ),
        Fault(
            "content-200-before-ready",
            "/content answers 200 with JSON before completion (F5)",
            {"content_not_ready_200": True},
        ),
        Fault(
            "content-redirect",
            "/content answers 302 to a signed URL instead of the bytes (F3)",
            {"content_redirect": True},
        ),
        Fault(
            "content-redirect-foreign-keyed",
            "/content answers 302 to another origin whose URL still demands the API key (F3)",
            {"content_redirect": True, "content_redirect_foreign_keyed": True},
        ),
        Fault(
            "variant-ignored",
            "variant is ignored: the MP4 for thumbnail and spritesheet (F1)",
            {"variant_ignored": True},
        ),
        Fault(
            "accept-seconds-5",
            'seconds "5" is accepted (D6)',
            {"seconds_allowed": [*_CONTRACT_SECONDS, "5"]},
        ),
        Fault(
            "accept-seconds-10",
            'seconds "10" is accepted (D6)',
            {"seconds_allowed": [*_CONTRACT_SECONDS, "10"]},
        ),
        Fault(
            "accept-seconds-integer",
            "a JSON integer seconds is accepted (D6, E4)",
            {"seconds_accept_integer": True},
        ),
        Fault(
            "accept-seconds-abc",
            'seconds "abc" is accepted',
            {"seconds_allowed": [*_CONTRACT_SECONDS, "abc"]},
        ),
        Fault(
            "accept-size-999",
            'size "999x999" is accepted (D5)',
            {"sizes_allowed": [*_CONTRACT_SIZES, "999x999"]},
        ),
        Fault(
            "accept-size-ratio",
            'size "16:9" is accepted as 1280x720 (D5)',
            {"size_aliases": {"16:9": "1280x720"}},
        ),
        Fault(
            "accept-missing-prompt",
            "a create without prompt is accepted",
            {"prompt_required": False},
        ),
        Fault("accept-empty-prompt", "an empty prompt is accepted", {"prompt_allow_empty": True}),
        Fault(
            "accept-long-prompt",
            "a prompt over 32000 characters is accepted",
            {"prompt_max_chars": None},
        ),
        Fault("accept-unknown-model", "any model string is accepted", {"models_allowed": None}),
        Fault(
            "unknown-model-500",
            "an unknown model is refused with 500 instead of a client error",
            {"unknown_model_status": 500},
        ),
        Fault(
            "error-param-null", "validation errors leave error.param null", {"error_param": False}
        ),
        Fault(
            "rejected-create-bills",
            "a create rejected with 400 still creates a job (E5)",
            {"validation_creates_job": True},
        ),
        Fault(
            "auth-x-api-key-only",
            "only x-api-key authenticates; Bearer is refused (H3)",
            {"auth_styles": ["x-api-key"]},
        ),
    )
)


# --- Faults for the extended checks of `video-conformance run` (list, delete, remix, image to
# video, expiry, sdk): one rule each; tests/suite/test_faults.py asserts the exact failed ids.
FAULTS.update(
    _table(
        Fault(
            "list-no-cursor-fields",
            "the list object lacks first_id, last_id and has_more (G4, SGLang)",
            {"list_cursor_fields": False},
        ),
        Fault(
            "list-lagging",
            "a job shows up in the list only a minute after its creation",
            {"list_delay_s": 60.0},
        ),
        Fault(
            "list-limit-ignored",
            "limit is ignored: every job comes in one page",
            {"list_limit_ignored": True},
        ),
        Fault(
            "list-order-ignored",
            "order is ignored: the list is always newest first",
            {"list_order_ignored": True},
        ),
        Fault(
            "list-route-missing",
            "GET /videos answers 404 although list is declared (G3, new-api)",
            {"routes_disabled": ["list"]},
        ),
        Fault(
            "delete-returns-video",
            'delete answers the Video with status "deleted", not the deleted object (G4, SGLang)',
            {"delete_style": "video_status"},
        ),
        Fault(
            "delete-noop",
            "delete answers success but the video stays retrievable and downloadable",
            {"delete_noop": True},
        ),
        Fault(
            "delete-rejects-sdk",
            "a DELETE with Content-Type: application/json and no body (openai-python) is a 400",
            {"delete_rejects_json_content_type": True},
        ),
        Fault(
            "remix-unlinked",
            "a remix leaves remixed_from_video_id null",
            {"remix_link": False},
        ),
        Fault(
            "remix-jobs-fail",
            "the remix route accepts, but every remix job fails",
            {"remix_jobs_fail": True},
        ),
        Fault(
            "input-reference-refused",
            "a create with an input_reference image file is a 400",
            {"input_reference_supported": False},
        ),
        Fault(
            "expiry-not-enforced",
            "/content keeps serving the video after expires_at",
            {"expiry_enforced": False},
        ),
    )
)

"""The schemathesis configuration of one property session, built from the run's context.

Built in code and passed explicitly, never discovered: an auto-discovered ``schemathesis.toml``
could change what is generated or (through ``[[operations]]``) what is selected, and the vendor
URL and key are chosen at run time (schemathesis notes §2.4).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.schemas import BaseSchema

FREE_POSITIVE_ONLY = ("GetVideo", "DeleteVideo")
"""Their only input is an unconstrained path id: nothing to negate, every value is 'valid'."""
BILLABLE = ("createVideo", "CreateVideoRemix")


def engine_config(
    *, seed: int, max_examples: int, billable_positive: bool, request_timeout_s: float
) -> dict[str, Any]:
    """The config as schemathesis's dashed-key dict."""
    billable_mode = "all" if billable_positive else "negative"
    return {
        "seed": seed,
        "request-timeout": request_timeout_s,
        "generation": {
            # No example database: a stored failure would be replayed first against the next
            # vendor, and nothing may leak between runs (notes §2.9).
            "database": "none",
            "max-examples": max_examples,
            # Failures are recorded, not raised, so there is nothing to shrink; saying so keeps
            # Hypothesis from spending the time bound on it.
            "no-shrink": True,
            # Credentials come from the profile on every request; generated Authorization
            # headers would only replace them with garbage.
            "with-security-parameters": False,
        },
        "phases": {
            # Other-method probes feed only allow_header_conformance/unsupported_method, which
            # report the HTTP framework's Allow header rather than the API (notes §2.2, #3142).
            "coverage": {"unexpected-methods": []},
            # Adaptive generation learns from the vendor's answers, so one seed would send
            # different requests to different vendors; off keeps --seed replays exact.
            "fuzzing": {"error-feedback": {"enabled": False}},
            "stateful": {"enabled": False},
        },
        "operations": [
            {
                "include-operation-id": list(BILLABLE),
                # Invalid bodies have many ways to be invalid (each field, each rule), so these
                # get more fuzzed cases; on a correct vendor they cost nothing.
                "generation": {"mode": billable_mode, "max-examples": 3 * max_examples},
                "phases": {
                    # Examples are valid by construction: they would bill (notes §3).
                    "examples": {"enabled": False},
                    # Coverage ignores max-examples and sends dozens of valid, billable bodies
                    # (notes §3, §4.8); building its cases for the create body alone also took
                    # seconds in 4.32.5 (boundary strings of prompt and image_url), before any
                    # request could be bounded by the time budget.
                    "coverage": {"enabled": False},
                },
            },
            {
                "include-operation-id": list(FREE_POSITIVE_ONLY),
                "generation": {"mode": "positive"},
            },
        ],
    }


def stateful_config(
    *, seed: int, max_steps: int, include_remix: bool, request_timeout_s: float
) -> dict[str, Any]:
    """The config of the stateful schema: positive steps that follow the contract's links."""
    disabled = ["ListVideos"] if include_remix else ["ListVideos", "CreateVideoRemix"]
    return {
        "seed": seed,
        "request-timeout": request_timeout_s,
        "generation": {
            "database": "none",
            "no-shrink": True,
            "with-security-parameters": False,
            # Workflows are about real jobs: a negative create would make nothing to follow,
            # and invalid input is the stateless tests' subject.
            "mode": "positive",
        },
        "phases": {
            "stateful": {
                "enabled": True,
                "max-steps": max_steps,
                # Only the links the contract declares (create -> retrieve, content, delete,
                # remix): inferred links would add transitions no vendor promised.
                "inference": {"algorithms": []},
            },
        },
        # List has no link and would only spend steps; remix bills a second job per scenario.
        "operations": [{"include-operation-id": disabled, "enabled": False}],
    }


def load_schema(
    spec: Path,
    base_url: str,
    config: dict[str, Any],
    parameters: dict[str, Any] | None = None,
) -> BaseSchema:
    """The spec, bound to the vendor's base URL (ends in /v1), with ``config`` applied."""
    schema = schemathesis.openapi.from_path(str(spec), config=schemathesis.Config.from_dict(config))
    schema.config.update(base_url=base_url.rstrip("/"), parameters=parameters)
    return schema

"""The property checks: one stable ``PROP-`` id per operation and check kind.

Each id is reported exactly once per run (``skipped`` with a reason when it could not run), so
baselines and cross-run diffs can rely on the set. Kinds map onto schemathesis's built-in checks
or onto our own checks in ``conformance.fuzz.checks``. ``status_code_conformance`` has no kind:
the contract declares a ``default`` error response on every operation, so that engine check
cannot fail; the status rules that matter are ``UNKNOWN-ID``, ``INVALID-ACCEPTED``,
``SERVER-ERROR`` and ``NEGATIVE-REJECTION``. The ``PROP-STATEFUL-`` checks judge the linked
workflows of ``conformance.fuzz.stateful`` (skipped unless billable generation is opted into).
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.catalog import Check
from conformance.report.results import Level

FEATURE = "properties"


@dataclass(frozen=True)
class Kind:
    """One kind of property check, applied to several operations."""

    suffix: str
    level: Level
    title: str
    reference: str
    why: str


SERVER_ERROR = Kind(
    "SERVER-ERROR",
    "MUST",
    "never answers 5xx to generated requests",
    "api §6, §7",
    "a 5xx reads as an outage and makes the SDK retry, re-sending creates",
)
CONTENT_TYPE = Kind(
    "CONTENT-TYPE",
    "MUST",
    "labels responses with a media type the contract declares",
    "api §2, §3.3",
    "clients parse the body by its Content-Type",
)
RESPONSE_SCHEMA = Kind(
    "RESPONSE-SCHEMA",
    "MUST",
    "answers bodies that match the contract schemas",
    "api §3",
    "strict and generated clients fail on bodies outside the schema",
)
RESPONSE_HEADERS = Kind(
    "RESPONSE-HEADERS",
    "MUST",
    "sends declared headers with valid values",
    "api §5.3, §5.4",
    "the SDK parses openai-poll-after-ms and Retry-After with int()",
)
# RESPONSE-HEADERS only where a 2xx declares a header (retrieve: openai-poll-after-ms); elsewhere
# only a 429 declares one, which generated traffic is not expected to provoke.
NEGATIVE_REJECTION = Kind(
    "NEGATIVE-REJECTION",
    "MUST",
    "rejects generated invalid input with a 4xx",
    "api §2, §6",
    "invalid input silently accepted does something the client did not ask for",
)
IGNORED_AUTH = Kind(
    "IGNORED-AUTH",
    "MUST",
    "refuses a request without a key or with a wrong key",
    "api §1, §6",
    "an unchecked key is no key",
)
ERROR_ENVELOPE = Kind(
    "ERROR-ENVELOPE",
    "MUST",
    "answers every error with the {error: {...}} envelope",
    "api §3.3, dev H1, H2",
    "e.code, e.type and e.param come back None or garbage in the SDK",
)
UNKNOWN_ID = Kind(
    "UNKNOWN-ID",
    "MUST",
    "never answers 2xx for a generated (unknown) video id",
    "api §7, dev G1",
    "the SDK maps 404 to NotFoundError; a 2xx invents a job (a remix bills one)",
)
INVALID_ACCEPTED = Kind(
    "INVALID-ACCEPTED",
    "MUST",
    "starts no job for generated invalid input",
    "api §2.1, §6, dev E5",
    "an invalid create that is accepted bills a job the client did not mean",
)
CONTENT_BYTES = Kind(
    "CONTENT-BYTES",
    "MUST",
    "serves bytes that match the Content-Type they are labelled with",
    "api §2.3, dev F1, F2, F5",
    "players and image decoders fail on mislabelled bytes",
)

# Operation id -> (id token, kinds checked on it). Billable operations get no IGNORED-AUTH: the
# probe re-sends the request without a key, which a vendor ignoring auth would bill.
OPERATION_KINDS: dict[str, tuple[str, tuple[Kind, ...]]] = {
    "createVideo": (
        "CREATEVIDEO",
        (
            SERVER_ERROR,
            CONTENT_TYPE,
            RESPONSE_SCHEMA,
            NEGATIVE_REJECTION,
            ERROR_ENVELOPE,
            INVALID_ACCEPTED,
        ),
    ),
    "ListVideos": (
        "LISTVIDEOS",
        (
            SERVER_ERROR,
            CONTENT_TYPE,
            RESPONSE_SCHEMA,
            NEGATIVE_REJECTION,
            IGNORED_AUTH,
            ERROR_ENVELOPE,
        ),
    ),
    "GetVideo": (
        "GETVIDEO",
        (
            SERVER_ERROR,
            CONTENT_TYPE,
            RESPONSE_SCHEMA,
            RESPONSE_HEADERS,
            IGNORED_AUTH,
            ERROR_ENVELOPE,
            UNKNOWN_ID,
        ),
    ),
    "DeleteVideo": (
        "DELETEVIDEO",
        (SERVER_ERROR, CONTENT_TYPE, RESPONSE_SCHEMA, ERROR_ENVELOPE, UNKNOWN_ID),
    ),
    "RetrieveVideoContent": (
        "RETRIEVEVIDEOCONTENT",
        (
            SERVER_ERROR,
            CONTENT_TYPE,
            NEGATIVE_REJECTION,
            IGNORED_AUTH,
            ERROR_ENVELOPE,
            UNKNOWN_ID,
            CONTENT_BYTES,
        ),
    ),
    "CreateVideoRemix": (
        "CREATEVIDEOREMIX",
        (
            SERVER_ERROR,
            CONTENT_TYPE,
            RESPONSE_SCHEMA,
            NEGATIVE_REJECTION,
            ERROR_ENVELOPE,
            UNKNOWN_ID,
        ),
    ),
}

OPERATION_LABELS: dict[str, str] = {
    "createVideo": "POST /videos",
    "ListVideos": "GET /videos",
    "GetVideo": "GET /videos/{video_id}",
    "DeleteVideo": "DELETE /videos/{video_id}",
    "RetrieveVideoContent": "GET /videos/{video_id}/content",
    "CreateVideoRemix": "POST /videos/{video_id}/remix",
}

BILLABLE_OPERATIONS = frozenset({"createVideo", "CreateVideoRemix"})

# --- Stateful runs: the state machine that follows the contract's links from a created job. --
STATEFUL = "stateful"
"""Pseudo operation id of the stateful checks (they judge sequences, not one operation)."""
USE_AFTER_FREE = Kind(
    "USE-AFTER-FREE",
    "MUST",
    "a job deleted in a linked workflow answers 404, not 2xx, to retrieve and content",
    "api §2, dev G4",
    "deleted videos stay retrievable and downloadable",
)
RESOURCE_AVAILABILITY = Kind(
    "RESOURCE-AVAILABILITY",
    "MUST",
    "a job created in a linked workflow is found by its id right away (retrieve, delete, remix)",
    "api §2, §5.3",
    "the SDK's create_and_poll retrieves right after create; a 404 there ends the client's flow",
)
STATEFUL_SERVER_ERROR = Kind(
    SERVER_ERROR.suffix,
    SERVER_ERROR.level,
    "linked workflows (create → retrieve → content → delete) never get a 5xx",
    SERVER_ERROR.reference,
    SERVER_ERROR.why,
)
STATEFUL_RESPONSE_SCHEMA = Kind(
    RESPONSE_SCHEMA.suffix,
    RESPONSE_SCHEMA.level,
    "linked workflows get bodies that match the contract schemas (real jobs, not unknown ids)",
    RESPONSE_SCHEMA.reference,
    RESPONSE_SCHEMA.why,
)
STATEFUL_KINDS: tuple[Kind, ...] = (
    STATEFUL_SERVER_ERROR,
    STATEFUL_RESPONSE_SCHEMA,
    USE_AFTER_FREE,
    RESOURCE_AVAILABILITY,
)
"""The checks the engine runs on stateful steps; each kind its own id (no per-operation split:
a finding is about the sequence that led to the response)."""


def check_id(operation_id: str, kind: Kind) -> str:
    """The stable id of ``kind`` on ``operation_id``, e.g. ``PROP-GETVIDEO-SERVER-ERROR``."""
    if operation_id == STATEFUL:
        return f"PROP-STATEFUL-{kind.suffix}"
    return f"PROP-{OPERATION_KINDS[operation_id][0]}-{kind.suffix}"


def _build() -> tuple[dict[str, Check], dict[str, str]]:
    checks: dict[str, Check] = {}
    operations: dict[str, str] = {}
    for operation_id, (_, kinds) in OPERATION_KINDS.items():
        label = OPERATION_LABELS[operation_id]
        for kind in kinds:
            cid = check_id(operation_id, kind)
            checks[cid] = Check(
                cid, f"{label} {kind.title}", kind.level, FEATURE, kind.reference, kind.why
            )
            operations[cid] = operation_id
    for kind in STATEFUL_KINDS:
        cid = check_id(STATEFUL, kind)
        title = kind.title[0].upper() + kind.title[1:]
        checks[cid] = Check(cid, title, kind.level, FEATURE, kind.reference, kind.why)
        operations[cid] = STATEFUL
    return checks, operations


PROPERTY_CHECKS, CHECK_OPERATIONS = _build()
"""Every property check, by id, in a stable order (operation, then kind; stateful last), and
the operation id (or ``STATEFUL``) each one belongs to."""
STATEFUL_CHECKS: tuple[str, ...] = tuple(check_id(STATEFUL, kind) for kind in STATEFUL_KINDS)

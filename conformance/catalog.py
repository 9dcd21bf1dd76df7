"""The check catalogue: every check's stable id, title, level, feature and the fact behind it.

Ids never change meaning (baselines and cross-run diffs depend on that); a check whose meaning
changes gets a new id and ``SUITE_VERSION`` is bumped. References point into the facts the
suite is derived from: ``api §N`` is the normative API description (openai-videos-api.md),
``dev XN`` a row of the real-world deviation catalogue (real-world-deviations.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from conformance.report.results import CheckResult, Level, Outcome

if TYPE_CHECKING:
    import pytest

CORE_FEATURES = ("create", "object", "lifecycle", "content", "validation", "errors", "auth")
EXTENDED_FEATURES = (
    "list",
    "delete",
    "remix",
    "image_to_video",
    "variants",
    "expiry",
    "extensions",
    "sdk",
    "properties",
)
FEATURES = CORE_FEATURES + EXTENDED_FEATURES
DECLARABLE_FEATURES = ("list", "delete", "remix", "image_to_video", "variants")
"""Extended features a profile claims; unclaimed ones are reported ``unsupported``."""


@dataclass(frozen=True)
class Check:
    """One rule of the contract, checked against a provider."""

    id: str
    title: str
    level: Level
    feature: str
    reference: str
    why: str
    """What breaks for a client when this rule is broken."""
    jobs: tuple[str, ...] = ()
    """The job pool purposes the check judges (``jobs.PURPOSES``): ``plan_jobs`` creates the
    union of the selected checks' jobs (a ``remix`` needs its source, ``main``)."""
    faults: tuple[str, ...] = ()
    """The reference provider's fault switches (``provider/faults.py``) that make this check
    fail; the fault matrix (``tests/suite/test_faults.py``) asserts each switch fails exactly
    the checks that name it, and no other."""

    @property
    def core(self) -> bool:
        return self.feature in CORE_FEATURES

    def result(self, outcome: Outcome, message: str, **extra: Any) -> CheckResult:
        """A result of this check; ``extra`` fills the rest (evidence, details, kind, ...)."""
        return CheckResult(
            id=self.id,
            title=self.title,
            level=self.level,
            feature=self.feature,
            outcome=outcome,
            message=message,
            reference=self.reference,
            core=self.core,
            **extra,
        )


def _c(
    id: str,
    level: Level,
    feature: str,
    title: str,
    reference: str,
    why: str,
    *,
    jobs: tuple[str, ...] = (),
    faults: tuple[str, ...] = (),
) -> Check:
    return Check(id, title, level, feature, reference, why, jobs, faults)


_CHECKS: tuple[Check, ...] = (
    # --- create ---------------------------------------------------------------------------
    _c(
        "VID-CREATE-001",
        "SHOULD",
        "create",
        "A JSON create request is accepted, whatever encodings the vendor documents",
        "api §2, §5.2, §9.1, dev E2",
        "curl users, openai-python before 2.27 and openai-node before 6.28 send JSON; "
        "a vendor documenting multipart only is probed with JSON too",
        jobs=("main",),
        faults=("json-create-refused",),
    ),
    _c(
        "VID-CREATE-002",
        "MUST",
        "create",
        "A multipart create request without a file is accepted",
        "api §5.2",
        "openai-python 2.27+ always sends multipart, even with no file (dev E1, E3)",
        jobs=("sdk",),
        faults=("multipart-create-refused",),
    ),
    _c(
        "VID-CREATE-003",
        "SHOULD",
        "create",
        "Create answers 200, as documented",
        "api §1",
        "the contract documents 200 for creation; the SDK accepts any 2xx, "
        "hand-written clients may not",
        jobs=("main",),
        faults=("create-201",),
    ),
    _c(
        "VID-CREATE-004",
        "MUST",
        "create",
        'Omitted seconds and size default to "4" and "720x1280"',
        "api §2.1",
        "clients that omit optional fields expect the documented defaults and are billed by them",
        jobs=("sdk",),
        faults=("default-seconds-8", "size-echo-wrong"),
    ),
    _c(
        "VID-CREATE-005",
        "MUST",
        "create",
        "The job echoes the requested model, size and seconds",
        "api §3.1",
        "a job that renders something else than asked breaks size pickers and billing (dev D5)",
        jobs=("main",),
        faults=("size-echo-wrong",),
    ),
    _c(
        "VID-CREATE-006",
        "MUST",
        "create",
        "A create without model is accepted",
        "api §2.1",
        "model is optional (default sora-2): callers who omit it get a 400 instead of a video",
        jobs=("sdk",),
        faults=("model-required",),
    ),
    # --- object ---------------------------------------------------------------------------
    _c(
        "VID-OBJ-001",
        "MUST",
        "object",
        "Every Video object matches the contract schema",
        "api §3.1",
        "strict and generated clients fail on missing keys, wrong types and out-of-enum values "
        "(dev D1-D5)",
        jobs=("main",),
        faults=(
            "accept-any-size",
            "accept-size-999",
            "accept-size-ratio",
            "failed-error-message-only",
            "omit-prompt",
            "progress-fraction",
            "status-processing",
        ),
    ),
    _c(
        "VID-OBJ-002",
        "MUST",
        "object",
        "created_at is a plausible Unix time in seconds",
        "api §3.1",
        "milliseconds, 0 or ISO strings break sorting and expiry maths (dev D3)",
        jobs=("main",),
        faults=("created-at-ms",),
    ),
    _c(
        "VID-OBJ-003",
        "MUST",
        "object",
        "The id is the same on create, retrieve and list",
        "api §3.1",
        "using the polled id for /content fails when it changes (dev C3)",
        jobs=("main",),
        faults=("id-changes-on-retrieve",),
    ),
    _c(
        "VID-OBJ-004",
        "SHOULD",
        "object",
        "The id is URL-safe",
        "dev C2",
        "the SDK sends '/' as %2F and '+', '=' raw; proxies then answer 404",
        jobs=("main",),
        faults=("id-base64",),
    ),
    # --- lifecycle ------------------------------------------------------------------------
    _c(
        "VID-LIFE-001",
        "MUST",
        "lifecycle",
        "status is always queued, in_progress, completed or failed",
        "api §3.1, §5.3",
        "openai-python's create_and_poll returns early, without error, on any other word "
        "(dev A1-A6)",
        jobs=("main", "failing"),
        faults=("status-processing",),
    ),
    _c(
        "VID-LIFE-002",
        "MUST",
        "lifecycle",
        "status only moves forward",
        "api §4",
        "pollers treat a terminal status as final; going back confuses every state machine",
        jobs=("main", "failing"),
        faults=("status-regress",),
    ),
    _c(
        "VID-LIFE-003",
        "MUST",
        "lifecycle",
        "progress is an integer from 0 to 100",
        "api §3.1",
        "0.45 shows as 0 %, '45%' gives NaN, typed decoders fail (dev B1-B3)",
        jobs=("main", "failing"),
        faults=("progress-fraction",),
    ),
    _c(
        "VID-LIFE-004",
        "SHOULD",
        "lifecycle",
        "progress never decreases",
        "dev B4",
        "progress bars jump backwards",
        jobs=("main", "failing"),
        faults=("progress-regress",),
    ),
    _c(
        "VID-LIFE-005",
        "SHOULD",
        "lifecycle",
        "progress is 100 once the job is completed",
        "api §3.1",
        "clients keyed on progress never see the job finish",
        jobs=("main", "failing"),
        faults=("progress-99-when-completed", "progress-fraction"),
    ),
    _c(
        "VID-LIFE-006",
        "MUST",
        "lifecycle",
        "completed_at is null until the job is terminal and set once it completes",
        "api §3.1",
        "clients keyed on completed_at stop polling early (dev D2)",
        jobs=("main", "failing"),
        faults=("completed-at-early",),
    ),
    _c(
        "VID-LIFE-007",
        "MUST",
        "lifecycle",
        "A failed job carries error {code, message} as strings",
        "api §3.1, §3.2, §4",
        "clients branching on error.code get None or a type error (dev D8)",
        jobs=("main", "failing"),
        faults=("failed-error-message-only",),
    ),
    _c(
        "VID-LIFE-008",
        "MUST",
        "lifecycle",
        "Every job reaches a terminal status within the job timeout",
        "api §4",
        "a poll that never ends hangs the client (dev A9, A10)",
        jobs=("main", "failing"),
    ),
    _c(
        "VID-LIFE-009",
        "MUST",
        "lifecycle",
        "openai-poll-after-ms, when sent, is an integer number of milliseconds",
        "api §5.3",
        "the SDK parses it with int(); any other value raises inside poll()",
        jobs=("main", "failing"),
        faults=("poll-after-not-integer",),
    ),
    # --- content --------------------------------------------------------------------------
    _c(
        "VID-CONTENT-001",
        "MUST",
        "content",
        "After completion, /content answers 200 with Content-Type video/mp4",
        "api §2.3",
        "content-type checks and players fail on octet-stream labels (dev F1, F2)",
        jobs=("main",),
        faults=("content-redirect-foreign-keyed", "content-type-octet"),
    ),
    _c(
        "VID-CONTENT-002",
        "MUST",
        "content",
        "The downloaded bytes are a decodable MP4",
        "api §2.3, §4",
        "a JSON error or a broken file saved as .mp4 (dev F5)",
        jobs=("main",),
        faults=("content-corrupt",),
    ),
    _c(
        "VID-CONTENT-003",
        "MUST",
        "content",
        "The video lasts the requested seconds",
        "api §2.1",
        "the customer pays per second for what was asked",
        jobs=("main",),
        faults=("content-wrong-duration",),
    ),
    _c(
        "VID-CONTENT-004",
        "MUST",
        "content",
        "The video resolution equals the job's size",
        "api §2.1, §3.1",
        "layouts built for the requested size break",
        jobs=("main",),
        faults=("content-wrong-size",),
    ),
    _c(
        "VID-CONTENT-005",
        "MUST",
        "content",
        "Before completion, /content answers 4xx, never 200",
        "api §7, dev F4, F5",
        "download_content never checks status: a 200 JSON body is saved as media",
        jobs=("main",),
        faults=("content-200-before-ready",),
    ),
    _c(
        "VID-CONTENT-006",
        "SHOULD",
        "content",
        "/content serves the bytes, or redirects to a URL that serves them without the API key",
        "api §2.3, §5.8, dev F3",
        "the SDK follows redirects and drops Authorization across origins: a target that needs "
        "the key fails every download; a working redirect is reported as a note",
        jobs=("main",),
        faults=("content-redirect-foreign-keyed",),
    ),
    _c(
        "VID-CONTENT-007",
        "MUST",
        "variants",
        "variant=thumbnail answers a WebP image labelled image/webp",
        "api §2.3, §4",
        "thumbnail consumers get an MP4 when variant is ignored (dev F1)",
        jobs=("main",),
        faults=("content-redirect-foreign-keyed", "variant-ignored"),
    ),
    _c(
        "VID-CONTENT-008",
        "MUST",
        "variants",
        "variant=spritesheet answers a JPEG or WebP image labelled with its own type",
        "api §2.3, §4, §9.5",
        "spritesheet consumers get the wrong bytes (dev F1); the guide says JPEG, the spec "
        "declares only image/webp, so either is accepted (WebP as a note)",
        jobs=("main",),
        faults=("content-redirect-foreign-keyed", "variant-ignored"),
    ),
    # --- validation -----------------------------------------------------------------------
    _c(
        "VID-VAL-001",
        "MUST",
        "validation",
        'seconds "5" is rejected with 400 (or 422)',
        "api §2.1, §6, dev D6",
        "an unsupported duration silently accepted bills a job the client did not mean",
        faults=("accept-seconds-5",),
    ),
    _c(
        "VID-VAL-002",
        "MUST",
        "validation",
        'seconds "10" is rejected with 400 (or 422)',
        "api §2.1, §6, dev D6",
        "an unsupported duration silently accepted bills a job the client did not mean",
        faults=("accept-seconds-10",),
    ),
    _c(
        "VID-VAL-003",
        "MUST",
        "validation",
        "seconds as the JSON integer 4 is rejected with 400 (or 422)",
        "api §2.1, dev D6, E4",
        "a client sending an integer works on one peer and fails on the next",
        faults=("accept-seconds-integer",),
    ),
    _c(
        "VID-VAL-004",
        "MUST",
        "validation",
        'seconds "abc" is rejected with 400 (or 422)',
        "api §2.1",
        "garbage input must never start a billed job",
        faults=("accept-seconds-abc",),
    ),
    _c(
        "VID-VAL-005",
        "MUST",
        "validation",
        'size "999x999" is rejected with 400 (or 422)',
        "api §2.1, dev D5",
        "an unsupported size silently accepted renders something else than asked",
        faults=("accept-any-size", "accept-size-999"),
    ),
    _c(
        "VID-VAL-006",
        "MUST",
        "validation",
        'size "16:9" is rejected with 400 (or 422)',
        "api §2.1, dev D5",
        "ratio sizes are not in the contract's enum",
        faults=("accept-any-size", "accept-size-ratio"),
    ),
    _c(
        "VID-VAL-007",
        "MUST",
        "validation",
        "A create without prompt is rejected with 400 (or 422)",
        "api §2.1",
        "prompt is required",
        faults=("accept-missing-prompt",),
    ),
    _c(
        "VID-VAL-008",
        "MUST",
        "validation",
        "An empty prompt is rejected with 400 (or 422)",
        "api §2.1",
        "prompt has at least 1 character",
        faults=("accept-empty-prompt",),
    ),
    _c(
        "VID-VAL-009",
        "MUST",
        "validation",
        "A prompt over 32000 characters is rejected with 400 (or 422)",
        "api §2.1",
        "prompt has at most 32000 characters",
        faults=("accept-long-prompt",),
    ),
    _c(
        "VID-VAL-010",
        "SHOULD",
        "validation",
        "An unknown model is refused with 400, 404 or 422, or accepted (a note)",
        "api §2.1, §9.6",
        "model is an open string: accepting an unknown name is legal (a note, since a typo "
        "then starts a job), but a refusal must be a client error, not a 5xx",
        faults=("unknown-model-500",),
    ),
    _c(
        "VID-VAL-011",
        "SHOULD",
        "validation",
        "Rejections name the offending field in error.param",
        "api §3.3, §6",
        "clients show the user which field to fix",
        faults=("error-no-envelope", "error-param-null"),
    ),
    _c(
        "VID-VAL-012",
        "MUST",
        "validation",
        "A rejected create creates no job",
        "api §6, dev E5",
        "a 400 that still starts a generation bills the customer for an error",
        faults=("rejected-create-bills",),
    ),
    # --- errors ---------------------------------------------------------------------------
    _c(
        "VID-ERR-001",
        "MUST",
        "errors",
        "Retrieve of an unknown id answers 404",
        "api §7, dev G1",
        "the SDK maps 404 to NotFoundError; a 500 reads as an outage",
        faults=("unknown-id-500",),
    ),
    _c(
        "VID-ERR-002",
        "MUST",
        "errors",
        "/content of an unknown id answers 404",
        "api §7, dev G1",
        "the SDK maps 404 to NotFoundError; a 500 reads as an outage",
        faults=("unknown-id-500",),
    ),
    _c(
        "VID-ERR-003",
        "MUST",
        "delete",
        "Delete of an unknown id answers 404",
        "api §7, dev G1",
        "the SDK maps 404 to NotFoundError",
        faults=("unknown-id-500",),
    ),
    _c(
        "VID-ERR-004",
        "MUST",
        "remix",
        "Remix of an unknown id answers 404",
        "api §7, dev G1",
        "the SDK maps 404 to NotFoundError; accepting it would bill a job",
        faults=("unknown-id-500",),
    ),
    _c(
        "VID-ERR-005",
        "MUST",
        "errors",
        "Every error response carries the {error: {message, type, param, code}} envelope",
        "api §3.3, dev H1, H2",
        "e.code, e.type and e.param come back None or garbage in the SDK",
        faults=("error-no-envelope",),
    ),
    # --- auth -----------------------------------------------------------------------------
    _c(
        "VID-AUTH-001",
        "MUST",
        "auth",
        "A request without a key answers 401 on every route",
        "api §1, §6, dev H3",
        "an open route leaks videos or bills nobody's account",
        jobs=("main",),
        faults=("auth-ignored", "list-route-missing"),
    ),
    _c(
        "VID-AUTH-002",
        "MUST",
        "auth",
        "A request with a wrong key answers 401 on every route",
        "api §1, §6",
        "an unchecked key is no key",
        jobs=("main",),
        faults=("auth-ignored", "list-route-missing"),
    ),
    _c(
        "VID-AUTH-003",
        "MUST",
        "auth",
        "Authorization (Bearer) alone is accepted",
        "api §1, §5.2",
        "the SDK sends only Authorization: Bearer (dev H3)",
        jobs=("main",),
        faults=("auth-x-api-key-only",),
    ),
    # --- list -----------------------------------------------------------------------------
    _c(
        "VID-LIST-001",
        "MUST",
        "list",
        "The list object has object, data, first_id, last_id and has_more",
        "api §3.2, dev G4",
        "the SDK's cursor page reads has_more and last_id; loops break without them",
        jobs=("main",),
        faults=("list-no-cursor-fields", "list-route-missing"),
    ),
    _c(
        "VID-LIST-002",
        "MUST",
        "list",
        "A created job appears in the list",
        "api §2.2",
        "a list that misses jobs hides work from dashboards",
        jobs=("main",),
        faults=("list-lagging", "list-route-missing"),
    ),
    _c(
        "VID-LIST-003",
        "MUST",
        "list",
        "limit and after page through the list without gaps or repeats",
        "api §2.2, §5.7",
        "cursor pagination loops forever or skips jobs",
        jobs=("main",),
        faults=("list-limit-ignored", "list-no-cursor-fields", "list-route-missing"),
    ),
    _c(
        "VID-LIST-004",
        "MUST",
        "list",
        "order=asc and order=desc sort by created_at",
        "api §2.2",
        "clients showing newest first get the oldest",
        jobs=("main",),
        faults=("list-order-ignored", "list-route-missing"),
    ),
    # --- delete ---------------------------------------------------------------------------
    _c(
        "VID-DEL-001",
        "MUST",
        "delete",
        'Delete answers {id, object: "video.deleted", deleted: true}',
        "api §3.2, dev G4",
        "deleted reads None in the SDK",
        jobs=("main", "sdk"),
        faults=("delete-returns-video",),
    ),
    _c(
        "VID-DEL-002",
        "MUST",
        "delete",
        "After delete, retrieve and /content answer 404",
        "api §2, dev G4",
        "deleted videos stay downloadable",
        jobs=("main", "sdk"),
        faults=("delete-noop", "unknown-id-500"),
    ),
    # --- remix ----------------------------------------------------------------------------
    _c(
        "VID-REMIX-001",
        "MUST",
        "remix",
        "Remix returns a Video whose remixed_from_video_id is the source",
        "api §2.4, §3.1",
        "the link between source and remix is lost",
        jobs=("main", "remix"),
        faults=("remix-unlinked",),
    ),
    _c(
        "VID-REMIX-002",
        "MUST",
        "remix",
        "A remix job completes and serves an MP4",
        "api §2.4",
        "a remix that never finishes bills for nothing",
        jobs=("main", "remix"),
        faults=("content-corrupt", "content-redirect-foreign-keyed", "remix-jobs-fail"),
    ),
    # --- image to video -------------------------------------------------------------------
    _c(
        "VID-I2V-001",
        "MUST",
        "image_to_video",
        "A create with an input_reference image file completes",
        "api §2.1, §5.2",
        "image-to-video through the SDK sends the image as a file part",
        jobs=("image",),
        faults=(
            "content-corrupt",
            "content-redirect-foreign-keyed",
            "input-reference-refused",
            "multipart-create-refused",
        ),
    ),
    # --- expiry ---------------------------------------------------------------------------
    _c(
        "VID-EXP-001",
        "SHOULD",
        "expiry",
        "After expires_at, /content answers 404",
        "api §4, §7",
        "expires_at is the authoritative retention signal",
        jobs=("main",),
        faults=("expiry-not-enforced",),
    ),
    # --- extensions -----------------------------------------------------------------------
    _c(
        "VID-EXT-001",
        "MAY",
        "extensions",
        "Declared extra durations are accepted and honoured",
        "profile [extensions]",
        "a documented extension that does not work misleads integrators",
        jobs=("extension_seconds",),
    ),
    _c(
        "VID-EXT-002",
        "MAY",
        "extensions",
        "Declared extra sizes are accepted",
        "profile [extensions]",
        "a documented extension that does not work misleads integrators",
        jobs=("extension_size",),
    ),
    # --- sdk ------------------------------------------------------------------------------
    _c(
        "VID-SDK-001",
        "MUST",
        "sdk",
        "openai-python drives create_and_poll to completed and downloads the MP4",
        "api §5",
        "the SDK drop-in promise: existing code works by changing base_url",
        jobs=("sdk",),
        faults=(
            "content-corrupt",
            "content-redirect-foreign-keyed",
            "id-changes-on-retrieve",
            "multipart-create-refused",
            "poll-after-not-integer",
            "status-processing",
        ),
    ),
    _c(
        "VID-SDK-002",
        "MUST",
        "sdk",
        "Every response parses under the SDK's strict response validation",
        "api §5.6",
        "typed clients and _strict_response_validation=True reject the response",
        faults=(
            "accept-any-size",
            "accept-size-999",
            "accept-size-ratio",
            "delete-returns-video",
            "failed-error-message-only",
            "progress-fraction",
            "status-processing",
        ),
    ),
    _c(
        "VID-SDK-003",
        "SHOULD",
        "sdk",
        "openai-python's list, remix and delete work for the declared features",
        "api §5.1, §5.7",
        "SDK calls beyond the core lifecycle fail",
        jobs=("sdk", "remix"),
        faults=(
            "delete-rejects-sdk",
            "delete-returns-video",
            "json-create-refused",
            "list-lagging",
            "list-route-missing",
            "remix-unlinked",
        ),
    ),
    _c(
        "VID-SDK-004",
        "SHOULD",
        "sdk",
        "openai-node drives create, poll, downloadContent, list, delete and remix",
        "api §5, dev E2",
        "the Node SDK drop-in promise: the npm package openai works by changing baseURL",
        jobs=(),  # openai-node makes its own job (its session, started with the pool)
    ),
)

CHECKS: dict[str, Check] = {c.id: c for c in _CHECKS}


def fingerprint(checks: Iterable[Check]) -> str:
    """A hash of every check's whole declaration (id, wording, level, feature, reference, jobs,
    faults): any change to the catalogue changes it, so a test can insist that such a change
    comes with a new ``SUITE_VERSION`` (``tests/catalog.fingerprint``)."""
    declared = [asdict(c) for c in sorted(checks, key=lambda c: c.id)]
    canonical = json.dumps(declared, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def get(check_id: str) -> Check:
    """The catalogue entry for ``check_id``; ``KeyError`` for an unknown id."""
    return CHECKS[check_id]


def check(check_id: str) -> pytest.MarkDecorator:
    """Mark a pytest function as the implementation of catalogue check ``check_id``.

    Use it as a decorator, or as ``marks=`` of a ``pytest.param``.
    """
    # pytest is imported here, by the suite's modules, not by every importer of the catalogue:
    # a run imports the catalogue at start-up, and its first job waits for that.
    import pytest

    entry = CHECKS[check_id]  # KeyError at import time for a typo: fail loudly, early
    return pytest.mark.conformance_check(entry.id)


def select(only: list[str] | None, skip: list[str] | None) -> set[str]:
    """Check ids selected by ``--only``/``--skip`` (each a check id, id prefix or feature name)."""

    def matches(c: Check, pattern: str) -> bool:
        return c.id == pattern or c.feature == pattern or c.id.startswith(pattern)

    chosen = {c.id for c in _CHECKS if not only or any(matches(c, p) for p in only)}
    if skip:
        chosen -= {c.id for c in _CHECKS if any(matches(c, p) for p in skip)}
    return chosen

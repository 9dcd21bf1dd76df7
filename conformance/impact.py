"""Which clients a failed check breaks, and the per-client verdict: "will my code work?".

A vendor that omits nullable keys breaks strictly typed clients only; one whose status words end
``create_and_poll`` early breaks everyone. Integrators choose by the client they run, so every
check id maps to the client classes its failure breaks, with one line of what the user sees.
The classes and lines come from the official SDKs' behaviour (openai-videos-api.md §5 for
openai-python; the ``openai`` npm package's sources for openai-node) and the deviation rows
behind each check; never from how the bundled reference provider behaves.

A client ``works`` when the checks that drive it end to end passed and no check whose failure
breaks it failed; it ``breaks`` when such a check failed (a failed violation at any level); it
is ``not judged`` when nothing broke it but a deciding check did not pass (not run, skipped,
unsupported or errored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from conformance.fuzz import catalog as fuzz_catalog
from conformance.report.results import LEVELS, CheckResult

if TYPE_CHECKING:  # the report model embeds this module's verdicts: no import at run time
    from conformance.report.model import Report

ClientVerdict = Literal["works", "breaks", "not judged"]
CUT_SHORT = "run cut short"


@dataclass(frozen=True)
class ClientClass:
    """One kind of client an integrator runs."""

    name: str
    label: str
    description: str
    deciding: tuple[str, ...]
    """Check ids that exercise this client end to end: all must pass for ``works``."""


PY = "openai-python"
STRICT = "openai-python-strict"
NODE = "openai-node"
TYPED = "typed"
HTTP = "http"

CLIENTS: tuple[ClientClass, ...] = (
    ClientClass(
        PY,
        "openai-python",
        "the official Python SDK, default (lax) client: no response validation, missing keys "
        "come back as null attributes; create is always multipart; create_and_poll honours "
        "openai-poll-after-ms",
        ("VID-SDK-001",),
    ),
    ClientClass(
        STRICT,
        "openai-python (strict)",
        "openai-python with _strict_response_validation=True: rejects out-of-enum status and "
        "size, integer seconds, a wrong object, a missing progress",
        ("VID-SDK-001", "VID-SDK-002"),
    ),
    ClientClass(
        NODE,
        "openai-node",
        "the official npm package openai: create is always multipart, no response validation, "
        "a body not labelled application/json comes back as a string; no video poll helper, "
        "so callers loop on retrieve while the status is queued or in_progress",
        ("VID-SDK-004",),
    ),
    ClientClass(
        TYPED,
        "typed (generated)",
        "clients generated from the spec (Go, Java, Rust style): required keys, closed enums, "
        "integer types, the declared media types and status codes",
        ("VID-OBJ-001", "VID-LIFE-001", "VID-LIFE-003", "VID-ERR-005"),
    ),
    ClientClass(
        HTTP,
        "plain HTTP (curl)",
        "curl or a hand-written HTTP client: JSON bodies, status codes, Content-Type, reading "
        "error.code; no redirect following unless asked",
        ("VID-CREATE-001", "VID-CONTENT-001", "VID-CONTENT-002", "VID-ERR-005"),
    ),
)
CLIENT_NAMES: tuple[str, ...] = tuple(c.name for c in CLIENTS)
BY_NAME: dict[str, ClientClass] = {c.name: c for c in CLIENTS}

ALL = frozenset(CLIENT_NAMES)
SDKS = frozenset({PY, STRICT, NODE})
PYTHON = frozenset({PY, STRICT})
SCHEMA_BOUND = frozenset({STRICT, TYPED})
"""Clients that validate or decode responses against the schema."""
NONE: frozenset[str] = frozenset()
"""No client call fails (e.g. an open route): a security or retention problem, not a break."""


@dataclass(frozen=True)
class Impact:
    """The clients a failure of one check breaks, and what their users see."""

    breaks: frozenset[str]
    sees: str


def _i(clients: frozenset[str], sees: str) -> Impact:
    return Impact(clients, sees)


_INVALID_ACCEPTED = (
    "an invalid create is accepted instead of a 400: a job the caller did not mean starts and bills"
)
_NOT_FOUND = (
    "an unknown id does not raise NotFoundError / answer 404: a 5xx reads as an outage "
    "(and the SDKs retry it), a 2xx invents a job"
)

HAND_WRITTEN: dict[str, Impact] = {
    "VID-CREATE-001": _i(
        frozenset({HTTP, TYPED}),
        "curl -d '{json}' and generated clients sending JSON get a 4xx: no video can be created",
    ),
    "VID-CREATE-002": _i(
        SDKS,
        "videos.create raises (400/415): openai-python 2.27+ and openai-node 6.28+ always send "
        "multipart",
    ),
    "VID-CREATE-003": _i(
        frozenset({HTTP, TYPED}),
        "code checking for the documented 200 treats the successful create as an error",
    ),
    "VID-CREATE-004": _i(
        ALL, "a create without seconds or size renders and bills another length or size"
    ),
    "VID-CREATE-005": _i(ALL, "the job renders another model, size or length than requested"),
    "VID-CREATE-006": _i(ALL, "a create without model fails with a 4xx instead of using sora-2"),
    "VID-OBJ-001": _i(
        SCHEMA_BOUND,
        "APIResponseValidationError / decode error on the Video (missing key, wrong type, "
        "out-of-enum value)",
    ),
    "VID-OBJ-002": _i(
        ALL,
        "created_at in ms, 0 or a string: dates and expiry maths are wrong, typed decoders fail",
    ),
    "VID-OBJ-003": _i(
        ALL, "the id from create is not the id served later: retrieve or download 404"
    ),
    "VID-OBJ-004": _i(
        ALL,
        "ids with '/', '+' or '=' are encoded differently by each client: retrieve and download "
        "answer 404 behind proxies",
    ),
    "VID-LIFE-001": _i(
        ALL,
        "create_and_poll (or a loop on queued/in_progress) returns at once with the unknown "
        "status; the download then fails; typed enums reject it",
    ),
    "VID-LIFE-002": _i(ALL, "a job reported terminal comes back to life: pollers stop too early"),
    "VID-LIFE-003": _i(
        ALL, "progress '45%' or 0.45: NaN or 0 % in progress bars, typed decoders fail"
    ),
    "VID-LIFE-004": _i(ALL, "progress bars jump backwards"),
    "VID-LIFE-005": _i(ALL, "code waiting for progress 100 never sees the job finish"),
    "VID-LIFE-006": _i(ALL, "code keyed on completed_at stops polling before the video exists"),
    "VID-LIFE-007": _i(
        ALL, "a failed job's error.code reads None or is not a string: failure handling misfires"
    ),
    "VID-LIFE-008": _i(ALL, "the poll never ends: create_and_poll hangs (it has no timeout)"),
    "VID-LIFE-009": _i(
        PYTHON, "create_and_poll raises ValueError: openai-poll-after-ms is parsed with int()"
    ),
    "VID-CONTENT-001": _i(
        frozenset({HTTP, TYPED}),
        "code checking Content-Type refuses the download (octet-stream instead of video/mp4)",
    ),
    "VID-CONTENT-002": _i(ALL, "the saved .mp4 does not play (a JSON error or broken bytes)"),
    "VID-CONTENT-003": _i(ALL, "the video is shorter or longer than the seconds paid for"),
    "VID-CONTENT-004": _i(ALL, "the video has another resolution than the size asked for"),
    "VID-CONTENT-005": _i(
        ALL,
        "download before completion answers 200: download_content / downloadContent return a "
        "JSON body that gets saved as media",
    ),
    "VID-CONTENT-006": _i(
        frozenset({HTTP, TYPED}),
        "curl without -L saves the 302 body; clients that do not follow redirects raise on 302",
    ),
    "VID-CONTENT-007": _i(ALL, "variant=thumbnail returns the wrong bytes or media type"),
    "VID-CONTENT-008": _i(ALL, "variant=spritesheet returns the wrong bytes or media type"),
    "VID-VAL-001": _i(ALL, _INVALID_ACCEPTED),
    "VID-VAL-002": _i(ALL, _INVALID_ACCEPTED),
    "VID-VAL-003": _i(
        ALL, "integer seconds is accepted here and refused elsewhere: code is not portable"
    ),
    "VID-VAL-004": _i(ALL, _INVALID_ACCEPTED),
    "VID-VAL-005": _i(ALL, _INVALID_ACCEPTED),
    "VID-VAL-006": _i(ALL, _INVALID_ACCEPTED),
    "VID-VAL-007": _i(ALL, _INVALID_ACCEPTED),
    "VID-VAL-008": _i(ALL, _INVALID_ACCEPTED),
    "VID-VAL-009": _i(ALL, _INVALID_ACCEPTED),
    "VID-VAL-010": _i(ALL, "a mistyped model name starts a job on some default model"),
    "VID-VAL-011": _i(ALL, "the 400 does not say which field to fix (error.param / e.param)"),
    "VID-VAL-012": _i(ALL, "a create that answered 4xx still starts and bills a job"),
    "VID-ERR-001": _i(ALL, _NOT_FOUND),
    "VID-ERR-002": _i(ALL, _NOT_FOUND),
    "VID-ERR-003": _i(ALL, _NOT_FOUND),
    "VID-ERR-004": _i(ALL, _NOT_FOUND),
    "VID-ERR-005": _i(
        ALL, "e.code, e.type and e.param are None or garbage: error handling cannot branch"
    ),
    "VID-AUTH-001": _i(NONE, "no client call fails, but the route is open to anyone"),
    "VID-AUTH-002": _i(NONE, "no client call fails, but any key is accepted"),
    "VID-AUTH-003": _i(
        ALL, "every request with only Authorization: Bearer answers 401 (the SDKs send only that)"
    ),
    "VID-LIST-001": _i(
        ALL, "list pagination stops after one page or loops: has_more / last_id missing"
    ),
    "VID-LIST-002": _i(ALL, "a created video is missing from videos.list"),
    "VID-LIST-003": _i(ALL, "iterating videos.list skips or repeats videos, or never ends"),
    "VID-LIST-004": _i(ALL, "order=desc does not give the newest first"),
    "VID-DEL-001": _i(ALL, "videos.delete returns deleted=None / a body of the wrong shape"),
    "VID-DEL-002": _i(ALL, "a deleted video is still retrievable and downloadable"),
    "VID-REMIX-001": _i(ALL, "videos.remix loses the link to the source video"),
    "VID-REMIX-002": _i(ALL, "a remix never completes or serves no MP4"),
    "VID-I2V-001": _i(ALL, "create with an input_reference image file does not produce a video"),
    "VID-EXP-001": _i(NONE, "no client call fails, but videos outlive their expires_at"),
    "VID-EXT-001": _i(ALL, "a documented extra duration is refused or not honoured"),
    "VID-EXT-002": _i(ALL, "a documented extra size is refused"),
    "VID-SDK-001": _i(
        PYTHON,
        "create_and_poll or download_content raises, or returns a job that is not completed",
    ),
    "VID-SDK-002": _i(
        SCHEMA_BOUND, "APIResponseValidationError on responses under strict validation"
    ),
    "VID-SDK-003": _i(PYTHON, "videos.list, remix or delete through openai-python fails"),
    "VID-SDK-004": _i(
        frozenset({NODE}),
        "openai-node's create, poll, downloadContent, list, delete or remix fails",
    ),
}

PROPERTY_KINDS: dict[str, Impact] = {
    "SERVER-ERROR": _i(
        ALL, "a 5xx: reads as an outage; the SDKs retry it, re-sending creates that may bill"
    ),
    "CONTENT-TYPE": _i(
        frozenset({NODE, TYPED, HTTP}),
        "a JSON body not labelled application/json: openai-node returns it as a string (its "
        "fields read undefined), typed clients refuse to decode it",
    ),
    "RESPONSE-SCHEMA": _i(
        SCHEMA_BOUND, "APIResponseValidationError / decode error on a body outside the schema"
    ),
    "RESPONSE-HEADERS": _i(
        PYTHON, "poll raises ValueError: openai-poll-after-ms is parsed with int()"
    ),
    "NEGATIVE-REJECTION": _i(ALL, "invalid input is accepted instead of a 4xx"),
    "IGNORED-AUTH": _i(NONE, "no client call fails, but the route is open to anyone"),
    "ERROR-ENVELOPE": _i(
        ALL, "e.code, e.type and e.param are None or garbage: error handling cannot branch"
    ),
    "UNKNOWN-ID": _i(ALL, _NOT_FOUND),
    "INVALID-ACCEPTED": _i(ALL, _INVALID_ACCEPTED),
    "CONTENT-BYTES": _i(ALL, "the downloaded bytes are not what their Content-Type says"),
    "USE-AFTER-FREE": _i(ALL, "a deleted video is still retrievable and downloadable"),
    "RESOURCE-AVAILABILITY": _i(
        ALL, "the retrieve right after create answers 404: create_and_poll raises NotFoundError"
    ),
}


def _property_impacts() -> dict[str, Impact]:
    impacts = {}
    for check_id in fuzz_catalog.PROPERTY_CHECKS:
        # ids end in the kind's suffix, e.g. PROP-GETVIDEO-SERVER-ERROR
        kind = next(k for k in PROPERTY_KINDS if check_id.endswith("-" + k))
        impacts[check_id] = PROPERTY_KINDS[kind]
    return impacts


IMPACTS: dict[str, Impact] = {**HAND_WRITTEN, **_property_impacts()}
"""Every check id (hand-written and property) → the clients its failure breaks."""


def breaks(check_id: str) -> Impact | None:
    """The clients a failure of ``check_id`` breaks, or ``None`` for an id not in the table."""
    return IMPACTS.get(check_id)


@dataclass
class Breakage:
    """One failed check that breaks a client."""

    check_id: str
    title: str
    level: str
    sees: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "check": self.check_id,
            "title": self.title,
            "level": self.level,
            "sees": self.sees,
            "message": self.message,
        }


@dataclass
class ClientResult:
    """The verdict for one client class on one run."""

    client: ClientClass
    verdict: ClientVerdict
    breakages: list[Breakage] = field(default_factory=list)
    """Most severe first (MUST, SHOULD, MAY), then by id."""
    undecided: list[str] = field(default_factory=list)
    """Deciding checks that did not pass, as ``"ID (outcome)"`` (``missing`` when absent)."""

    @property
    def reason(self) -> str:
        """One sentence: why this verdict."""
        if self.verdict == "breaks":
            ids = ", ".join(b.check_id for b in self.breakages[:4])
            more = len(self.breakages) - 4
            return f"broken by {ids}" + (f" and {more} more" if more > 0 else "")
        if self.verdict == "not judged":
            if self.undecided == [CUT_SHORT]:
                return "the run was cut short: no client is judged"
            return "the checks that would tell did not run: " + ", ".join(self.undecided)
        return "driven end to end by " + ", ".join(self.client.deciding) + "; nothing breaks it"

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client.name,
            "verdict": self.verdict,
            "reason": self.reason,
            "breaks": [b.to_dict() for b in self.breakages],
            "not_judged": list(self.undecided),
        }


def _judge(client: ClientClass, checks: dict[str, CheckResult]) -> ClientResult:
    breakages = [
        Breakage(c.id, c.title, c.level, impact.sees, c.message)
        for c in sorted(checks.values(), key=lambda c: (LEVELS.index(c.level), c.id))
        if c.outcome == "failed"
        and c.kind == "violation"
        and (impact := IMPACTS.get(c.id)) is not None
        and client.name in impact.breaks
    ]
    if breakages:
        return ClientResult(client, "breaks", breakages)
    undecided = [
        f"{cid} ({checks[cid].outcome if cid in checks else 'not run'})"
        for cid in client.deciding
        if cid not in checks or checks[cid].outcome != "passed"
    ]
    if undecided:
        return ClientResult(client, "not judged", undecided=undecided)
    return ClientResult(client, "works")


def client_results(report: Report) -> list[ClientResult]:
    """The verdict for every client class, in ``CLIENTS`` order, from ``report``'s checks.

    An incomplete run judges nothing: a check cut short cannot clear a client.
    """
    checks = {c.id: c for c in report.checks}
    if not report.complete:
        return [ClientResult(c, "not judged", undecided=[CUT_SHORT]) for c in CLIENTS]
    return [_judge(c, checks) for c in CLIENTS]


def clients_section(report: Report) -> list[dict[str, Any]]:
    """The ``clients`` section of report.json."""
    return [r.to_dict() for r in client_results(report)]

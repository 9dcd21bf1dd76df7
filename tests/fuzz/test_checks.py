"""Our own property checks, as pure functions."""

from __future__ import annotations

import json

from conformance.fuzz import checks
from conformance.fuzz.catalog import PROPERTY_CHECKS
from conformance.fuzz.explicit import out_of_enum_bodies

ENVELOPE = {
    "error": {"message": "no", "type": "invalid_request_error", "param": None, "code": None}
}
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16


def test_error_envelope_is_required_on_errors_only() -> None:
    ok = json.dumps(ENVELOPE).encode()
    assert checks.error_envelope_problem(404, {}, ok) is None
    assert checks.error_envelope_problem(200, {}, b"{}") is None
    assert "envelope" in (checks.error_envelope_problem(404, {}, b'{"detail": "x"}') or "")
    assert "not JSON" in (
        checks.error_envelope_problem(500, {"Content-Type": "text/plain"}, b"oops") or ""
    )


def test_content_bytes_must_match_their_label() -> None:
    assert checks.content_bytes_problem(200, {"content-type": "video/mp4"}, MP4) is None
    assert (
        checks.content_bytes_problem(200, {"Content-Type": "image/jpeg"}, b"\xff\xd8\xff\xe0")
        is None
    )
    assert (
        checks.content_bytes_problem(200, {"Content-Type": "image/webp"}, b"RIFF\0\0\0\0WEBPVP8 ")
        is None
    )
    assert "look like video/mp4" in (
        checks.content_bytes_problem(200, {"Content-Type": "application/octet-stream"}, MP4) or ""
    )
    assert "json" in (
        checks.content_bytes_problem(200, {"Content-Type": "video/mp4"}, b'{"id": "x"}') or ""
    )
    assert checks.content_bytes_problem(404, {"Content-Type": "video/mp4"}, b"{}") is None


def test_unknown_id_must_not_succeed() -> None:
    assert checks.unknown_id_problem(404) is None
    assert checks.unknown_id_problem(400) is None
    assert checks.unknown_id_problem(200) is not None


def test_hand_built_creates_break_exactly_one_enum_each() -> None:
    bodies = out_of_enum_bodies("CreateVideoJsonBody")
    fields = {next(k for k in body if k != "prompt") for body in bodies}
    assert fields == {"size", "seconds"}
    for body in bodies:
        assert body["size" if "size" in body else "seconds"] not in {
            "720x1280",
            "1280x720",
            "1024x1792",
            "1792x1024",
            "4",
            "8",
            "12",
        }


def test_property_check_ids_are_stable_and_prefixed() -> None:
    assert "PROP-GETVIDEO-SERVER-ERROR" in PROPERTY_CHECKS
    assert all(cid.startswith("PROP-") for cid in PROPERTY_CHECKS)
    assert all(c.feature == "properties" for c in PROPERTY_CHECKS.values())

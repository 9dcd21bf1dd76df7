"""The bounds themselves: capped decoding (bombs), JSON depth, deadlines per socket operation."""

from __future__ import annotations

import gzip
import time
import zlib

import httpcore
import pytest

from conformance.http_limits import (
    MAX_JSON_DEPTH,
    BoundedDecoder,
    Overrun,
    _bounded,
    deadline_scope,
    json_depth,
    parse_json,
    read_bounded,
)


def test_a_gzip_bomb_stops_at_the_cap_without_inflating() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB inflated, ~64 KiB on the wire
    decoder = BoundedDecoder("gzip", cap=1024 * 1024)
    with pytest.raises(Overrun, match="decompressed body over 1048576 bytes"):
        decoder.feed(bomb)
    assert decoder.size <= 1024 * 1024


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_deflate_zlib_wrapped_or_raw(wbits: int) -> None:
    compressor = zlib.compressobj(wbits=wbits)
    wire = compressor.compress(b'{"id": "v"}') + compressor.flush()
    decoder = BoundedDecoder("deflate", cap=100)
    assert decoder.feed(wire[:3]) + decoder.feed(wire[3:]) + decoder.flush() == b'{"id": "v"}'


def test_identity_body_over_the_cap() -> None:
    with pytest.raises(Overrun, match="body over 10 bytes"):
        read_bounded(iter([b"12345", b"678901"]), BoundedDecoder("", 10), time.monotonic() + 5)


def test_an_encoding_not_offered_is_refused() -> None:
    with pytest.raises(ValueError, match="'br'"):
        BoundedDecoder("br", cap=10)


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[[[\\"]]]"}]}') == 3
    assert json_depth(b"[" * 5000 + b"]" * 5000) == 5000


def test_parse_json_refuses_deep_nesting_and_says_why() -> None:
    value, why = parse_json(b"[" * 100_000 + b"]" * 100_000)
    assert value is None and why is not None and "100000 levels" in why
    depth_ok = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert parse_json(depth_ok)[1] is None
    assert parse_json(b"<html>")[1] is not None and parse_json(b"")[1] == "empty body"


def test_socket_operations_get_what_is_left_of_the_deadline() -> None:
    assert _bounded(30.0, httpcore.ReadTimeout) == 30.0  # no deadline in force
    with deadline_scope(time.monotonic() + 1.0):
        left = _bounded(30.0, httpcore.ReadTimeout)
        assert left is not None and 0.5 < left <= 1.0
    with deadline_scope(time.monotonic() - 1), pytest.raises(httpcore.ReadTimeout):
        _bounded(30.0, httpcore.ReadTimeout)


def test_media_cap_follows_the_job() -> None:
    from conformance.http_limits import MEDIA_BODY_CAP, MiB, media_cap

    assert media_cap("4", "720x1280") == 32 * MiB  # 7 MB estimate, floor
    assert media_cap("12", "1792x1024") == 12 * 1792 * 1024 * 2
    assert media_cap("60", "1920x1080") == MEDIA_BODY_CAP
    assert media_cap("4", "bogus") == MEDIA_BODY_CAP


def test_media_gets_time_for_its_bytes_at_one_mib_per_second() -> None:
    from conformance.http_limits import MiB, media_deadline_s

    assert media_deadline_s(60, 128 * MiB) == 188
    assert media_deadline_s(10, 32 * MiB) == 42

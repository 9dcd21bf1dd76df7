"""A negative create is judged as it goes on the wire, as the vendor reads it."""

from __future__ import annotations

import requests

from conformance import contract
from conformance.fuzz.cases import wire_create_body

URL = "http://127.0.0.1:9/v1/videos"


def _prepared(**kwargs: object) -> requests.PreparedRequest:
    return requests.Request("POST", URL, **kwargs).prepare()  # type: ignore[arg-type]


def test_a_number_sent_as_multipart_text_is_a_valid_create() -> None:
    # the engine negated the type of seconds (4, not "4"); multipart carries it as the text "4"
    wire = wire_create_body(_prepared(files={"prompt": (None, "a lake"), "seconds": (None, 4)}))
    assert wire == ("CreateVideoMultipartBody", {"prompt": "a lake", "seconds": "4"})
    assert contract.is_valid(*wire)


def test_a_file_part_counts_by_its_name_and_an_invalid_value_stays_invalid() -> None:
    files = {
        "prompt": (None, "a lake"),
        "size": (None, "720x12800"),
        "input_reference": ("ref.png", b"\x89PNG", "image/png"),
    }
    wire = wire_create_body(_prepared(files=files))
    assert wire is not None and wire[1]["input_reference"] == "ref.png"
    assert not contract.is_valid(*wire)


def test_json_is_read_as_json_and_other_bodies_are_not_judged() -> None:
    wire = wire_create_body(_prepared(json={"prompt": 5}))
    assert wire == ("CreateVideoJsonBody", {"prompt": 5}) and not contract.is_valid(*wire)
    assert wire_create_body(_prepared(data=b"raw", headers={"Content-Type": "text/plain"})) is None

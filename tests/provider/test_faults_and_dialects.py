"""Fault presets and the dialect loader."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from conformance.provider import dialects
from conformance.provider.behaviour import ALL_ROUTES, Behaviour
from conformance.provider.faults import FAULTS, apply_faults

from .support import fast_config, provider


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_every_fault_is_well_formed_and_changes_behaviour(name: str) -> None:
    fault = FAULTS[name]
    assert fault.name == name and fault.description
    changed = apply_faults(Behaviour(), [name])
    assert changed != Behaviour()
    for field, value in fault.overrides.items():
        applied = getattr(changed, field)
        assert applied == value or sorted(applied) == sorted(value), field


def test_faults_compose_in_order_and_unknown_names_fail() -> None:
    both = apply_faults(Behaviour(), ["status-processing", "unknown-id-500"])
    assert both.status_words == {"in_progress": "processing"}
    assert both.unknown_id_status == 500
    with pytest.raises(ValueError, match=r"unknown fault 'nope'; known faults: .*auth-ignored"):
        apply_faults(Behaviour(), ["nope"])


def test_first_faults_show_on_the_wire() -> None:
    behaviour = apply_faults(
        Behaviour(),
        [
            "unknown-id-500",
            "error-no-envelope",
            "accept-any-size",
            "content-type-octet",
            "auth-ignored",
            "status-processing",
        ],
    )
    assert behaviour.auth_exempt_routes == ALL_ROUTES
    config = fast_config(render_seconds=1, api_key="sk-secret-key", behaviour=behaviour)
    with provider(config) as api:
        missing = api.retrieve("video_missing")
        assert missing.status_code == 500 and set(missing.json()) == {"detail"}
        created = api.created(prompt="no key needed", size="16:9")
        assert created["size"] == "16:9"
        statuses = {body["status"] for body in api.history(created["id"])}
        assert "processing" in statuses and "in_progress" not in statuses
        assert api.content(created["id"]).headers["content-type"] == "application/octet-stream"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


VALID = """
name = "acme"
title = "Acme Video"
source = "vendor-docs/acme.txt"

[[deviation]]
field = "status_words"
value = { in_progress = "processing" }
doc = "status: queued | processing | completed | failed"

[[deviation]]
field = "models_allowed"
value = "none"
doc = "any model name is accepted"

[[deviation]]
field = "sizes_allowed"
value = ["1280x720"]
doc = "size: 1280x720 only"

[[deviation]]
field = "create_encodings"
value = ["multipart"]
doc = "Content-Type: multipart/form-data"
"""


def test_load_valid_dialect(tmp_path: Path) -> None:
    _write(tmp_path, "acme", VALID)
    _write(tmp_path, "beta", VALID.replace('"acme"', '"beta"'))
    assert dialects.available(tmp_path) == ["acme", "beta"]
    dialect = dialects.load("acme", tmp_path)
    assert (dialect.name, dialect.title, dialect.source) == (
        "acme",
        "Acme Video",
        "vendor-docs/acme.txt",
    )
    assert [d.field for d in dialect.deviations] == [
        "status_words",
        "models_allowed",
        "sizes_allowed",
        "create_encodings",
    ]
    assert dialect.deviations[0].doc.startswith("status:")
    b = dialect.behaviour
    assert b.status_words == {"in_progress": "processing"}
    assert b.models_allowed is None
    assert b.sizes_allowed == ("1280x720",)
    assert b.create_encodings == frozenset({"multipart"})
    untouched = {f.name for f in dataclasses.fields(Behaviour)} - {
        d.field for d in dialect.deviations
    }
    # What the contract leaves to the provider and no vendor page shows is switched off.
    assert all(
        getattr(b, name) == dialects.SILENT_DEFAULTS[name] for name in dialects.SILENT_DEFAULTS
    )
    untouched -= set(dialects.SILENT_DEFAULTS)
    assert all(getattr(b, name) == getattr(Behaviour(), name) for name in untouched)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "not valid TOML"),
        ('title = "t"\nsource = "s"', "'name' must be a non-empty string"),
        ('name = "other"\ntitle = "t"\nsource = "s"', "does not match the file name"),
        ('name = "bad"\ntitle = "t"\nsource = "s"\ndeviation = 3', "array of tables"),
        (
            'name = "bad"\ntitle = "t"\nsource = "s"\n[[deviation]]\nfield = "x"\nvalue = 1\n'
            'doc = "d"',
            "unknown behaviour field 'x'",
        ),
        (
            'name = "bad"\ntitle = "t"\nsource = "s"\n[[deviation]]\nfield = "create_status"\n'
            'value = "201"\ndoc = "d"',
            "does not fit field 'create_status'",
        ),
        (
            'name = "bad"\ntitle = "t"\nsource = "s"\n[[deviation]]\nfield = "progress_style"\n'
            'value = "percentage"\ndoc = "d"',
            "does not fit field 'progress_style'",
        ),
        (
            'name = "bad"\ntitle = "t"\nsource = "s"\n[[deviation]]\nfield = "create_status"\n'
            "value = 201",
            "lacks doc",
        ),
        (
            'name = "bad"\ntitle = "t"\nsource = "s"\n'
            '[[deviation]]\nfield = "create_status"\nvalue = 201\ndoc = "a"\n'
            '[[deviation]]\nfield = "create_status"\nvalue = 202\ndoc = "b"',
            "set twice",
        ),
    ],
)
def test_malformed_dialects_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path, "bad", text)
    with pytest.raises(ValueError, match=message) as error:
        dialects.load("bad", tmp_path)
    assert "\n" not in str(error.value) or "TOML" in str(error.value)


def test_unknown_dialect_lists_the_available_ones(tmp_path: Path) -> None:
    _write(tmp_path, "acme", VALID)
    with pytest.raises(ValueError, match=r"unknown dialect 'zeta'; available dialects: acme"):
        dialects.load("zeta", tmp_path)
    with pytest.raises(ValueError, match="unknown dialect"):
        dialects.load("../acme", tmp_path)
    assert dialects.available(tmp_path / "absent") == []


def test_bundled_dialects_load_and_quote_their_docs() -> None:
    names = dialects.available()
    assert names, "the package ships vendor dialects"
    for name in names:
        dialect = dialects.load(name)
        assert dialect.deviations, name
        assert all(d.doc.strip() for d in dialect.deviations), name


def test_a_dialect_serves(tmp_path: Path) -> None:
    _write(tmp_path, "acme", VALID)
    behaviour = dialects.load("acme", tmp_path).behaviour
    with provider(fast_config(render_seconds=120, behaviour=behaviour)) as api:
        assert api.create(prompt="json refused").status_code == 415
        response = api.create_multipart({"prompt": "p", "model": "acme-1", "size": "1280x720"})
        assert response.status_code == 200, response.text
        assert response.json()["model"] == "acme-1"
        assert httpx.get(f"{api.base_url}/videos").status_code == 200

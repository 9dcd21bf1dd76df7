"""The profile JSON Schema: every bundled profile passes; a mistake names its key and line."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from conformance.errors import UsageError
from conformance.profile_file import PROFILES_DIR, load_profile
from conformance.profile_schema import key_line, validate_profile


@pytest.mark.parametrize("path", sorted(PROFILES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_bundled_profiles_are_valid(path: Path) -> None:
    # load_profile trusts the shipped profiles (no schema check at start-up): this test is
    # where they are checked.
    text = path.read_text(encoding="utf-8")
    validate_profile(tomllib.loads(text), path, text)
    assert load_profile(path)


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "acme.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_profile(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_a_wrong_value_in_a_table_names_key_and_line(tmp_path: Path) -> None:
    text = 'name = "acme"\nbase_url = "https://a.example/v1"\n\n[budget]\nmax_jobs = 0\n'
    message = _load(tmp_path, text)
    assert "key budget.max_jobs" in message and "line 5" in message
    assert "minimum" in message


def test_an_unknown_key_lists_the_allowed_ones(tmp_path: Path) -> None:
    message = _load(tmp_path, 'base_url = "https://a.example/v1"\n[timeouts]\njobs = 9\n')
    assert "key timeouts.jobs" in message and "line 3" in message
    assert "allowed here: expiry_wait, job, request" in message


def test_values_are_quoted_as_json(tmp_path: Path) -> None:
    message = _load(tmp_path, 'base_url = "https://a.example/v1"\nfuzz_billable = "yes"\n')
    assert 'must be boolean, not "yes"' in message and "line 2" in message


def test_key_line_finds_tables_dotted_keys_and_misses() -> None:
    text = "a = 1\n[budget]\nmax_jobs = 3\n[timeouts]\njob = 4\n"
    assert key_line(text, ("budget", "max_jobs")) == 3
    assert key_line(text, ("timeouts",)) == 4
    assert key_line("budget.max_jobs = 2\n", ("budget", "max_jobs")) == 1
    assert key_line(text, ("nowhere",)) is None


def test_without_text_the_error_still_names_key_and_file() -> None:
    with pytest.raises(UsageError, match=r"key auth in inline: \"basic\" is not one of"):
        validate_profile({"auth": "basic"}, "inline")

"""Profile + env + flags → Target: precedence, validation, and the key never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import Overrides, resolve_target
from conformance.errors import UsageError


def _profile(tmp_path: Path, text: str) -> str:
    path = tmp_path / "vendor.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_no_target_is_the_bundled_reference() -> None:
    target = resolve_target(Overrides(), env={})
    assert target.bundled and target.name == "reference"
    assert target.failing_prompt and "[[fail]]" in target.failing_prompt
    assert target.fuzz_billable


def test_bundled_openai_profile_by_name() -> None:
    target = resolve_target(
        Overrides(profile="openai"), env={"OPENAI_API_KEY": "sk-test-1234567890"}
    )
    assert target.base_url == "https://api.openai.com/v1"
    assert target.create_encodings == ("json", "multipart")
    assert target.model == "sora-2"
    assert {"list", "delete", "remix", "image_to_video", "variants"} == target.features


def test_flags_beat_env_beat_profile(tmp_path: Path) -> None:
    path = _profile(
        tmp_path,
        'name = "v"\nbase_url = "https://v.example/v1"\napi_key_env = "V_KEY"\nmodel = "m1"\n'
        "[budget]\nmax_jobs = 3\n[timeouts]\njob = 100\n",
    )
    target = resolve_target(
        Overrides(profile=path, model="m2", api_key="flag-key-123", max_jobs=5, job_timeout_s=7),
        env={"V_KEY": "env-key-123"},
    )
    assert (target.model, target.api_key, target.budget.max_jobs) == ("m2", "flag-key-123", 5)
    assert target.job_timeout_s == 7
    assert (
        resolve_target(Overrides(profile=path), env={"V_KEY": "env-key-123"}).api_key
        == "env-key-123"
    )


def test_key_never_in_repr_or_str() -> None:
    target = resolve_target(
        Overrides(base_url="https://x.example/v1", api_key="sk-secret-abcdef123"), env={}
    )
    assert "sk-secret" not in repr(target)
    assert "sk-secret" not in str(target)
    assert "sk-secret" not in str(target.redacted())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "v"\nbase_url = "https://v/v1"\ncolour = "red"\n', "key colour in"),
        ('base_url = "https://v/v1"\n[budget]\nmax_job = 3\n', "key budget.max_job in"),
        ('base_url = "https://v/v1"\nauth = "basic"\n', "key auth in"),
        ('base_url = "https://v/v1"\nfeatures = ["teleport"]\n', '"teleport" is not one of'),
        ('base_url = "https://v/v1"\ncreate_encodings = ["xml"]\n', '"xml" is not one of'),
        ('base_url = "https://v/v1"\nseconds = [4]\n', "key seconds in"),
        ('base_url = "not a url"\n', "key base_url in"),
        ("base_url = \n", "not valid TOML"),
    ],
)
def test_bad_profiles_are_one_line_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        resolve_target(Overrides(profile=_profile(tmp_path, text)), env={"VIDEO_API_KEY": "k" * 8})
    assert "\n" not in str(info.value)


def test_missing_key_names_the_env_var(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"set \$VIDEO_API_KEY or pass --api-key"):
        resolve_target(Overrides(base_url="https://v.example/v1"), env={})
    path = _profile(tmp_path, 'base_url = "https://v/v1"\napi_key_env = "ACME_KEY"\n')
    with pytest.raises(UsageError, match=r"\$ACME_KEY"):
        resolve_target(Overrides(profile=path), env={})


def test_plan_needs_no_key() -> None:
    target = resolve_target(Overrides(base_url="https://v.example/v1"), env={}, require_key=False)
    assert target.api_key == ""


def test_unknown_profile_name_lists_the_bundled_ones() -> None:
    with pytest.raises(UsageError, match="openai"):
        resolve_target(Overrides(profile="no-such-vendor"), env={})


def test_bad_base_url_flag() -> None:
    with pytest.raises(UsageError, match="bad base URL"):
        resolve_target(Overrides(base_url="ftp://x.example", api_key="k" * 8), env={})


def test_a_vendor_profile_can_target_the_bundled_provider() -> None:
    # run --profile sciforium --provider-dialect sciforium: the vendor's declarations, checked
    # against a local provider speaking its dialect; no vendor key is needed.
    target = resolve_target(Overrides(profile="sciforium", bundled=True), env={})
    assert target.bundled
    assert target.name == "sciforium"
    assert target.auth == "both"


def test_bundled_and_base_url_exclude_each_other() -> None:
    with pytest.raises(UsageError, match="exclude each other"):
        resolve_target(Overrides(profile="sciforium", bundled=True, base_url="http://h/v1"), env={})


# --- preflight: every mistake is one line and exit 2, before anything is sent ----------------


def _run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    from conformance.cli import main

    code = main(["run", *argv])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--job-timeout", "nan"], "--job-timeout must be a finite number"),
        (["--job-timeout", "inf"], "--job-timeout must be a finite number"),
        (["--deadline", "-5"], "--deadline must be positive"),
        (["--expiry-wait", "nan"], "--expiry-wait must be a finite number"),
        (["--fuzz-budget-seconds", "inf"], "--fuzz-budget-seconds must be a finite number"),
        (["--base-url", "http://[::1/v1"], "bad base URL 'http://[::1/v1'"),
        (["--base-url", "ftp://host/v1"], "expected http(s)://"),
        (["--base-url", "http://user:hunter2pass@host/v1"], "user name or password"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    words: str,
) -> None:
    monkeypatch.setenv("VIDEO_API_KEY", "sk-preflight-key-0123456789")
    base = [] if "--base-url" in argv else ["--base-url", "http://127.0.0.1:9/v1"]
    code, err = _run_cli(capsys, *base, *argv, "--report-dir", str(tmp_path))
    assert code == 2
    assert words in err and len(err.splitlines()) == 1
    assert "hunter2pass" not in err


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("sk-clé-0123456789", "non-ASCII character at position 6"),
        ("sk-key\r\nX-Injected: 1", "line break at position 7"),
        ("sk-key with-space", "whitespace at position 7"),
    ],
)
def test_malformed_keys_are_refused_naming_the_variable(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    key: str,
    words: str,
) -> None:
    monkeypatch.setenv("VIDEO_API_KEY", key)
    code, err = _run_cli(
        capsys, "--base-url", "http://127.0.0.1:9/v1", "--report-dir", str(tmp_path)
    )
    assert code == 2
    assert "$VIDEO_API_KEY" in err and words in err
    assert key not in err and len(err.splitlines()) == 1


def test_unwritable_report_dir_is_refused_before_the_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("VIDEO_API_KEY", "sk-preflight-key-0123456789")
    code, err = _run_cli(
        capsys, "--base-url", "http://127.0.0.1:9/v1", "--report-dir", str(blocker / "sub")
    )
    assert code == 2 and "--report-dir" in err and "not writable" in err


def test_run_deadline_defaults_to_three_job_timeouts_plus_300() -> None:
    target = resolve_target(
        Overrides(base_url="http://127.0.0.1:9/v1", job_timeout_s=100),
        env={"VIDEO_API_KEY": "sk-preflight-key-0123456789"},
    )
    assert target.run_deadline_s == 600
    explicit = resolve_target(
        Overrides(base_url="http://127.0.0.1:9/v1", deadline_s=42),
        env={"VIDEO_API_KEY": "sk-preflight-key-0123456789"},
    )
    assert explicit.run_deadline_s == 42


def test_profile_numbers_must_be_finite(tmp_path: Path) -> None:
    path = _profile(tmp_path, 'base_url = "http://127.0.0.1:9/v1"\n[timeouts]\nrequest = nan\n')
    with pytest.raises(UsageError, match="request must be a finite non-negative number"):
        resolve_target(Overrides(profile=path), env={"VIDEO_API_KEY": "sk-k-0123456789"})

"""``video-conformance init``: the profile it writes loads and resolves; bad input is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import cli
from conformance.cli import build_parser
from conformance.commands import init
from conformance.config import Overrides, resolve_target
from conformance.profile_file import load_profile


def test_flags_write_a_profile_that_resolves(tmp_path: Path) -> None:
    out = tmp_path / "acme.toml"
    argv = [
        "init", "--base-url", "https://api.acme.example/v1", "--name", "acme",
        "--api-key-env", "ACME_API_KEY", "--auth", "x-api-key", "--encodings", "multipart",
        "--model", "vid-1", "--features", "list,delete", "--price-per-second", "0.05",
        "--output", str(out), "--no-input",
    ]  # fmt: skip
    assert cli.main(argv) == 0
    data = load_profile(out)
    assert data["budget"] == {"max_jobs": 8, "max_video_seconds": 64, "price_per_second": 0.05}
    target = resolve_target(Overrides(profile=str(out)), env={"ACME_API_KEY": "k" * 12})
    assert (target.name, target.auth, target.model) == ("acme", "x-api-key", "vid-1")
    assert target.create_encodings == ("multipart",)
    assert target.features == {"list", "delete"}


def test_questions_fill_what_flags_leave_open(tmp_path: Path) -> None:
    answers = iter(["https://gw.example:8443/v1", "", "sora-2", "remix"])
    args = build_parser().parse_args(["init", "--output", str(tmp_path / "p.toml")])
    assert init.main(args, ask=lambda _question: next(answers)) == 0
    data = load_profile(tmp_path / "p.toml")
    assert data["name"] == "gw.example"  # the host, when no name is given
    assert (data["model"], data["features"]) == ("sora-2", ["remix"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--no-input"], "no base URL"),
        (["--no-input", "--base-url", "ftp://x"], "bad base URL"),
        (["--no-input", "--base-url", "https://x/v1", "--features", "teleport"], '"teleport"'),
        (["--no-input", "--base-url", "https://x/v1", "--sizes", "big"], "key sizes"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(["init", *argv, "--output", str(tmp_path / "x.toml")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.toml").exists()


def test_an_existing_file_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "acme.toml"
    out.write_text("keep me\n", encoding="utf-8")
    argv = ["init", "--no-input", "--base-url", "https://a.example/v1", "--output", str(out)]
    assert cli.main(argv) == 2
    assert "--force" in capsys.readouterr().err and out.read_text() == "keep me\n"
    assert cli.main([*argv, "--force"]) == 0
    assert load_profile(out)["base_url"] == "https://a.example/v1"

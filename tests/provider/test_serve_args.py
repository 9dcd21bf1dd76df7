"""``video-conformance serve``: bad flags are one line and exit 2; flags reach the config."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import cli
from conformance.commands import serve
from conformance.errors import UsageError


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--port", "70000"], "port"),
        (["--port", "abc"], "--port"),
        (["--render-seconds", "-1"], "render_seconds"),
        (["--fail-rate", "2"], "fail_rate"),
        (["--ttl", "0"], "ttl"),
        (["--max-concurrent", "0"], "max_concurrent"),
        (["--queue-limit", "0"], "queue_limit"),
        (["--fault", "no-such-fault"], "known faults: "),
        (["--dialect", "no-such-dialect"], "available dialects"),
        (["--api-key", ""], "api_key"),
        (["--bogus"], "unrecognized"),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], err


def test_the_installed_entry_point_exits_2_too() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "serve", "--fault", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: unknown fault 'nope'")
    assert "Traceback" not in result.stderr


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    return parser.parse_args(argv)


def test_flags_build_the_config(tmp_path: Path) -> None:
    config = serve.config_from_args(
        _parse(
            "--data-dir",
            str(tmp_path),
            "--render-seconds",
            "0.5",
            "--ttl",
            "5",
            "--api-key",
            "sk-abcdef",
            "--fail-rate",
            "0.25",
            "--seed",
            "3",
            "--max-concurrent",
            "3",
            "--queue-limit",
            "4",
            "--fps",
            "6",
            "--fault",
            "status-processing",
            "--fault",
            "unknown-id-500",
        )
    )
    assert config.data_dir == tmp_path
    assert (config.render_seconds, config.ttl_seconds, config.api_key) == (0.5, 5, "sk-abcdef")
    assert (config.fail_rate, config.seed, config.fps) == (0.25, 3, 6)
    assert (config.max_concurrent_renders, config.queue_limit) == (3, 4)
    assert config.behaviour.status_words == {"in_progress": "processing"}
    assert config.behaviour.unknown_id_status == 500


def test_unknown_fault_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown fault 'nope'"):
        serve.config_from_args(_parse("--fault", "nope"))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.com", False),
    ],
)
def test_loopback_detection_drives_the_warning(host: str, loopback: bool) -> None:
    assert serve._is_loopback(host) is loopback

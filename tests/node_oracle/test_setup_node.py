"""``video-conformance setup-node``: installs the pinned package, or says in one line why not."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conformance import cli
from conformance.node_oracle import driver

FAKE_NPM = """#!/bin/sh
# records its argv, then lays out node_modules/openai as npm would
echo "$@" > "$FAKE_NPM_LOG"
prefix="$3"
mkdir -p "$prefix/node_modules/openai"
echo '{"version": "0"}' > "$prefix/node_modules/openai/package.json"
touch "$prefix/node_modules/openai/index.mjs"
"""


def _tool(bin_dir: Path, name: str, text: str) -> None:
    path = bin_dir / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_without_npm_it_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert cli.main(["setup-node", "--dir", str(tmp_path / "node")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: setup-node needs node and npm on PATH"


def test_it_installs_the_pinned_version_into_the_given_dir(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _tool(bin_dir, "npm", FAKE_NPM)
    _tool(bin_dir, "node", "#!/bin/sh\nexit 0\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("FAKE_NPM_LOG", str(tmp_path / "npm.log"))
    target = tmp_path / "node"
    assert cli.main(["setup-node", "--dir", str(target)]) == 0
    argv = (tmp_path / "npm.log").read_text().split()
    assert argv[:4] == ["install", "--prefix", str(target), "--no-audit"]
    assert argv[-1] == f"openai@{driver.OPENAI_NODE_VERSION}"
    assert driver.unavailable(target) is None
    assert f"installed in {target}" in capsys.readouterr().out


def test_a_failing_npm_is_a_harness_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _tool(bin_dir, "npm", "#!/bin/sh\necho 'npm ERR! 404 Not Found' >&2\nexit 1\n")
    _tool(bin_dir, "node", "#!/bin/sh\nexit 0\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    assert cli.main(["setup-node", "--dir", str(tmp_path / "node")]) == 3
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.endswith("npm ERR! 404 Not Found")

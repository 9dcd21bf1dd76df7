"""The openai-node oracle, run for real against the bundled reference provider.

Needs node and the pinned npm package (``video-conformance setup-node``; the nox ``tests``
session installs it when npm exists); skipped with that reason otherwise.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.node_oracle import driver
from conformance.node_oracle.driver import OraclePlan, run_oracle, unavailable
from conformance.node_oracle.judge import problems
from conformance.provider.behaviour import Behaviour
from conformance.provider.config import ProviderConfig
from conformance.provider.faults import apply_faults
from conformance.provider.server import running_provider

KEY = "vc-node-oracle-test-key-0000"
needs_node = pytest.mark.skipif(unavailable() is not None, reason=f"{unavailable()}")


@pytest.fixture
def provider(request: pytest.FixtureRequest) -> Iterator[str]:
    faults = getattr(request, "param", ())
    config = ProviderConfig(
        api_key=KEY, render_seconds=0.3, behaviour=apply_faults(Behaviour(), faults)
    )
    with running_provider(config) as base_url:
        yield base_url


def _completed_job(base_url: str) -> str:
    headers = {"Authorization": f"Bearer {KEY}"}
    video = httpx.post(f"{base_url}/videos", json={"prompt": "a pond"}, headers=headers).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = httpx.get(f"{base_url}/videos/{video['id']}", headers=headers).json()["status"]
        if status in ("completed", "failed"):
            return str(video["id"])
        time.sleep(0.1)
    raise AssertionError("the reference provider did not finish a job in 30 s")


def _plan(base_url: str, **extra: Any) -> OraclePlan:
    return OraclePlan(
        base_url=base_url, poll_interval_ms=100, job_timeout_s=30, request_timeout_s=10, **extra
    )


def test_without_node_on_path_the_oracle_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert unavailable() == "node is not on PATH"


@needs_node
def test_without_the_package_the_oracle_says_how_to_install_it(tmp_path: Path) -> None:
    reason = unavailable(tmp_path)
    assert reason is not None and "setup-node" in reason


@needs_node
def test_every_sdk_call_works_against_the_reference_provider(
    provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    stdin: list[str] = []

    class Spy(subprocess.Popen):
        def __init__(self, args: Any, **kwargs: Any) -> None:
            seen.append((args, kwargs))
            super().__init__(args, **kwargs)

        def communicate(self, input: Any = None, timeout: Any = None) -> Any:
            stdin.append(input or "")
            return super().communicate(input, timeout)

    monkeypatch.setattr(driver.subprocess, "Popen", Spy)
    plan = _plan(
        provider,
        existing_id=_completed_job(provider),
        list=True,
        create={"prompt": "made by node", "seconds": "4", "size": "720x1280"},
        remix="again, by night",
        delete=True,
    )
    run = run_oracle(plan, KEY, timeout_s=120)
    assert run.openai == driver.OPENAI_NODE_VERSION
    assert [c.call for c in run.calls] == [
        "poll",
        "downloadContent",
        "list",
        "create",
        "createAndPoll",
        "downloadContent_created",
        "remix",
        "remix_poll",
        "delete_remix",
        "delete",
        "retrieve_unknown",
        "delete_unknown",
    ]
    assert problems(run, plan) == []
    # the key travels in the child's environment only: never argv, never the plan on stdin
    [(args, kwargs)] = [(a, k) for a, k in seen if a[0] == "node"]
    assert KEY not in " ".join(args) and all(KEY not in text for text in stdin)
    assert kwargs["env"][driver.KEY_ENV] == KEY


@needs_node
@pytest.mark.parametrize("provider", [("status-processing",)], indirect=True)
def test_an_unknown_status_word_breaks_the_node_poll_loop(provider: str) -> None:
    plan = _plan(provider, create={"prompt": "a kite"})
    found = problems(run_oracle(plan, KEY, timeout_s=60), plan)
    assert any("'processing'" in p for p in found), found


@needs_node
@pytest.mark.parametrize("provider", [("unknown-id-500",)], indirect=True)
def test_a_500_for_an_unknown_id_is_not_a_not_found_error(provider: str) -> None:
    plan = _plan(provider)
    found = problems(run_oracle(plan, KEY, timeout_s=60), plan)
    assert found == [
        next(p for p in found if "InternalServerError (500)" in p and "not NotFoundError" in p)
    ]


@needs_node
def test_a_wrong_key_is_an_authentication_error(provider: str) -> None:
    plan = _plan(provider)
    [call] = run_oracle(plan, "wrong-key", timeout_s=60).calls
    assert call.error is not None and call.error["name"] == "AuthenticationError"

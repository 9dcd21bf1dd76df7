"""The vendor data agrees with itself: each profile asks only for what its dialect serves.

A vendor's profile (what the checker sends) and its dialect (how the reference provider answers)
are written from the same documentation page. If they disagree, the dialect test would measure
our own inconsistency instead of the vendor's deviations, so they are checked against each
other here, without starting anything.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conformance.config import Overrides, Target, resolve_target
from conformance.errors import UsageError
from conformance.provider import dialects
from conformance.provider.behaviour import CONTRACT, CONTRACT_SECONDS, CONTRACT_SIZES, Behaviour

VENDORS = ("sciforium", "apiyi", "4all", "mintlify-sandbox", "task-gateway")
HOSTLESS = {"4all", "task-gateway"}
"""Vendors whose documentation publishes no host: their profiles need --base-url."""
FEATURE_ROUTES = {"list": "list", "delete": "delete", "remix": "remix"}
PLACEHOLDER_URL = "https://vendor.example/v1"
ROOT = Path(__file__).resolve().parents[2]


def vendor_docs_dir() -> Path | None:
    """The vendor pages the dialects quote: not shipped with the repository.

    ``VIDEO_CONFORMANCE_VENDOR_DOCS`` names the folder; otherwise ``shared/vendor-docs`` next
    to the checkout (or next to the folder holding it, for a worktree) is used when present.
    """
    named = os.environ.get("VIDEO_CONFORMANCE_VENDOR_DOCS")
    candidates = [Path(named)] if named else []
    candidates += [
        ROOT.parent / "shared" / "vendor-docs",
        ROOT.parents[1] / "shared" / "vendor-docs",
    ]
    return next((c for c in candidates if c.is_dir()), None)


def _collapsed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def vendor_target(name: str) -> Target:
    """The vendor's profile resolved with a dummy key (and a base URL where none is published)."""
    env = {
        "SCIFORIUM_API_KEY": "k",
        "APIYI_API_KEY": "k",
        "FOURALL_API_KEY": "k",
        "MINTLIFY_SANDBOX_API_KEY": "k",
        "TASK_GATEWAY_API_KEY": "k",
    }
    base_url = PLACEHOLDER_URL if name in HOSTLESS else None
    return resolve_target(Overrides(profile=name, base_url=base_url), env=env)


def accepts_size(b: Behaviour, model: str | None, size: str) -> bool:
    allowed = size in b.sizes_allowed or size in b.size_aliases or b.sizes_accept_any
    narrowed = b.sizes_by_model.get(model or b.default_model)
    return allowed and (narrowed is None or size in narrowed)


def accepts_seconds(b: Behaviour, seconds: str) -> bool:
    return seconds in b.seconds_allowed or (b.seconds_accept_any and seconds.isdigit())


def test_every_vendor_has_a_dialect() -> None:
    assert set(VENDORS) <= set(dialects.available())


@pytest.mark.parametrize("name", VENDORS)
def test_dialect_quotes_its_documentation(name: str) -> None:
    dialect = dialects.load(name)
    assert dialect.name == name and dialect.title and "vendor-docs/" in dialect.source
    assert dialect.deviations, "a dialect with no deviation is the contract itself"
    for deviation in dialect.deviations:
        assert len(deviation.doc.strip()) >= 10, f"{deviation.field}: quote the doc line"
        assert getattr(dialect.behaviour, deviation.field) != getattr(CONTRACT, deviation.field), (
            f"{deviation.field} restates the contract's default: not a deviation"
        )


@pytest.mark.parametrize("name", VENDORS)
def test_dialect_quotes_are_verbatim(name: str) -> None:
    """Every ``doc`` is text of the vendor's page (whitespace collapsed; " ... " joins parts)."""
    folder = vendor_docs_dir()
    if folder is None:
        pytest.skip("vendor pages not found: set VIDEO_CONFORMANCE_VENDOR_DOCS")
    page = _collapsed((folder / f"{name}.txt").read_text(encoding="utf-8"))
    for deviation in dialects.load(name).deviations:
        for fragment in deviation.doc.split(" ... "):
            assert _collapsed(fragment) in page, f"{deviation.field}: not on the page: {fragment!r}"


@pytest.mark.parametrize("name", VENDORS)
def test_dialect_sends_no_undocumented_poll_header(name: str) -> None:
    """No vendor page shows openai-poll-after-ms, so no dialect sends it."""
    dialect = dialects.load(name)
    if all(d.field != "poll_after_ms" for d in dialect.deviations):
        assert dialect.behaviour.poll_after_ms is None


@pytest.mark.parametrize("name", VENDORS)
def test_profile_matches_dialect(name: str) -> None:
    target = vendor_target(name)
    b = dialects.load(name).behaviour
    assert target.name == name
    if b.model_required:
        assert target.model, "the dialect requires a model: the profile must name one"
    if target.model and b.models_allowed is not None:
        assert target.model in b.models_allowed
    for size in target.sizes:
        assert accepts_size(b, target.model, size), f"profile size {size} is refused"
    for seconds in target.seconds:
        assert accepts_seconds(b, seconds), f"profile seconds {seconds} are refused"
    assert set(target.create_encodings) <= b.create_encodings
    if target.auth in ("bearer", "x-api-key"):
        assert target.auth in b.auth_styles
    else:
        assert b.auth_styles >= {"bearer", "x-api-key"}
    assert (target.create_status or 200) == b.create_status
    # One way only: a route the page leaves unmentioned is neither claimed nor removed.
    for feature, route in FEATURE_ROUTES.items():
        if target.declares(feature):
            assert route not in b.routes_disabled, (
                f"the profile claims {feature}, the dialect lacks it"
            )


@pytest.mark.parametrize("name", VENDORS)
def test_declared_extensions_are_beyond_the_contract_and_served(name: str) -> None:
    target = vendor_target(name)
    b = dialects.load(name).behaviour
    for seconds in target.extension_seconds:
        assert seconds not in CONTRACT_SECONDS
        assert accepts_seconds(b, seconds)
    for size in target.extension_sizes:
        assert size not in CONTRACT_SIZES
        assert accepts_size(b, target.model, size)
    extra_seconds = set(b.seconds_allowed) - set(CONTRACT_SECONDS)
    extra_sizes = (set(b.sizes_allowed) | set(b.size_aliases)) - set(CONTRACT_SIZES)
    assert extra_seconds == set(target.extension_seconds), "every documented duration is declared"
    assert {s for s in extra_sizes if accepts_size(b, target.model, s)} == set(
        target.extension_sizes
    ), "every documented size the profile's model can use is declared"


@pytest.mark.parametrize("name", sorted(HOSTLESS))
def test_hostless_profile_demands_a_base_url(name: str) -> None:
    with pytest.raises(UsageError, match="pass --base-url"):
        resolve_target(
            Overrides(profile=name), env={"FOURALL_API_KEY": "k", "TASK_GATEWAY_API_KEY": "k"}
        )


def test_a_dialect_run_exercises_the_failure_path() -> None:
    """``run --provider-dialect`` adds the provider's failing prompt when the profile has none
    (apiyi documents failed jobs without ``error``); a run against the real service does not."""
    env = {"APIYI_API_KEY": "k"}
    bundled = resolve_target(Overrides(profile="apiyi", bundled=True), env=env)
    assert bundled.bundled and "[[fail]]" in bundled.failing_prompt
    real = resolve_target(Overrides(profile="apiyi"), env=env)
    assert not real.bundled and real.failing_prompt == ""

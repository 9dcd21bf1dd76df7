"""The kit around the checks: the feature gate before a check's body, and one severity order."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from conformance import catalog
from conformance.client import Response
from conformance.features import FeatureMap, Unsupported
from conformance.plugin import ConformancePlugin, _combine
from conformance.report.gate import _collapse
from conformance.report.model import OUTCOMES, SEVERITY, Exchange, Outcome


class _Item:
    """As much of a pytest item as the hook reads: the check id marker."""

    def __init__(self, check_id: str | None) -> None:
        self._marker = SimpleNamespace(args=(check_id,)) if check_id else None

    def get_closest_marker(self, name: str) -> Any:
        return self._marker if name == "conformance_check" else None


def _plugin(features: FeatureMap) -> ConformancePlugin:
    ctx: Any = SimpleNamespace(features=features, selected=set(catalog.CHECKS), progress=None)
    return ConformancePlugin(ctx)


def _call(plugin: ConformancePlugin, check_id: str | None) -> None:
    plugin.pytest_runtest_call(_Item(check_id))  # type: ignore[arg-type]


def _answer(status: int) -> Response:
    url = "http://127.0.0.1:9/v1/videos/x/remix"
    return Response("POST", url, status, httpx.Headers(), b"", Exchange("POST", url, status=status))


def test_a_check_of_a_feature_declared_absent_is_unsupported_before_its_body() -> None:
    plugin = _plugin(FeatureMap(frozenset(), frozenset({"list"})))
    with pytest.raises(Unsupported, match="declares 'list' absent"):
        _call(plugin, "VID-LIST-001")
    _call(plugin, "VID-CREATE-001")  # core checks are never gated
    _call(plugin, "VID-DEL-001")  # delete was not declared absent
    _call(plugin, None)  # a test that implements no check


def test_an_undeclared_feature_runs_until_its_route_says_it_is_not_offered() -> None:
    features = FeatureMap(frozenset(), frozenset())
    plugin = _plugin(features)
    _call(plugin, "VID-REMIX-001")  # untried: the check runs and its answer decides
    assert not features.observe("remix", _answer(404), "POST /videos/x/remix")
    with pytest.raises(Unsupported, match="remix is not offered"):
        _call(plugin, "VID-REMIX-002")


def test_a_declared_feature_always_runs() -> None:
    features = FeatureMap(frozenset({"delete"}), frozenset())
    _call(_plugin(features), "VID-DEL-001")


def test_severity_order_is_pinned() -> None:
    assert sorted(OUTCOMES, key=SEVERITY.__getitem__) == [
        "passed",
        "unsupported",
        "skipped",
        "error",
        "failed",
    ]


@pytest.mark.parametrize(
    ("outcomes", "worst"),
    [
        (("passed", "skipped"), "skipped"),
        (("passed", "unsupported"), "unsupported"),
        (("unsupported", "skipped"), "skipped"),
        (("error", "failed"), "failed"),
        (("passed", "passed"), "passed"),
    ],
)
def test_plugin_and_gate_pick_the_same_outcome(outcomes: tuple[Outcome, ...], worst: str) -> None:
    entry = catalog.get("VID-CREATE-001")
    runs = [entry.result(o, o) for o in outcomes]
    assert _combine(runs).outcome == worst
    assert _collapse(runs)["VID-CREATE-001"].outcome == worst


class _Marked(_Item):
    """An item with ordering markers as well."""

    def __init__(self, check_id: str, *marks: str) -> None:
        super().__init__(check_id)
        self.check_id = check_id
        self._marks = set(marks)

    def get_closest_marker(self, name: str) -> Any:
        if name in self._marks:
            return SimpleNamespace(args=())
        return super().get_closest_marker(name)


def test_checks_run_free_first_a_remix_s_last_then_late_then_destructive() -> None:
    specs = {"main": SimpleNamespace(source=None), "remix": SimpleNamespace(source="main")}
    ctx: Any = SimpleNamespace(
        features=FeatureMap(frozenset(), frozenset()),
        selected=set(catalog.CHECKS),
        progress=None,
        pool=SimpleNamespace(specs=specs),
    )
    items = [
        _Marked("VID-DEL-001", "destructive"),
        _Marked("VID-OBJ-001", "late"),
        _Marked("VID-REMIX-001"),
        _Marked("VID-CREATE-003"),
        _Marked("VID-VAL-011", "late"),
        _Marked("VID-VAL-001"),
    ]
    config: Any = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=lambda items: None))
    ConformancePlugin(ctx).pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert [i.check_id for i in items] == [
        "VID-VAL-001",  # needs no job: runs while the jobs render
        "VID-CREATE-003",  # the main job
        "VID-REMIX-001",  # a remix finishes last
        "VID-VAL-011",  # late, and needs no job
        "VID-OBJ-001",  # late, a job's
        "VID-DEL-001",  # destructive: last of all
    ]

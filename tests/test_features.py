"""Discover, then judge: what a run learns of the extended features from their routes."""

from __future__ import annotations

import httpx
import pytest

from conformance.client import Response
from conformance.features import FeatureMap, Unsupported
from conformance.report.model import Exchange


def _answer(status: int, content_type: str = "application/json") -> Response:
    return Response(
        method="GET",
        url="https://vendor.test/v1/videos",
        status=status,
        headers=httpx.Headers({"content-type": content_type}),
        content=b"{}",
        exchange=Exchange(method="GET", url="https://vendor.test/v1/videos"),
    )


def test_unmentioned_feature_is_detected_by_any_answer_but_not_offered() -> None:
    features = FeatureMap(frozenset(), frozenset())
    assert features.state("list") == "untested" and not features.offered("list")
    features.judge_route("list", _answer(500), "GET /videos")  # judged, not excused
    assert features.state("list") == "detected" and features.offered("list")


@pytest.mark.parametrize("status", [404, 405, 501])
def test_unmentioned_feature_whose_route_is_missing_is_unsupported(status: int) -> None:
    features = FeatureMap(frozenset(), frozenset())
    with pytest.raises(Unsupported, match=rf"delete is not offered: .* answered {status}"):
        features.judge_route("delete", _answer(status), "DELETE of a finished job")
    assert features.state("delete") == "absent"
    with pytest.raises(Unsupported, match="not offered"):
        features.require("delete")  # the other delete checks follow without a request


def test_claimed_feature_whose_route_is_missing_fails() -> None:
    features = FeatureMap(frozenset({"remix"}), frozenset())
    with pytest.raises(AssertionError, match=r"the profile declares remix, but .* answered 404"):
        features.judge_route("remix", _answer(404), "remix of the main job")
    assert features.state("remix") == "declared"


def test_denied_feature_is_never_exercised() -> None:
    features = FeatureMap(frozenset(), frozenset({"variants"}))
    with pytest.raises(Unsupported, match="declares 'variants' absent"):
        features.require("variants")


def test_image_refusal_of_the_file_part_means_not_offered_but_list_400_is_judged() -> None:
    features = FeatureMap(frozenset(), frozenset())
    assert not features.observe("image_to_video", _answer(400), "create with input_reference")
    assert features.state("image_to_video") == "absent"
    assert features.observe("list", _answer(400), "GET /videos")
    assert features.state("list") == "detected"


def test_once_detected_a_later_missing_answer_does_not_undo_it() -> None:
    features = FeatureMap(frozenset(), frozenset())
    features.observe("variants", _answer(200, "image/webp"), "variant=thumbnail")
    assert not features.observe("variants", _answer(404), "variant=spritesheet")
    assert features.state("variants") == "detected"
    report = features.to_report()
    assert report["variants"] == {"state": "detected", "evidence": "variant=thumbnail answered 200"}

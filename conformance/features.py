"""Which extended features the provider offers: declared by its profile, or found out in the run.

A profile can claim a feature (``features = [...]``), declare it absent (``absent_features``), or
say nothing. Nothing said is the usual case (a bare ``--base-url``), so an unmentioned feature is
exercised like a claimed one and its route's answer decides: a status that says "no such route"
makes it ``absent`` (the checks end ``unsupported``), anything else makes it ``detected`` and the
checks judge it exactly as they would a claimed one. A claimed feature whose route answers "no
such route" is a broken claim, which fails.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from conformance.client import Response

FeatureState = Literal["declared", "detected", "absent", "denied", "untested"]

NOT_OFFERED: dict[str, tuple[int, ...]] = {
    "list": (404, 405, 501),
    "delete": (404, 405, 501),
    "remix": (404, 405, 501),
    # A provider without image input refuses the unknown file part: 400/415/422 are as good a
    # "not offered" as a missing route, since the same create without the file is accepted.
    "image_to_video": (400, 404, 405, 415, 422, 501),
    # A provider without variants refuses the query value it does not know.
    "variants": (400, 404, 405, 415, 422, 501),
}
"""Per feature, the statuses of its route that mean "not offered" rather than "broken"."""


class Unsupported(Exception):
    """The target does not offer the feature this check needs (declared absent, or its route
    answered "not offered" and the profile did not claim it)."""


@dataclass
class FeatureRecord:
    """What the run knows of one extended feature."""

    state: FeatureState
    evidence: str = ""


class FeatureMap:
    """The run's knowledge of the extended features; thread-safe (checks and the pool share it)."""

    def __init__(self, declared: frozenset[str], denied: frozenset[str]) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, FeatureRecord] = {}
        for feature in NOT_OFFERED:
            if feature in denied:
                state: FeatureState = "denied"
            elif feature in declared:
                state = "declared"
            else:
                state = "untested"
            self._records[feature] = FeatureRecord(state)

    def state(self, feature: str) -> FeatureState:
        with self._lock:
            return self._records[feature].state

    def claimed(self, feature: str) -> bool:
        return self.state(feature) == "declared"

    def require(self, feature: str) -> None:
        """Raise ``Unsupported`` when the feature is declared or found absent."""
        record = self._records[feature]
        if record.state == "denied":
            raise Unsupported(f"the profile declares {feature!r} absent")
        if record.state == "absent":
            raise Unsupported(f"{feature} is not offered: {record.evidence}")

    def offered(self, feature: str) -> bool:
        """Known to be offered: claimed, or its route answered in this run."""
        return self.state(feature) in ("declared", "detected")

    def observe(self, feature: str, response: Response, what: str) -> bool:
        """Record what an answer of ``feature``'s route says; never raises. True: offered."""
        try:
            self.judge_route(feature, response, what)
        except (Unsupported, AssertionError):
            return False
        return True

    def judge_route(self, feature: str, response: Response, what: str) -> None:
        """Learn from the first answer of ``feature``'s route; ``what`` names the request.

        Raises ``Unsupported`` when an unclaimed feature's route answers "not offered", and
        ``AssertionError`` when a claimed one does (a broken claim).
        """
        status = response.status
        if status not in NOT_OFFERED[feature]:
            with self._lock:
                record = self._records[feature]
                if record.state in ("untested", "absent"):
                    self._records[feature] = FeatureRecord("detected", f"{what} answered {status}")
            return
        answer = f"{what} answered {status} {response.content_type or ''}".strip()
        if self.claimed(feature):
            raise AssertionError(f"the profile declares {feature}, but {answer}")
        with self._lock:
            record = self._records[feature]
            if record.state != "detected":
                self._records[feature] = FeatureRecord("absent", answer)
        raise Unsupported(f"{feature} is not offered: {answer}")

    def to_report(self) -> dict[str, dict[str, str]]:
        """``{feature: {"state": ..., "evidence": ...}}`` for report.json."""
        with self._lock:
            return {
                name: {"state": r.state, "evidence": r.evidence}
                for name, r in sorted(self._records.items())
            }

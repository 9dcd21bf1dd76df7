"""report.json: the schema, the round trip and the atomic writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.errors import HarnessError, UsageError
from conformance.report.model import Report
from conformance.report.schema import load_report, validate
from conformance.report.writers import ARTIFACTS, write_all

from .factories import make_report, realistic_report, result


def test_a_realistic_report_matches_its_schema() -> None:
    assert validate(realistic_report().to_dict()) == []


def test_round_trip_keeps_every_field() -> None:
    data = realistic_report().to_dict()
    assert Report.from_dict(data).to_dict() == data


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.pop("checks"), "(top level)"),
        (lambda d: d["checks"][0].update(outcome="passed-ish"), "checks[0].outcome"),
        (lambda d: d["checks"][0].update(level="MUSTNT"), "checks[0].level"),
        (lambda d: d["checks"][0].update(surprise=1), "checks[0]"),
        (lambda d: d["checks"][0]["evidence"].append({"url": "/x"}), "checks[0].evidence[0]"),
        (lambda d: d.update(verdict="great"), "verdict"),
        (lambda d: d["summary"]["by_outcome"].pop("error"), "summary.by_outcome"),
        (lambda d: d["jobs"][0]["timeline"][0].pop("t"), "jobs[0].timeline[0]"),
        (lambda d: d.update(format=2), "format"),
    ],
)
def test_schema_names_where_a_bad_document_breaks(mutate, where: str) -> None:
    checks = [result("VID-LIFE-001", "failed", "x", evidence=[])]
    data = make_report(checks).to_dict()
    mutate(data)
    problems = validate(data)
    assert problems, "the document should be invalid"
    assert any(p.startswith(where) for p in problems), problems


def test_foreign_json_is_not_a_report() -> None:
    assert validate({"name": "left-pad", "version": "1.3.0"})
    assert validate([1, 2, 3])


def test_write_all_writes_every_artifact_and_loads_back(tmp_path: Path) -> None:
    report = realistic_report()
    paths = write_all(report, tmp_path / "new" / "dir")
    assert sorted(paths) == sorted(ARTIFACTS)
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    assert load_report(paths["report.json"]).to_dict() == report.to_dict()
    leftovers = [p.name for p in (tmp_path / "new" / "dir").iterdir() if p.name not in ARTIFACTS]
    assert leftovers == []


@pytest.mark.parametrize(("field", "value"), [("outcome", "weird"), ("feature", "")])
def test_write_all_refuses_a_report_that_breaks_the_schema_and_keeps_the_old_one(
    tmp_path: Path, field: str, value: str
) -> None:
    write_all(make_report(), tmp_path)
    before = {name: (tmp_path / name).read_text() for name in ARTIFACTS}
    bad = make_report([result("VID-CREATE-001", "passed")])
    setattr(bad.checks[0], field, value)
    with pytest.raises(HarnessError, match="schema"):
        write_all(bad, tmp_path)
    assert {name: (tmp_path / name).read_text() for name in ARTIFACTS} == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not JSON"),
        ('{"name": "left-pad"}', "not a video-conformance report"),
        ('{"format": 7, "checks": []}', "format 7 is not supported"),
        ("\udcff", "cannot read"),
    ],
)
def test_load_report_gives_one_line_errors(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(UsageError, match=expected) as caught:
        load_report(path)
    assert "\n" not in str(caught.value)


def test_load_report_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_report(tmp_path / "absent.json")


def test_report_json_is_plain_json(tmp_path: Path) -> None:
    path = write_all(realistic_report(), tmp_path)["report.json"]
    data = json.loads(path.read_text())
    assert data["verdict"] == "nonconformant"
    assert data["summary"]["by_outcome"]["failed"] == 5
    assert data["billing"]["jobs_created"] == 3


def test_billing_and_fuzz_sections_are_typed_and_keep_their_json_shape() -> None:
    from conformance.report.model import Billing, FuzzSection

    billing = {
        "jobs_created": 2,
        "billable_seconds": 8,
        "estimated_cost": None,
        "max_jobs": 8,
        "max_video_seconds": 64,
        "refused_by_budget": ["probe:VID-VAL-001"],
        "cleanup": ["deleted video_1"],
    }
    assert Billing.from_dict(billing).to_dict() == billing
    assert Billing.from_dict(billing).refused_by_budget == ["probe:VID-VAL-001"]
    older = {"jobs_created": 1, "billable_seconds": 4}  # an old report without the limits
    assert Billing.from_dict(older).max_jobs is None
    fuzz = {"seed": 7, "requests_per_operation": {"GET /videos": 3}, "from_a_newer_tool": 1}
    section = FuzzSection.from_dict(fuzz)
    assert section.seed == 7 and section.extra == {"from_a_newer_tool": 1}
    assert section.to_dict() == fuzz
    assert FuzzSection(skipped="disabled (--no-fuzz)").to_dict() == {
        "skipped": "disabled (--no-fuzz)"
    }
    assert FuzzSection().empty and not section.empty

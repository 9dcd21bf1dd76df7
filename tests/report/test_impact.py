"""The per-client table and verdict: which clients a failure breaks, and "will my code work?"."""

from __future__ import annotations

import json

from conformance import catalog, impact
from conformance.commands.checks import render_json, render_markdown
from conformance.fuzz.catalog import PROPERTY_CHECKS
from tests.report.factories import make_report, passing_checks, replace, result


def _verdicts(report: object) -> dict[str, impact.ClientResult]:
    return {r.client.name: r for r in impact.client_results(report)}  # type: ignore[arg-type]


def test_every_catalogue_id_has_an_entry_and_no_entry_names_an_unknown_id() -> None:
    known = set(catalog.CHECKS) | set(PROPERTY_CHECKS)
    assert set(impact.IMPACTS) == known
    assert known - set(impact.IMPACTS) == set()


def test_every_entry_names_known_clients_and_says_what_the_user_sees() -> None:
    for check_id, entry in impact.IMPACTS.items():
        assert entry.breaks <= set(impact.CLIENT_NAMES), check_id
        assert entry.sees.strip(), check_id
        assert "\n" not in entry.sees, check_id


def test_deciding_checks_exist_in_the_catalogue() -> None:
    for client in impact.CLIENTS:
        assert client.deciding, client.name
        assert set(client.deciding) <= set(catalog.CHECKS), client.name


def test_catalogue_exposes_the_table() -> None:
    entry = impact.breaks("VID-LIFE-009")
    assert entry is not None
    assert entry.breaks == {"openai-python", "openai-python-strict"}
    assert impact.breaks("VID-NOPE-001") is None


def test_every_client_works_when_every_check_passed() -> None:
    verdicts = _verdicts(make_report())
    assert {name: r.verdict for name, r in verdicts.items()} == dict.fromkeys(
        impact.CLIENT_NAMES, "works"
    )


def test_omitted_nullable_keys_break_only_schema_bound_clients() -> None:
    checks = replace(
        passing_checks(),
        result("VID-OBJ-001", "failed", "completed_at is missing"),
        result("VID-SDK-002", "failed", "APIResponseValidationError: completed_at"),
    )
    verdicts = _verdicts(make_report(checks))
    assert verdicts["openai-python"].verdict == "works"
    assert verdicts["openai-node"].verdict == "works"
    assert verdicts["http"].verdict == "works"
    assert verdicts["openai-python-strict"].verdict == "breaks"
    assert verdicts["typed"].verdict == "breaks"
    assert [b.check_id for b in verdicts["typed"].breakages] == ["VID-OBJ-001", "VID-SDK-002"]


def test_an_unknown_status_word_breaks_everyone_with_what_the_user_sees() -> None:
    checks = replace(passing_checks(), result("VID-LIFE-001", "failed", "status 'processing' seen"))
    verdicts = _verdicts(make_report(checks))
    assert all(r.verdict == "breaks" for r in verdicts.values())
    breakage = verdicts["openai-node"].breakages[0]
    assert breakage.check_id == "VID-LIFE-001"
    assert "returns at once" in breakage.sees
    assert breakage.message == "status 'processing' seen"


def test_an_extension_failure_or_an_open_route_breaks_no_client() -> None:
    checks = replace(
        passing_checks(),
        result("VID-VAL-001", "failed", "accepted", kind="extension"),
        result("VID-AUTH-001", "failed", "GET /videos answered 200 without a key"),
    )
    assert all(r.verdict == "works" for r in _verdicts(make_report(checks)).values())


def test_a_deciding_check_that_did_not_run_leaves_the_client_not_judged() -> None:
    checks = [c for c in passing_checks() if c.id != "VID-SDK-004"]
    checks = replace(checks, result("VID-SDK-002", "skipped", "not selected"))
    verdicts = _verdicts(make_report(checks))
    assert verdicts["openai-node"].verdict == "not judged"
    assert verdicts["openai-node"].undecided == ["VID-SDK-004 (not run)"]
    assert verdicts["openai-python-strict"].undecided == ["VID-SDK-002 (skipped)"]
    assert "did not run" in verdicts["openai-node"].reason
    assert verdicts["openai-python"].verdict == "works"


def test_breaks_wins_over_not_judged() -> None:
    checks = replace(
        passing_checks(),
        result("VID-SDK-004", "error", "node crashed"),
        result("VID-CREATE-002", "failed", "multipart create answered 415"),
    )
    assert _verdicts(make_report(checks))["openai-node"].verdict == "breaks"


def test_an_incomplete_run_judges_no_client() -> None:
    verdicts = _verdicts(make_report(complete=False))
    assert all(r.verdict == "not judged" for r in verdicts.values())
    assert verdicts["http"].reason == "the run was cut short: no client is judged"


def test_the_catalogue_in_json_and_markdown_names_the_clients() -> None:
    entries = {c["id"]: c for c in json.loads(render_json())["checks"]}
    assert entries["VID-OBJ-001"]["breaks"] == ["openai-python-strict", "typed"]
    assert entries["VID-AUTH-001"]["breaks"] == []
    assert entries["VID-LIFE-009"]["user_sees"].startswith("create_and_poll raises ValueError")
    rows = {line.split(" | ")[0]: line for line in render_markdown().splitlines()}
    assert " | typed, http | " in rows["| VID-CREATE-001"]
    assert " | all | " in rows["| VID-LIFE-001"]
    assert " | none | " in rows["| VID-AUTH-001"]


def test_clients_section_is_plain_data() -> None:
    prop = PROPERTY_CHECKS["PROP-GETVIDEO-CONTENT-TYPE"].result("failed", "text/html")
    checks = [*passing_checks(), prop]
    section = impact.clients_section(make_report(checks))
    by_name = {s["client"]: s for s in section}
    assert [s["client"] for s in section] == list(impact.CLIENT_NAMES)
    assert by_name["openai-python"]["verdict"] == "works"
    node = by_name["openai-node"]
    assert node["verdict"] == "breaks"
    assert node["breaks"][0]["check"] == "PROP-GETVIDEO-CONTENT-TYPE"
    assert "string" in node["breaks"][0]["sees"]

"""report.html, junit.xml and summary.md: escaping, secrets, counts, content."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conformance import SUITE_VERSION, catalog
from conformance.redact import register_secret
from conformance.report.writers import write_all

from .factories import (
    HOSTILE_BODY,
    exchange,
    job,
    make_report,
    passing_checks,
    realistic_report,
    replace,
    result,
)

SECRET = "zq-live-7d1f0c9e8b"


def test_html_escapes_a_hostile_vendor_body(tmp_path: Path) -> None:
    html = write_all(realistic_report(), tmp_path)["report.html"].read_text()
    assert HOSTILE_BODY not in html
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in html


def test_no_artifact_contains_a_registered_secret(tmp_path: Path) -> None:
    register_secret(SECRET)
    leaky = result(
        "VID-AUTH-002",
        "failed",
        f"the vendor echoed the key {SECRET}",
        evidence=[
            exchange(
                "GET",
                f"/videos?key={SECRET}",
                200,
                f'{{"key": "{SECRET}"}}',
                request_headers={"x-api-key": SECRET},
            )
        ],
        details={"echo": SECRET},
    )
    report = make_report(replace(passing_checks(), leaky), harness_errors=[f"oops {SECRET}"])
    report.target["note"] = SECRET
    paths = write_all(report, tmp_path)
    for path in paths.values():
        assert SECRET not in path.read_text(), path.name


def test_html_puts_the_verdict_first_and_failures_before_the_table(tmp_path: Path) -> None:
    html = write_all(realistic_report(), tmp_path)["report.html"].read_text()
    verdict = html.index("NOT CONFORMANT")
    assert verdict < html.index("Failures and errors") < html.index("All checks")
    assert html.index('id="fail-VID-CONTENT-005"') < html.index('id="checks"')
    assert "3 MUST rules of the contract failed" in html
    # The catalogue's "why it matters" of a failing check.
    assert "download_content never checks status" in html


def test_html_shows_poster_timeline_billing_fuzz_and_deferred(tmp_path: Path) -> None:
    html = write_all(realistic_report(), tmp_path)["report.html"].read_text()
    assert html.count('src="data:image/png;base64,') == 1  # the failed job has no poster
    assert html.count('<svg class="timeline"') == 2
    assert "no poster frame" in html
    assert "billable seconds" in html and "$1.20" in html
    assert "requests per operation" in html and "1234" in html
    assert "Deferred checks" in html and "VID-EXP-001" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # no external asset


def test_a_poster_that_is_not_a_png_is_not_embedded(tmp_path: Path) -> None:
    bad = job()
    bad.poster_png_base64 = 'AAAA" onload="alert(1)'
    html = write_all(make_report(jobs=[bad]), tmp_path)["report.html"].read_text()
    assert "data:image/png" not in html and 'onload="alert(1)' not in html


def test_odd_timeline_values_are_drawn_not_dropped(tmp_path: Path) -> None:
    odd = job()
    odd.timeline[2].status = "processing"
    odd.timeline[2].progress = "45%"
    html = write_all(make_report(jobs=[odd]), tmp_path)["report.html"].read_text()
    assert 'class="odd"' in html and "&#39;45%&#39;" in html


def test_a_feature_that_never_ran_is_not_shown_as_passing(tmp_path: Path) -> None:
    checks = [c for c in passing_checks() if c.feature != "list"]
    checks = replace(checks, result("VID-DEL-001", "skipped"), result("VID-DEL-002", "skipped"))
    checks = [c for c in checks if c.id != "VID-ERR-003"]
    paths = write_all(make_report(checks), tmp_path)
    html = paths["report.html"].read_text()
    for feature in ("list", "delete"):
        block = html[html.index(f"<h3>{feature}</h3>") :]
        assert "fs-not-run" in block[:200]
    assert "| list | ⬜ not run |" in paths["summary.md"].read_text()


def test_junit_has_one_testcase_per_check_and_the_right_counts(tmp_path: Path) -> None:
    report = realistic_report()
    root = ET.parse(write_all(report, tmp_path)["junit.xml"]).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(report.checks) == int(suite.get("tests", "0"))
    # 5 failed: 4 violations + the MAY failure; extensions never fail.
    assert len(suite.findall("testcase/failure")) == int(suite.get("failures", "-1")) == 5
    assert len(suite.findall("testcase/error")) == int(suite.get("errors", "-1")) == 1
    assert len(suite.findall("testcase/skipped")) == int(suite.get("skipped", "-1")) == 5
    by_name = {c.get("name", "").split()[0]: c for c in cases}
    life = by_name["VID-LIFE-001"]
    assert life.get("classname") == "lifecycle"
    failure = life.find("failure")
    assert failure is not None and failure.get("type") == "MUST"
    skipped = by_name["VID-REMIX-001"].find("skipped")
    assert skipped is not None and "not declared" in skipped.get("message", "")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["tool.version"] == "0.1.0" and props["tool.suite_version"] == SUITE_VERSION
    assert props["target.base_url"] == "https://api.sciforium.example/v1"


def test_junit_survives_control_characters_in_vendor_bodies(tmp_path: Path) -> None:
    dirty = result(
        "VID-OBJ-001",
        "failed",
        "bad\x00byte\x1b[31m",
        evidence=[exchange("GET", "/videos/x", 200, "\x07bell")],
    )
    path = write_all(make_report(replace(passing_checks(), dirty)), tmp_path)["junit.xml"]
    assert ET.parse(path).getroot().find("testsuite/testcase/failure") is not None


def test_summary_markdown_has_verdict_counts_and_escaped_failures(tmp_path: Path) -> None:
    hostile = result("VID-OBJ-001", "failed", "a | b <img src=x>")
    text = write_all(make_report(replace(passing_checks(), hostile)), tmp_path)[
        "summary.md"
    ].read_text()
    assert text.startswith("## ❌ acme: Not conformant")
    must = sum(1 for c in catalog.CHECKS.values() if c.level == "MUST")
    assert f"| MUST | {must - 1} | 1 | 0 | 0 | 0 |" in text
    assert "a \\| b \\<img src=x\\>" in text
    assert "**Billing:** 3 job(s) created, 12 billable second(s), estimated cost $1.20." in text


def test_notes_are_listed_under_notes_in_every_view(tmp_path: Path) -> None:
    note = result("VID-CONTENT-006", message="/content answered 302 to another origin", kind="note")
    written = write_all(make_report(replace(passing_checks(), note)), tmp_path)
    html = written["report.html"].read_text()
    assert "<h2>Notes</h2>" in html and "/content answered 302 to another origin" in html
    summary = written["summary.md"].read_text()
    assert "### Notes" in summary and "VID-CONTENT-006" in summary.split("### Notes")[1]
    case = next(
        c
        for c in ET.parse(written["junit.xml"]).iter("testcase")
        if c.get("name", "").startswith("VID-CONTENT-006")
    )
    out = case.find("system-out")
    assert out is not None and (out.text or "").startswith("note (passed)")
    assert case.find("failure") is None


def test_a_report_without_notes_has_no_notes_section(tmp_path: Path) -> None:
    written = write_all(make_report(passing_checks()), tmp_path)
    assert "<h2>Notes</h2>" not in written["report.html"].read_text()
    assert "### Notes" not in written["summary.md"].read_text()

def test_target_settings_read_as_text_not_python() -> None:
    from conformance.report.html import setting_text

    assert setting_text(["json", "multipart"]) == "json, multipart"
    assert setting_text({"seconds": ["2"], "sizes": []}) == "seconds 2"
    assert setting_text({"job": 900.0, "request": 60.5}) == "job 900; request 60.5"
    assert setting_text(True) == "yes"
    assert setting_text({"seconds": [], "sizes": []}) == ""
    assert setting_text(None) == ""


def _ordered_report():
    from conformance.report.model import CheckResult

    from .factories import make_report, passing_checks, replace, result

    curl = "curl -X POST -H 'Authorization: Bearer [REDACTED]' http://h/v1/videos -d '{}'"
    prop = CheckResult(
        id="PROP-CREATEVIDEO-SERVER-ERROR",
        title="createVideo never answers 5xx",
        level="MUST",
        feature="properties",
        outcome="failed",
        message=(
            "POST /videos (negative fuzzing case): ST108 Server error\n"
            + "x" * 3000
            + "\n// Output truncated\nReproduce with: "
            + curl
        ),
        reference="api §6",
        details={"curl": curl, "failing_requests": 7},
    )
    checks = replace(
        passing_checks(),
        result("VID-OBJ-001", "failed", 'param null, expected "size"'),
        result("VID-ERR-005", "failed", "error envelope lacks code"),
    )
    return make_report([*checks, prop])


def test_html_leads_with_must_then_should_then_collapsed_property_findings() -> None:
    from conformance import catalog
    from conformance.report.html import property_findings, render_html

    report = _ordered_report()
    levels = {c.id: catalog.get(c.id).level for c in report.checks if c.id.startswith("VID-")}
    html = render_html(report)
    must = html.index("MUST failures")
    finding = html.index("Property findings")
    assert must < finding
    if "SHOULD" in {levels["VID-OBJ-001"], levels["VID-ERR-005"]}:
        assert must < html.index("SHOULD failures") < finding
    # the engine's dump sits inside a closed <details>, after the one-line summary and the curl
    (collapsed,) = property_findings(report)
    assert collapsed.first == "POST /videos (negative fuzzing case): ST108 Server error"
    assert collapsed.count == 7
    assert html.index("ST108 Server error") < html.index("// Output truncated")
    assert '<pre class="curl">curl -X POST' in html
    assert "7 failing requests" in html


def test_html_references_are_links_to_quoted_sections() -> None:
    from conformance import catalog
    from conformance.report import references
    from conformance.report.html import render_html

    report = _ordered_report()
    html = render_html(report)
    for check in report.checks:
        if check.outcome != "failed":
            continue
        for citation in references.citations(check.reference):
            assert f'href="#{citation.anchor}"' in html
            if references.excerpt(citation) is not None:
                assert f'id="{citation.anchor}"' in html
    assert catalog.get("VID-OBJ-001").reference  # every check cites something
    assert '<h2 id="references">References</h2>' in html


def test_every_catalogue_reference_resolves_in_the_shipped_documents() -> None:
    from conformance import catalog
    from conformance.fuzz.catalog import PROPERTY_CHECKS
    from conformance.report import references

    entries = [*catalog.CHECKS.values(), *PROPERTY_CHECKS.values()]
    missing = {
        f"{c.id}: {cit.doc} {cit.label}"
        for c in entries
        for cit in references.citations(c.reference)
        if references.excerpt(cit) is None
    }
    assert not missing


def test_reference_parsing_keeps_the_text_around_citations() -> None:
    from conformance.report.references import Citation, parse

    assert parse("api §2.1, §6, dev D6") == [
        "api ",
        Citation("api", "2.1"),
        ", ",
        Citation("api", "6"),
        ", dev ",
        Citation("dev", "D6"),
    ]
    assert parse("profile [extensions]") == ["profile [extensions]"]


def test_report_links_the_pytest_html_page_when_the_session_wrote_one(tmp_path) -> None:
    from conformance.report.writers import write_all

    from .factories import make_report

    write_all(make_report(), tmp_path)
    assert 'href="pytest.html"' not in (tmp_path / "report.html").read_text(encoding="utf-8")
    (tmp_path / "pytest.html").write_text("<html></html>", encoding="utf-8")
    write_all(make_report(), tmp_path)
    assert 'href="pytest.html"' in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_values_render_as_json_never_python() -> None:
    from conformance.report.html import json_text, render_html
    from conformance.report.model import FuzzSection

    from .factories import make_report

    assert [json_text(v) for v in (None, True, ["a"], 3, "text")] == [
        "null",
        "true",
        '["a"]',
        "3",
        "text",
    ]
    report = make_report()
    report.fuzz = FuzzSection.from_dict(
        {"seed": None, "stopped": ["createVideo"], "by_operation": {"x": None}}
    )
    report.deferred = [{"id": "VID-EXP-001", "video_id": None}]
    html = render_html(report)
    assert "None" not in html and "[&#39;" not in html
    assert "null" in html and "[&#34;createVideo&#34;]" in html

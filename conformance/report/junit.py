"""``junit.xml`` for CI test reporters: one testcase per check, classname = feature."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from conformance.report.model import CheckResult, Exchange, Report

# XML 1.0 forbids most control characters; vendor bodies may contain any byte.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _exchange_summary(exchange: Exchange) -> str:
    answer = exchange.error or f"HTTP {exchange.status}"
    body = (exchange.response_body or "").strip()
    if len(body) > 500:
        body = body[:500] + "…"
    return f"{exchange.method} {exchange.url} -> {answer}" + (f"\n{body}" if body else "")


def _body(check: CheckResult) -> str:
    parts = [check.message]
    if check.reference:
        parts.append(f"reference: {check.reference}")
    if check.details:
        parts.append(json.dumps(check.details, indent=2, ensure_ascii=False, default=str))
    parts.extend(_exchange_summary(e) for e in check.evidence)
    return "\n\n".join(p for p in parts if p)


def render_junit(report: Report) -> str:
    """The JUnit XML document for ``report``.

    failed violation → ``<failure type=LEVEL>``; error → ``<error>``; skipped and unsupported →
    ``<skipped>`` with the reason. Extension results never fail: they pass with a note.
    """
    summary = report.summary()["by_outcome"]
    extension_failures = sum(
        1 for c in report.checks if c.kind == "extension" and c.outcome == "failed"
    )
    suites = ET.Element("testsuites", name="video-conformance")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"video-conformance: {report.target.get('name', 'target')}",
        tests=str(len(report.checks)),
        failures=str(summary["failed"] - extension_failures),
        errors=str(summary["error"]),
        skipped=str(summary["skipped"] + summary["unsupported"]),
        time=f"{report.duration_s:.3f}",
        timestamp=report.started_at,
    )
    props = ET.SubElement(suite, "properties")
    for key in ("name", "version", "suite_version", "spec_version"):
        if key in report.tool:
            ET.SubElement(
                props, "property", name=f"tool.{key}", value=_clean(str(report.tool[key]))
            )
    for key, value in sorted(report.target.items()):
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        ET.SubElement(props, "property", name=f"target.{key}", value=_clean(text))
    ET.SubElement(props, "property", name="verdict", value=report.verdict())
    ET.SubElement(props, "property", name="complete", value=str(report.complete).lower())

    for c in report.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=c.feature,
            name=_clean(f"{c.id} {c.title}"),
            time=f"{c.duration_s:.3f}",
        )
        message = _clean(c.message or c.outcome)
        if c.outcome == "failed" and c.kind == "violation":
            node = ET.SubElement(case, "failure", message=message, type=c.level)
            node.text = _clean(_body(c))
        elif c.outcome == "error":
            node = ET.SubElement(case, "error", message=message, type="harness")
            node.text = _clean(_body(c))
        elif c.outcome in ("skipped", "unsupported"):
            ET.SubElement(case, "skipped", message=_clean(f"{c.outcome}: {c.message}".rstrip(": ")))
        elif c.kind in ("extension", "note"):
            out = ET.SubElement(case, "system-out")
            out.text = _clean(f"{c.kind} ({c.outcome}): {c.message}")
    if report.harness_errors:
        ET.SubElement(suite, "system-err").text = _clean("\n".join(report.harness_errors))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"

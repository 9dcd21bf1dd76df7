"""The vendor matrix: several runs side by side (``matrix.html`` and ``matrix.md``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from conformance import catalog
from conformance.errors import UsageError
from conformance.impact import CLIENTS, ClientClass, ClientResult, client_results
from conformance.report.atomic import write_text_atomic
from conformance.report.html import environment
from conformance.report.markdown import CLIENT_MARKS, FEATURE_MARKS, VERDICT_MARKS, cell
from conformance.report.model import CheckResult, Report
from conformance.report.schema import load_report
from conformance.report.views import (
    VERDICT_LABELS,
    FeatureRollup,
    feature_rollup,
    format_cost,
    redacted_copy,
    sdk_drop_in,
    target_name,
    verdict_reason,
)

_CATALOGUE_ORDER = {check_id: i for i, check_id in enumerate(catalog.CHECKS)}
_VERDICT_RANK = {"conformant": 0, "partial": 1, "nonconformant": 2, "error": 3}
_MD_OUTCOME = {
    "passed": "✅",
    "failed": "❌",
    "error": "⚠️ error",
    "skipped": "⏭️ skipped",
    "unsupported": "n/a",
    None: "·",
}


@dataclass
class Column:
    """One vendor's run."""

    name: str
    report: Report
    link: str | None
    """report.html relative to the matrix, when it exists."""
    checks: dict[str, CheckResult]
    features: dict[str, FeatureRollup]

    @property
    def verdict(self) -> str:
        return self.report.verdict()


@dataclass
class ClientRow:
    """One client class across vendors: will it work against each of them?"""

    client: ClientClass
    cells: list[ClientResult]


def client_rows(columns: list[Column]) -> list[ClientRow]:
    """A row per client class, a cell per vendor (the "will my code work?" grid)."""
    per_vendor = [client_results(col.report) for col in columns]
    return [
        ClientRow(client, [results[i] for results in per_vendor])
        for i, client in enumerate(CLIENTS)
    ]


def _client_cell(result: ClientResult) -> str:
    mark = CLIENT_MARKS[result.verdict]
    if result.verdict == "breaks":
        ids = [b.check_id for b in result.breakages]
        more = f" +{len(ids) - 3}" if len(ids) > 3 else ""
        return f"{mark}: {', '.join(ids[:3])}{more}"
    return mark


@dataclass
class Row:
    """One check across vendors (``None``: that run has no result for it)."""

    id: str
    title: str
    level: str
    cells: list[CheckResult | None]


@dataclass
class FeatureGroup:
    """The checks of one feature, and each vendor's roll-up for it."""

    feature: str
    core: bool
    rollups: list[FeatureRollup]
    rows: list[Row] = field(default_factory=list)


@dataclass
class Matrix:
    """Vendors by checks, grouped by feature."""

    columns: list[Column]
    groups: list[FeatureGroup]
    suite_versions: list[str]
    warnings: list[str] = field(default_factory=list)


def _suite(report: Report) -> str:
    return str(report.tool.get("suite_version", "?"))


def build_matrix(paths: list[Path], out_dir: Path, *, allow_suite_mismatch: bool = False) -> Matrix:
    """Load ``paths`` (each a report.json) and line them up; mixed suite versions are refused."""
    if not paths:
        raise UsageError("compare needs at least one report.json")
    loaded: list[tuple[Path, Report]] = []
    seen: set[Path] = set()
    for path in paths:
        resolved = Path(path).resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        loaded.append((Path(path), redacted_copy(load_report(Path(path)))))
    versions = sorted({_suite(r) for _, r in loaded})
    warnings: list[str] = []
    if len(versions) > 1:
        listing = ", ".join(f"{target_name(r)}: {_suite(r)}" for _, r in loaded)
        if not allow_suite_mismatch:
            raise UsageError(
                f"reports come from different suite versions ({listing}); check ids may mean "
                "different things. Re-run them, or pass --allow-suite-mismatch"
            )
        warnings.append(
            f"WARNING: these runs use different suite versions ({listing}); a check id may not "
            "mean the same thing in every column."
        )
    incomplete = [target_name(r) for _, r in loaded if not r.complete]
    if incomplete:
        warnings.append(f"Incomplete runs (cut short, no verdict): {', '.join(incomplete)}.")

    # Best first, so a reader scanning for a provider to pick starts with the conformant ones.
    columns = sorted(_columns(loaded, out_dir), key=lambda c: (_VERDICT_RANK[c.verdict], c.name))
    return Matrix(columns, _groups(columns), versions, warnings)


def _columns(loaded: list[tuple[Path, Report]], out_dir: Path) -> list[Column]:
    names = [target_name(r) for _, r in loaded]
    columns = []
    for (path, report), name in zip(loaded, names, strict=True):
        if names.count(name) > 1:  # two runs of one vendor: tell them apart by directory
            name = f"{name} ({path.resolve().parent.name})"
        html = path.resolve().parent / "report.html"
        link = Path(os.path.relpath(html, out_dir.resolve())).as_posix() if html.exists() else None
        checks: dict[str, CheckResult] = {}
        for c in report.checks:
            checks.setdefault(c.id, c)
        features = {f.feature: f for f in feature_rollup(report)}
        columns.append(Column(name, report, link, checks, features))
    return columns


def _groups(columns: list[Column]) -> list[FeatureGroup]:
    features: list[str] = []
    for column in columns:
        for feature in column.features:
            if feature not in features:
                features.append(feature)
    groups = []
    for feature in features:
        ids: dict[str, CheckResult] = {}
        for column in columns:
            for c in column.checks.values():
                if c.feature == feature:
                    ids.setdefault(c.id, c)
        ordered = sorted(ids, key=lambda i: (_CATALOGUE_ORDER.get(i, len(_CATALOGUE_ORDER)), i))
        rows = [
            Row(i, ids[i].title, ids[i].level, [col.checks.get(i) for col in columns])
            for i in ordered
        ]
        rollups = [
            col.features.get(feature) or FeatureRollup(feature, "not run", False, {})
            for col in columns
        ]
        groups.append(FeatureGroup(feature, feature in catalog.CORE_FEATURES, rollups, rows))
    return groups


def render_matrix_html(matrix: Matrix) -> str:
    """``matrix.html``: self-contained, links to each vendor's report.html."""
    return (
        environment()
        .get_template("matrix.html.j2")
        .render(
            matrix=matrix,
            labels=VERDICT_LABELS,
            reason=verdict_reason,
            sdk=sdk_drop_in,
            cost=format_cost,
            client_rows=client_rows(matrix.columns),
        )
    )


def render_matrix_md(matrix: Matrix) -> str:
    """``matrix.md``: the same matrix for a README or a pull request."""
    cols = matrix.columns
    out = ["# Vendor conformance matrix", ""]
    out += [f"> {cell(w, 600)}" for w in matrix.warnings]
    if matrix.warnings:
        out.append("")
    out.append(f"Suite version {', '.join(matrix.suite_versions)}.")
    out += [
        "",
        "## Will my code work?",
        "",
        "| client | " + " | ".join(cell(c.name, 40) for c in cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for crow in client_rows(cols):
        out.append(
            f"| {cell(crow.client.label)} | "
            + " | ".join(cell(_client_cell(r), 120) for r in crow.cells)
            + " |"
        )
    out += ["", "## Verdicts"]
    out += [
        "",
        "| vendor | verdict | why | SDK drop-in | MUST failed | SHOULD failed | passed "
        "| est. cost | report |",
        "|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for col in cols:
        s = col.report.summary()
        link = f"[report.html]({col.link})" if col.link else "none"
        out.append(
            f"| {cell(col.name)} | {VERDICT_MARKS[col.verdict]} {VERDICT_LABELS[col.verdict]} | "
            f"{cell(verdict_reason(col.report), 200)} | {sdk_drop_in(col.report)} | "
            f"{s['by_level']['MUST']['failed']} | {s['by_level']['SHOULD']['failed']} | "
            f"{s['by_outcome']['passed']}/{s['total']} | "
            f"{cell(format_cost(col.report.billing))} | {link} |"
        )
    header = "| check | level | " + " | ".join(cell(c.name, 40) for c in cols) + " |"
    rule = "|---|---|" + "---|" * len(cols)
    for group in matrix.groups:
        core = " (core)" if group.core else ""
        out += ["", f"## {cell(group.feature)}{core}", ""]
        out.append(
            "Feature: "
            + ", ".join(
                f"{cell(c.name, 40)} {FEATURE_MARKS[r.status]}"
                for c, r in zip(cols, group.rollups, strict=True)
            )
        )
        out += ["", header, rule]
        for row in group.rows:
            marks = []
            for c in row.cells:
                mark = _MD_OUTCOME[c.outcome if c else None]
                if c is not None and c.kind == "extension":
                    mark += " ext"
                elif c is not None and c.kind == "note":
                    mark += " note"
                marks.append(mark)
            out.append(
                f"| {cell(row.id)} {cell(row.title, 70)} | {row.level} | "
                + " | ".join(marks)
                + " |"
            )
    out += [
        "",
        "✅ passed · ❌ failed · ⚠️ error (harness) · ⏭️ skipped · n/a unsupported "
        "· · not in that run",
    ]
    return "\n".join(out) + "\n"


def write_matrix(
    paths: list[Path], out_dir: Path, *, allow_suite_mismatch: bool = False
) -> tuple[Matrix, dict[str, Path]]:
    """Build the matrix and write ``matrix.html`` and ``matrix.md`` into ``out_dir``."""
    matrix = build_matrix(paths, out_dir, allow_suite_mismatch=allow_suite_mismatch)
    texts = {"matrix.html": render_matrix_html(matrix), "matrix.md": render_matrix_md(matrix)}
    try:
        written = {
            name: write_text_atomic(Path(out_dir) / name, text) for name, text in texts.items()
        }
    except OSError as exc:
        raise UsageError(f"cannot write the matrix to {out_dir}: {exc.strerror or exc}") from None
    return matrix, written

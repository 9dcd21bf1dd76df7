"""Run-to-run comparison: what regressed, what was fixed, what appeared and what vanished."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from conformance.errors import UsageError
from conformance.report.markdown import cell
from conformance.report.model import Outcome, Report
from conformance.report.views import target_name

_BAD: frozenset[Outcome] = frozenset({"failed", "error"})


@dataclass(frozen=True)
class Change:
    """One check whose outcome differs between the runs (``None``: absent from that run)."""

    id: str
    title: str
    old: Outcome | None
    new: Outcome | None
    message: str = ""


@dataclass
class RunDiff:
    """Two runs of the checker, check by check."""

    old_name: str
    new_name: str
    old_suite: str
    new_suite: str
    regressed: list[Change] = field(default_factory=list)
    """passed → failed or error."""
    fixed: list[Change] = field(default_factory=list)
    """failed or error → passed."""
    new: list[Change] = field(default_factory=list)
    """Only in the new run."""
    vanished: list[Change] = field(default_factory=list)
    """Only in the old run: a check that stopped running is lost coverage."""
    changed: list[Change] = field(default_factory=list)
    """Every other outcome change (passed → skipped, unsupported → failed, ...)."""
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when something regressed or vanished, else 0."""
        return 1 if self.regressed or self.vanished else 0

    def categories(self) -> dict[str, list[Change]]:
        return {
            "regressed": self.regressed,
            "vanished": self.vanished,
            "fixed": self.fixed,
            "new": self.new,
            "changed": self.changed,
        }


def diff_reports(old: Report, new: Report, *, allow_suite_mismatch: bool = False) -> RunDiff:
    """Compare two runs by check id; runs of different suite versions are refused unless allowed."""
    old_suite = str(old.tool.get("suite_version", "?"))
    new_suite = str(new.tool.get("suite_version", "?"))
    result = RunDiff(target_name(old), target_name(new), old_suite, new_suite)
    if different_targets(old, new):
        # Two vendors differ by design: their "regressions" are differences between vendors.
        result.warnings.append(
            f"WARNING: the runs checked different targets ({result.old_name} and "
            f"{result.new_name}); a regression below is a difference between the two, not a "
            "change over time"
        )
    if old_suite != new_suite:
        if not allow_suite_mismatch:
            raise UsageError(
                f"the runs use different suite versions ({old_suite} and {new_suite}); check ids "
                "may have changed meaning. Pass --allow-suite-mismatch to compare anyway"
            )
        result.warnings.append(
            f"WARNING: comparing suite version {old_suite} with {new_suite}: a check id may not "
            "mean the same thing in both runs"
        )
    for name, report in (("old", old), ("new", new)):
        if not report.complete:
            result.warnings.append(f"the {name} run was cut short: missing checks may be vanished")
    before = {c.id: c for c in old.checks}
    after = {c.id: c for c in new.checks}
    for check_id in sorted(before.keys() | after.keys()):
        o, n = before.get(check_id), after.get(check_id)
        source = n or o
        assert source is not None
        change = Change(
            check_id,
            source.title,
            o.outcome if o else None,
            n.outcome if n else None,
            n.message if n else "",
        )
        if o is None:
            result.new.append(change)
        elif n is None:
            result.vanished.append(change)
        elif o.outcome == n.outcome:
            continue
        elif o.outcome == "passed" and n.outcome in _BAD:
            result.regressed.append(change)
        elif o.outcome in _BAD and n.outcome == "passed":
            result.fixed.append(change)
        else:
            result.changed.append(change)
    return result


def different_targets(old: Report, new: Report) -> bool:
    """Whether two reports checked different targets (name or base URL differ)."""
    for key in ("name", "base_url"):
        a, b = old.target.get(key), new.target.get(key)
        if a and b and a != b:
            return True
    return False


def _arrow(c: Change) -> str:
    return f"{c.old or 'absent'} → {c.new or 'absent'}"


def format_text(d: RunDiff) -> str:
    """Plain text, one check per line, grouped by category."""
    lines = list(d.warnings)
    lines.append(f"{d.old_name} (suite {d.old_suite}) → {d.new_name} (suite {d.new_suite})")
    for name, changes in d.categories().items():
        lines.append(f"{name}: {len(changes)}")
        for c in changes:
            message = f": {' '.join(c.message.split())[:160]}" if c.message else ""
            lines.append(f"  {c.id} {_arrow(c)}  {c.title}{message}")
    verdict = "REGRESSION" if d.exit_code else "no regression"
    lines.append(f"{verdict}: {len(d.regressed)} regressed, {len(d.vanished)} vanished")
    return "\n".join(lines) + "\n"


def format_markdown(d: RunDiff) -> str:
    """Markdown for a CI summary or a pull-request comment."""
    out = [f"> **{cell(w, 400)}**" for w in d.warnings]
    if out:
        out.append("")
    out.append(
        f"### Run diff: {cell(d.old_name)} → {cell(d.new_name)} "
        f"({len(d.regressed)} regressed, {len(d.vanished)} vanished, {len(d.fixed)} fixed)"
    )
    for name, changes in d.categories().items():
        if not changes:
            continue
        out += [
            "",
            f"**{name}** ({len(changes)})",
            "",
            "| check | change | message |",
            "|---|---|---|",
        ]
        out += [
            f"| {cell(c.id)} {cell(c.title, 80)} | {_arrow(c)} | {cell(c.message)} |"
            for c in changes
        ]
    if not any(d.categories().values()):
        out += ["", "No check changed outcome."]
    return "\n".join(out) + "\n"


def format_json(d: RunDiff) -> str:
    """Machine-readable form: ``runs`` names both runs; each category a list of
    {id, title, old, new, message}."""
    # The runs live under their own key: a top-level "new" would collide with the category.
    data = {
        "runs": {
            "old": {"name": d.old_name, "suite_version": d.old_suite},
            "new": {"name": d.new_name, "suite_version": d.new_suite},
        },
        "warnings": d.warnings,
        **{name: [asdict(c) for c in changes] for name, changes in d.categories().items()},
        "exit_code": d.exit_code,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS = {"text": format_text, "markdown": format_markdown, "json": format_json}

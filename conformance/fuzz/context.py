"""What the property phase takes from the run and gives back (``conformance.fuzz``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from requests.adapters import BaseAdapter

from conformance.budget import Budget
from conformance.report.results import CheckResult


@dataclass
class PropertyContext:
    """Everything the phase needs from the run."""

    base_url: str
    """Ends in /v1."""
    auth_headers: dict[str, str]
    """The headers that authenticate; they hold the real key: never log them."""
    budget: Budget
    """Shared with the rest of the run: reserve() before anything that may bill."""
    completed_video: Callable[[], str | None]
    """Returns the id of a completed job of this run (or None), for the 200 paths of retrieve
    and content. Called once, when the phase reaches those paths, so the phase can start while
    the run's jobs are still rendering; it may block until a job completes."""
    seed: int | None
    """None: pick one and report it."""
    time_budget_s: float
    """Hard bound of the phase."""
    billable_positive: bool
    """Opt-in: positive generation of create and remix, and stateful runs that follow the
    contract's links from real jobs (``conformance.fuzz.stateful``), bounded by the budget."""
    request_timeout_s: float
    work_dir: Path
    """Scratch directory; nothing may leak between runs (no Hypothesis database)."""
    max_examples: int = 20
    """Fuzzed cases per operation (the coverage phase adds its own, deterministic ones)."""
    pinned_first: bool = False
    """Run the completed job's 200 paths right after the invalid creates, not after the
    generated cases: for a provider whose jobs finish in seconds and whose content lives only
    briefly (the bundled one), so the content is read while fresh and can expire during the
    phase. Against a vendor whose jobs take minutes the default order lets the generated cases
    use the wait."""
    http_adapter: BaseAdapter | None = None
    """A ``requests`` adapter the phase's session sends through (the run's recording);
    ``None``: requests' own."""


@dataclass
class PropertyPhaseResult:
    """What the phase found, for report.json (``checks``) and its ``fuzz`` section."""

    checks: list[CheckResult]
    seed: int
    requests_per_operation: dict[str, int]
    billable_jobs: int
    created_video_ids: list[str]
    duration_s: float

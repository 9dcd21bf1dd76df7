"""Everything a reference provider instance is started with (behaviour aside, no wire choices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conformance.provider.behaviour import Behaviour


@dataclass(frozen=True)
class ProviderConfig:
    """Settings of one reference provider instance.

    ``render_seconds`` is the wall time from create to completed, real encode included, as long
    as a render slot is free; a job that waited for a slot longer than that finishes as soon as
    its encode is done.
    """

    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    data_dir: Path | None = None
    """Where the SQLite database and media live; ``None`` = a fresh temp dir removed at stop."""
    render_seconds: float = 2.0
    ttl_seconds: int = 3600
    """How long after completion the content stays downloadable (``expires_at``)."""
    api_key: str | None = None
    """The key clients must send; ``None`` disables the auth check altogether."""
    fail_rate: float = 0.0
    """Probability that a job fails (decided at create, from ``seed``)."""
    max_concurrent_renders: int = 2
    """Jobs in progress at once; the rest wait ``queued`` for a slot."""
    render_workers: int | None = None
    """Worker processes that encode (``None`` = one per core, at most ``max_concurrent_renders``);
    jobs in progress share them, so a slot costs no CPU of its own."""
    queue_limit: int = 16
    """Most unfinished jobs at once; create beyond it answers 429 with ``Retry-After``."""
    fps: int = 8
    """Frame rate of rendered videos; low, so that encodes stay cheap."""
    behaviour: Behaviour = field(default_factory=Behaviour)
    seed: int | None = None
    """Seed of the ``fail_rate`` draws; ``None`` = not reproducible."""

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.port <= 65535:
            problems.append(f"port must be in 0..65535, got {self.port}")
        if not self.render_seconds >= 0:
            problems.append(f"render_seconds must be >= 0, got {self.render_seconds}")
        if self.ttl_seconds < 1:
            problems.append(f"ttl_seconds must be >= 1, got {self.ttl_seconds}")
        if not 0.0 <= self.fail_rate <= 1.0:
            problems.append(f"fail_rate must be in 0..1, got {self.fail_rate}")
        if self.max_concurrent_renders < 1:
            problems.append(
                f"max_concurrent_renders must be >= 1, got {self.max_concurrent_renders}"
            )
        if self.render_workers is not None and self.render_workers < 1:
            problems.append(f"render_workers must be >= 1, got {self.render_workers}")
        if self.queue_limit < 1:
            problems.append(f"queue_limit must be >= 1, got {self.queue_limit}")
        if not 1 <= self.fps <= 60:
            problems.append(f"fps must be in 1..60, got {self.fps}")
        if self.api_key is not None and not self.api_key:
            problems.append("api_key must not be empty (use None to disable auth)")
        if problems:
            raise ValueError("; ".join(problems))

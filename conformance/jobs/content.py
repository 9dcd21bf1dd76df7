"""A completed job's content: downloaded once (with its declared variants), probed once, and
the poster the report shows drawn last.

The checks read what this step keeps on the ``PoolJob`` (``content``, ``variants``,
``video_probe`` and the faults of a broken download), so no check downloads or decodes the
bytes again. The poster is drawn only after the job is marked done: the job's checks need not
wait for it, only the report does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from conformance.client import Client, ProviderFault
from conformance.features import FeatureMap
from conformance.jobs.model import PoolJob

if TYPE_CHECKING:
    from conformance.media import VideoProbe


class ContentStep:
    """The pool's downloads, probes and posters (one per pool; called from the job threads)."""

    def __init__(
        self,
        probe_video: Callable[[bytes], VideoProbe] | None = None,
        poster: Callable[[bytes], bytes | None] | None = None,
    ) -> None:
        """``probe_video``: how downloaded bytes are probed (``media.probe_video`` by default);
        ``poster``: draws the report's poster from them (none without it)."""
        if probe_video is None:
            # Imported here, not at the top: importing the jobs package (``plan`` does) need
            # not load PyAV.
            from conformance import media

            probe_video = media.probe_video
        self._probe_video: Callable[[bytes], VideoProbe] = probe_video
        self._poster = poster
        # Each job's bytes, kept from its probe until its poster is drawn.
        self._poster_sources: dict[str, bytes] = {}

    def download(self, client: Client, features: FeatureMap, job: PoolJob) -> None:
        """Download a completed job's content and declared variants through ``client``, then
        probe the content; ``features`` learns from the variants' answers."""
        assert job.video_id is not None
        try:
            job.content = client.content(job.video_id)
        except ProviderFault as exc:
            # The job completed; only its download broke: the content checks judge that.
            job.content_fault = exc
            return
        for variant in job.spec.variants:
            try:
                answer = client.content(job.video_id, variant=variant)
            except ProviderFault as exc:
                job.variant_faults[variant] = exc
                continue
            job.variants[variant] = answer
            features.observe("variants", answer, f"GET /content?variant={variant}")
        # Probed after every download: decoding takes a while, and a vendor's content may
        # expire soon after the job completed (the variants must not wait for it).
        if job.content.ok:
            self.probe(job, job.content.content)

    def probe(self, job: PoolJob, data: bytes) -> None:
        """Probe downloaded bytes once, for every check that judges them; the report's poster
        of them is drawn after the job is marked done (``draw_poster``)."""
        job.video_probe = self._probe_video(data)
        if self._poster is not None and data:
            self._poster_sources[job.purpose] = data

    def draw_poster(self, job: PoolJob) -> None:
        """The poster only the report shows: drawn once the job's checks may already run, so
        that the last job's checks do not wait for it (the report waits, in ``join``)."""
        data = self._poster_sources.pop(job.purpose, None)
        if data is None or self._poster is None:
            return
        with contextlib.suppress(Exception):  # a report without a poster is still a report
            job.poster_png = self._poster(data)

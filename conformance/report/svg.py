"""Inline SVG pictures for the HTML views (no external assets: reports open from file://)."""

from __future__ import annotations

from markupsafe import Markup, escape

from conformance.report.model import JobRecord

STATUS_COLOURS = {
    "queued": "#8c959f",
    "in_progress": "#0969da",
    "completed": "#1a7f37",
    "failed": "#cf222e",
}
OFF_CONTRACT_COLOUR = "#8250df"
"""A status word outside the contract's four (``processing``, ``succeeded``...)."""


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def status_colour(status: object) -> str:
    """The colour a status is drawn in; anything off-contract gets one loud colour."""
    return (
        STATUS_COLOURS.get(status, OFF_CONTRACT_COLOUR)
        if isinstance(status, str)
        else OFF_CONTRACT_COLOUR
    )


def timeline_svg(job: JobRecord, width: int = 640, height: int = 124) -> Markup:
    """The job's polls: a status band along the time axis and its progress (0-100) above it.

    Samples whose progress is not a number (``"45%"``, ``null``) are drawn as hollow marks on
    the axis, so a vendor's odd values show instead of vanishing.
    """
    samples = sorted(job.timeline, key=lambda s: s.t)
    if not samples:
        return Markup('<p class="muted">No polls were recorded for this job.</p>')
    left, right, top, band, bottom = 40, 12, 10, 14, 22
    plot_h = height - top - band - bottom - 6
    # Headroom after the last poll so its (terminal) status stays visible on the band.
    t_max = max(samples[-1].t, 0.001) * 1.04
    span = width - left - right

    def x(t: float) -> float:
        return left + span * max(t, 0.0) / t_max

    def y(progress: float) -> float:
        return top + plot_h * (1 - min(max(progress, 0.0), 100.0) / 100)

    parts = [
        f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="status and progress of job {escape(job.video_id or "")} over time" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'class="axis"/>',
        f'<text x="{left - 4}" y="{top + 4}" class="tick" text-anchor="end">100</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" class="tick" text-anchor="end">0</text>',
        f'<line x1="{left}" y1="{y(50):.1f}" x2="{width - right}" y2="{y(50):.1f}" class="grid"/>',
    ]
    band_y = top + plot_h + 6
    for i, s in enumerate(samples):
        end = samples[i + 1].t if i + 1 < len(samples) else t_max
        w = max(x(end) - x(s.t), 1.5)
        label = escape(f"{s.status!r} from {s.t:.1f} s")
        parts.append(
            f'<rect x="{x(s.t):.1f}" y="{band_y}" width="{w:.1f}" height="{band}" '
            f'fill="{status_colour(s.status)}"><title>{label}</title></rect>'
        )
    points = [(x(s.t), y(p)) for s in samples if (p := _number(s.progress)) is not None]
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" class="progress"/>')
    for s in samples:
        p = _number(s.progress)
        tip = escape(f"t={s.t:.1f} s  status={s.status!r}  progress={s.progress!r}")
        if p is None:
            parts.append(
                f'<circle cx="{x(s.t):.1f}" cy="{top + plot_h:.1f}" r="3.5" class="odd">'
                f"<title>{tip}</title></circle>"
            )
        else:
            parts.append(
                f'<circle cx="{x(s.t):.1f}" cy="{y(p):.1f}" r="3" fill="{status_colour(s.status)}">'
                f"<title>{tip}</title></circle>"
            )
    parts += [
        f'<text x="{left}" y="{height - 4}" class="tick">0 s</text>',
        f'<text x="{x(samples[-1].t):.1f}" y="{height - 4}" class="tick" text-anchor="end">'
        f"{samples[-1].t:.1f} s</text>",
        f'<text x="{(left + width - right) / 2:.0f}" y="{height - 4}" class="tick" '
        f'text-anchor="middle">{len(samples)} polls</text>',
        "</svg>",
    ]
    return Markup("".join(parts))

"""The Satisfaction Index's trend as inline SVG, drawn like the SLA report's charts (the same
axis, markup helpers and escaping from helpdesk.reports.charts): nothing fetched, no script."""

import math

from django.utils.safestring import SafeString, mark_safe

from helpdesk.reports.charts import FONT, _percent_axis, _svg, _tag

# Okabe–Ito colours; the index is drawn thicker than the measures it combines.
SERIES = {
    "index": ("Satisfaction Index", "#000000", 3.5),
    "csat": ("CSAT %", "#0072B2", 2),
    "nps": ("NPS (as 0–100)", "#E69F00", 2),
    "ces": ("CES (as 0–100)", "#009E73", 2),
}


def satisfaction_trend_chart(
    labels: list[str], series: dict[str, list[float | None]]
) -> SafeString:
    """Each series per period on the index's 0–100 scale; a period without answers is a gap."""
    title = "Satisfaction over time"
    width, height, left, top, right, bottom = 760, 280, 48, 30, 48, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    if not any(v is not None for values in series.values() for v in values):
        body = _tag(
            '<text x="{}" y="{}" text-anchor="middle" {}>No answers in this period.</text>',
            width // 2,
            height // 2,
            mark_safe(FONT),
        )
        return _svg(width, height, title, body)
    step = plot_w / max(len(labels) - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        x = left + (i * step if len(labels) > 1 else plot_w / 2)
        return x, top + plot_h - plot_h * value / 100

    # The SLA charts' 0–100 axis, without their "%": the index is a score, not a share.
    parts = [_percent_axis(left, top, plot_w, plot_h).replace("%</text>", "</text>")]
    every = math.ceil(len(labels) / 8)  # at most 8 labels under the axis
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                _tag(
                    '<text x="{:.1f}" y="{}" text-anchor="middle" {}>{}</text>',
                    point(i, 0)[0],
                    top + plot_h + 18,
                    mark_safe(FONT),
                    label,
                )
            )
    for key, values in series.items():
        name, colour, stroke = SERIES[key]
        segment: list[str] = []
        segments = [segment]
        for i, value in enumerate(values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            x, y = point(i, value)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(
                _tag(
                    '<circle cx="{:.1f}" cy="{:.1f}" r="3.5" fill="{}" data-series="{}">'
                    "<title>{}: {} {:.1f}</title></circle>",
                    x,
                    y,
                    colour,
                    key,
                    labels[i],
                    name,
                    value,
                )
            )
        for points in segments:
            if len(points) > 1:
                parts.append(
                    _tag(
                        '<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"/>',
                        " ".join(points),
                        colour,
                        stroke,
                    )
                )
    for i, key in enumerate(series):
        name, colour, _ = SERIES[key]
        parts.append(
            _tag(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" {}>{}</text>',
                left + i * 170,
                height - 22,
                colour,
                left + i * 170 + 17,
                height - 12,
                mark_safe(FONT),
                name,
            )
        )
    return _svg(width, height, title, "".join(parts))

"""Charts drawn on the server as inline SVG: no script, no web font, nothing fetched.

Each function takes plain numbers and returns markup; every text passes through
`conditional_escape`, so a team called `<script>` is only text.
"""

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe (Okabe–Ito) colours for the three clocks.
CLOCK_COLOURS = {"first_response": "#0072B2", "update": "#E69F00", "resolution": "#009E73"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FONT = 'font-family="system-ui, sans-serif" font-size="11" fill="#333"'


def _tag(template: str, *args) -> SafeString:
    """Like format_html, but numbers keep their format specs ({:.1f}, {:02d})."""
    return mark_safe(
        template.format(*(a if isinstance(a, int | float) else conditional_escape(a) for a in args))
    )


def _svg(width: int, height: int, label: str, body: str) -> SafeString:
    return _tag(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
        'role="img" aria-label="{}" class="report-chart"><title>{}</title>{}</svg>',
        width,
        height,
        label,
        label,
        mark_safe(body),  # assembled from format_html pieces only
    )


def _percent_axis(left: int, top: int, width: int, height: int) -> str:
    """Horizontal grid lines and labels at 0, 25, 50, 75 and 100%."""
    lines = []
    for tick in range(0, 101, 25):
        y = top + height - height * tick / 100
        lines.append(
            _tag(
                '<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#ddd"/>'
                '<text x="{}" y="{:.1f}" text-anchor="end" {}>{}%</text>',
                left,
                y,
                left + width,
                y,
                left - 6,
                y + 4,
                mark_safe(FONT),
                tick,
            )
        )
    return "".join(lines)


def _legend(names: dict[str, str], x: int, y: int) -> str:
    items = []
    for i, (clock, name) in enumerate(names.items()):
        items.append(
            _tag(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" {}>{}</text>',
                x + i * 150,
                y,
                CLOCK_COLOURS[clock],
                x + i * 150 + 17,
                y + 10,
                mark_safe(FONT),
                name,
            )
        )
    return "".join(items)


def _empty(width: int, height: int, label: str) -> SafeString:
    body = _tag(
        '<text x="{}" y="{}" text-anchor="middle" {}>No decided targets in this period.</text>',
        width // 2,
        height // 2,
        mark_safe(FONT),
    )
    return _svg(width, height, label, body)


def compliance_line_chart(
    labels: list[str], series: dict[str, list[float | None]], names: dict[str, str]
) -> SafeString:
    """Compliance % per clock over time; a group without decided targets leaves a gap."""
    title = "SLA compliance over time"
    width, height, left, top, right, bottom = 760, 280, 48, 30, 48, 56
    if not labels:
        return _empty(width, height, title)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        x = left + (i * step if len(labels) > 1 else plot_w / 2)
        return x, top + plot_h - plot_h * value / 100

    parts = [_percent_axis(left, top, plot_w, plot_h)]
    every = max(1, len(labels) // 8)  # at most ~8 labels under the axis
    for i, label in enumerate(labels):
        if i % every == 0:
            x, _ = point(i, 0)
            parts.append(
                _tag(
                    '<text x="{:.1f}" y="{}" text-anchor="middle" {}>{}</text>',
                    x,
                    top + plot_h + 18,
                    mark_safe(FONT),
                    label.split(" ")[0],
                )
            )
    for clock, values in series.items():
        colour = CLOCK_COLOURS[clock]
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
                    '<circle cx="{:.1f}" cy="{:.1f}" r="3.5" fill="{}">'
                    "<title>{}: {} {:.1f}%</title></circle>",
                    x,
                    y,
                    colour,
                    labels[i],
                    names[clock],
                    value,
                )
            )
        for points in segments:
            if len(points) > 1:
                parts.append(
                    _tag(
                        '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>',
                        " ".join(points),
                        colour,
                    )
                )
    parts.append(_legend(names, left, height - 22))
    return _svg(width, height, title, "".join(parts))


def compliance_bar_chart(
    labels: list[str], series: dict[str, list[float | None]], names: dict[str, str]
) -> SafeString:
    """Compliance % per clock for each team, as grouped bars."""
    title = "SLA compliance per team"
    width, left, top, right, bottom = 760, 48, 30, 16, 76
    height = 300
    if not labels:
        return _empty(width, height, title)
    plot_w, plot_h = width - left - right, height - top - bottom
    group_w = plot_w / len(labels)
    bar_w = min(28.0, group_w * 0.8 / len(series))
    parts = [_percent_axis(left, top, plot_w, plot_h)]
    for i, label in enumerate(labels):
        group_x = left + i * group_w + (group_w - bar_w * len(series)) / 2
        for j, (clock, values) in enumerate(series.items()):
            value = values[i]
            if value is None:
                continue
            bar_h = plot_h * value / 100
            parts.append(
                _tag(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                    "<title>{}: {} {:.1f}%</title></rect>",
                    group_x + j * bar_w,
                    top + plot_h - bar_h,
                    bar_w - 2,
                    bar_h,
                    CLOCK_COLOURS[clock],
                    label,
                    names[clock],
                    value,
                )
            )
        parts.append(
            _tag(
                '<text x="{:.1f}" y="{}" text-anchor="middle" {}>{}</text>',
                left + i * group_w + group_w / 2,
                top + plot_h + 16,
                mark_safe(FONT),
                label if len(label) <= 18 else label[:17] + "…",
            )
        )
    parts.append(_legend(names, left, height - 22))
    return _svg(width, height, title, "".join(parts))


def breach_heatmap_chart(grid: list[list[int]]) -> SafeString:
    """Missed targets by weekday and hour: the darker, the more breaches at that hour."""
    title = "Breaches by weekday and hour"
    cell, left, top = 28, 40, 24
    width, height = left + 24 * cell + 10, top + 7 * cell + 30
    most = max((n for row in grid for n in row), default=0)
    parts = []
    for hour in range(0, 24, 2):
        parts.append(
            _tag(
                '<text x="{}" y="{}" text-anchor="middle" {}>{:02d}</text>',
                left + hour * cell + cell / 2,
                top - 8,
                mark_safe(FONT),
                hour,
            )
        )
    for day, row in enumerate(grid):
        y = top + day * cell
        parts.append(
            _tag(
                '<text x="{}" y="{}" text-anchor="end" {}>{}</text>',
                left - 6,
                y + cell / 2 + 4,
                mark_safe(FONT),
                WEEKDAYS[day],
            )
        )
        for hour, count in enumerate(row):
            # White for none, through to a deep red for the busiest hour.
            share = count / most if most else 0
            fill = f"rgb(255,{int(245 - 200 * share)},{int(240 - 215 * share)})"
            parts.append(
                _tag(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#eee">'
                    "<title>{} {:02d}:00–{:02d}:59: {} breaches</title></rect>",
                    left + hour * cell,
                    y,
                    cell - 1,
                    cell - 1,
                    fill if count else "#fafafa",
                    WEEKDAYS[day],
                    hour,
                    hour,
                    count,
                )
            )
            if count:
                parts.append(
                    _tag(
                        '<text x="{}" y="{}" text-anchor="middle" font-family="system-ui, '
                        'sans-serif" font-size="11" fill="{}">{}</text>',
                        left + hour * cell + cell / 2,
                        y + cell / 2 + 4,
                        "#fff" if share > 0.6 else "#333",
                        count,
                    )
                )
    parts.append(
        _tag(
            '<text x="{}" y="{}" {}>{}</text>',
            left,
            height - 8,
            mark_safe(FONT),
            f"Busiest hour: {most} breaches" if most else "No breaches in this period.",
        )
    )
    return _svg(width, height, title, "".join(parts))

"""The report as people and programs read it: page cells, CSV and JSON, from one table."""

import csv
import io

from helpdesk.reports.audit import GamingAudit
from helpdesk.reports.columns import COLUMNS, GROUPS, Column
from helpdesk.reports.selectors import SlaReport

UNIT_SUFFIX = {"count": "", "percent": " (%)", "seconds": " (business seconds)"}


def format_cell(value: int | float | None, unit: str) -> str:
    """A cell of the page: business durations as hours:minutes, shares with one decimal."""
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "seconds":
        minutes = round(value / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    return str(value)


def report_csv(report: SlaReport) -> str:
    """The page's table, one line per group and a total, in raw units."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [GROUPS[report.query.group_by], *(c.label + UNIT_SUFFIX[c.unit] for c in COLUMNS)]
    )
    for row in [*report.rows, report.total]:
        writer.writerow(
            [row.label, *("" if row.values[c.key] is None else row.values[c.key] for c in COLUMNS)]
        )
    return out.getvalue()


def _key(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def report_data(
    report: SlaReport, *, audit: GamingAudit, heatmap: list[list[int]]
) -> dict[str, object]:
    query = report.query
    return {
        "period": {"from": query.start.isoformat(), "to": query.end.isoformat()},
        "group_by": query.group_by,
        "audience": query.audience or None,
        "generated_at": report.now.isoformat(),
        "columns": [column_data(c) for c in COLUMNS],
        "rows": [{"key": _key(row.key), "label": row.label, **row.values} for row in report.rows],
        "total": {"key": None, "label": report.total.label, **report.total.values},
        "breach_heatmap": heatmap,
        "gaming_audit": {
            "within_minutes": audit.within_minutes,
            "repeats": audit.repeats,
            "agents": [
                {
                    "user": a.actor_id,
                    "label": a.label,
                    "pauses": a.pauses,
                    "quick_pauses": a.quick_pauses,
                    "repeat_pauses": a.repeat_pauses,
                    "tickets": a.tickets,
                    "flagged_tickets": a.flagged_tickets,
                }
                for a in audit.agents
            ],
            "tickets": [
                {
                    "reference": t.reference,
                    "user": t.actor_id,
                    "label": t.label,
                    "pauses": t.pauses,
                    "quick_pauses": t.quick_pauses,
                    "quickest_seconds": t.quickest_seconds,
                    "most_pauses": t.most_pauses,
                }
                for t in audit.tickets
            ],
            "tickets_flagged": audit.tickets_flagged,
        },
    }


def column_data(column: Column) -> dict[str, str]:
    return {"key": column.key, "label": column.label, "unit": column.unit}

"""The Satisfaction Index as people and programs read it: page cells and JSON, one table."""

from feedback.surveys.report import COLUMNS, GROUPS, Row, SatisfactionReport


def format_cell(value: int | float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit in ("index", "score"):
        return f"{value:.1f}"
    if unit == "mean":
        return f"{value:.2f}"
    if unit == "sentiment":
        return f"{value:+.3f}"
    return str(value)


def _key(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def row_data(row: Row) -> dict:
    return {"key": _key(row.key), "label": row.label, **row.values}


def report_data(report: SatisfactionReport) -> dict:
    query = report.query
    return {
        "period": {"from": query.start.isoformat(), "to": query.end.isoformat()},
        "group_by": query.group_by,
        "interval": query.interval,
        "filters": {
            "team": query.team_id,
            "category": query.category_id,
            "touchpoint": query.touchpoint or None,
            "audience": query.audience or None,
        },
        "weights": report.weights,
        "generated_at": report.now.isoformat(),
        "columns": [{"key": c.key, "label": c.label, "unit": c.unit} for c in COLUMNS],
        "rows": [{**row_data(row), "drill_down": row.drill_down} for row in report.rows],
        "total": row_data(report.total),
        "trend": [row_data(row) for row in report.trend],
    }


def group_label(report: SatisfactionReport) -> str:
    return GROUPS[report.query.group_by]

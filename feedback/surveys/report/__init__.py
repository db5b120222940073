"""The Satisfaction Index and the survey measures, per group and over time.

Every number is an aggregate the database computes over the survey tables (counts and sums
per group, `sources`); Python only divides them (`columns`, feedback.surveys.metrics). Totals
add the groups' counts and sums up, so they are exact. docs/metrics.md ("Satisfaction")
defines every column.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings

from feedback.models import Touchpoint
from feedback.surveys import metrics
from feedback.surveys.report.columns import COLUMNS, derive
from feedback.surveys.report.query import (
    GROUPS,
    INTERVALS,
    NO_TOUCHPOINT,
    SatisfactionQuery,
)
from feedback.surveys.report.sources import RAW_KEYS, raw_by
from helpdesk.models import Audience, Category, Team

__all__ = [
    "COLUMNS",
    "GROUPS",
    "INTERVALS",
    "NO_TOUCHPOINT",
    "Row",
    "SatisfactionQuery",
    "SatisfactionReport",
    "satisfaction_report",
]


@dataclass
class Row:
    key: object
    label: str
    values: dict[str, float | int | None]
    drill_down: dict[str, object] | None = None


@dataclass
class SatisfactionReport:
    query: SatisfactionQuery
    now: datetime
    weights: dict[str, float]
    rows: list[Row]
    total: Row
    trend: list[Row] = field(default_factory=list)


def _labels(group_by: str, keys: list) -> dict[object, str]:
    if group_by == "team":
        return dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "category":
        return dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "touchpoint":
        return {**dict(Touchpoint.choices), "": "None recorded"}
    if group_by == "audience":
        return dict(Audience.choices)
    return {"": "Everyone"}


def periods(query: SatisfactionQuery) -> list[date]:
    """The first day of every week (Monday) or month the period touches."""
    if query.interval == "week":
        first, step = query.start - timedelta(days=query.start.weekday()), "week"
    else:
        first, step = query.start.replace(day=1), "month"
    found = []
    while first <= query.end:
        found.append(first)
        if step == "week":
            first += timedelta(days=7)
        else:
            first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def period_label(start: date, interval: str) -> str:
    if interval == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%b %Y")


def satisfaction_report(*, query: SatisfactionQuery, now: datetime) -> SatisfactionReport:
    weights = metrics.index_weights(settings.SATISFACTION_INDEX_WEIGHTS)
    groups = raw_by(query, query.group_by, now=now)
    labels = _labels(query.group_by, [key for key in groups if key != ""])
    rows = sorted(
        (
            Row(
                key=key,
                label=labels.get(key, str(key)),
                values=derive(raw, weights),
                drill_down=query.drill_down(key),
            )
            for key, raw in groups.items()
        ),
        key=lambda row: row.label.lower(),
    )
    total_raw = dict.fromkeys(RAW_KEYS, 0)
    for raw in groups.values():
        for name in RAW_KEYS:
            total_raw[name] += raw[name]
    by_period = raw_by(query, query.interval, now=now)
    empty = dict.fromkeys(RAW_KEYS, 0)
    trend = [
        Row(
            key=start,
            label=period_label(start, query.interval),
            values=derive(by_period.get(start, empty), weights),
        )
        for start in periods(query)
    ]
    return SatisfactionReport(
        query=query,
        now=now,
        weights=weights,
        rows=rows,
        total=Row(key=None, label="Total", values=derive(total_raw, weights)),
        trend=trend,
    )

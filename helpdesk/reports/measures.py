"""SLA targets aggregated per group, and for all groups together, in one pass over the rows.

The database first counts the targets per (group, clock, minute of business time): a
histogram small enough to stay in memory whatever the number of tickets. Window sums over it
then give each group's nearest-rank percentiles (the smallest minute with at least p of the
stopped targets at or below it), exact to the whole minute, and the same statement folds the
histograms of all groups into the total. No ticket and no target reaches Python: one row per
(group, clock) does.
"""

from django.db import connection
from django.db.models import Count, Expression, F, Q, Sum

from helpdesk.reports.columns import MISSED_BY
from helpdesk.reports.models import SlaMeasure
from helpdesk.reports.query import ReportQuery

Aggregates = dict[str, int | None]


def _cell_aggregates() -> dict:
    missed = Q(met=False)
    by_reply = Q(ended_by=SlaMeasure.EndedBy.REPLY)
    aggregates = {
        "n": Count("pk"),
        "n_met": Count("pk", filter=Q(met=True)),
        "by_reply": Count("pk", filter=by_reply),
        "by_reply_met": Count("pk", filter=by_reply & Q(met=True)),
        "first_update": Count("pk", filter=by_reply & Q(clock=SlaMeasure.Clock.FIRST_RESPONSE)),
        "paused_total": Sum("paused_seconds"),
        "paused_tickets": Count("pk", filter=Q(paused_seconds__gt=0)),
        "missed_running": Count("pk", filter=missed & Q(stopped_at__isnull=True)),
    }
    low = None
    for key, high in MISSED_BY:
        bucket = missed & Q(missed_by_seconds__isnull=False)
        if low is not None:
            bucket &= Q(missed_by_seconds__gt=low)
        if high is not None:
            bucket &= Q(missed_by_seconds__lte=high)
        aggregates[f"missed_by_{key}"] = Count("pk", filter=bucket)
        low = high
    return aggregates


COUNTS = list(_cell_aggregates())
PERCENTILES = {"p50": 0.5, "p90": 0.9}

# {cells} is the ORM's histogram query; every other name below is ours.
STATEMENT = """
WITH cells AS ({cells}),
levels AS (
    SELECT 0 AS is_total, grp, clock, minute, {counts} FROM cells
    UNION ALL
    SELECT 1 AS is_total, NULL AS grp, clock, minute, {summed_counts}
    FROM cells GROUP BY clock, minute
),
ranked AS (
    SELECT levels.*,
        SUM(CASE WHEN minute IS NULL THEN 0 ELSE n END) OVER (
            PARTITION BY is_total, grp, clock ORDER BY minute
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS stopped_so_far,
        SUM(CASE WHEN minute IS NULL THEN 0 ELSE n END) OVER (
            PARTITION BY is_total, grp, clock
        ) AS stopped_all,
        SUM(first_update) OVER (
            PARTITION BY is_total, grp, clock ORDER BY minute
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS first_update_so_far,
        SUM(first_update) OVER (PARTITION BY is_total, grp, clock) AS first_updates
    FROM levels
)
SELECT is_total, grp, clock, {summed_counts}, {percentiles}
FROM ranked
GROUP BY is_total, grp, clock
"""
PERCENTILE_NAMES = [*PERCENTILES, *(f"first_update_{name}" for name in PERCENTILES)]


def _percentile_sql() -> str:
    parts = []
    for name, fraction in PERCENTILES.items():
        parts.append(
            f"MIN(CASE WHEN minute IS NOT NULL AND stopped_so_far >= {fraction} * stopped_all "
            f"THEN minute END) * 60 AS {name}"
        )
    for name, fraction in PERCENTILES.items():
        parts.append(
            f"MIN(CASE WHEN minute IS NOT NULL AND first_updates > 0 "
            f"AND first_update_so_far >= {fraction} * first_updates "
            f"THEN minute END) * 60 AS first_update_{name}"
        )
    return ", ".join(parts)


def measures_by_group(
    query: ReportQuery, group: Expression
) -> tuple[dict[object, dict[str, Aggregates]], dict[str, Aggregates]]:
    """({group key: {clock: aggregates}}, {clock: aggregates of all groups together})."""
    cells = (
        SlaMeasure.objects.filter(query.cohort())
        .annotate(grp=group, minute=F("business_seconds") / 60)
        .values("grp", "clock", "minute")
        .annotate(**_cell_aggregates())
        .order_by()
    )
    cells_sql, params = cells.query.sql_with_params()
    statement = STATEMENT.format(
        cells=cells_sql,
        counts=", ".join(COUNTS),
        summed_counts=", ".join(f"SUM({name}) AS {name}" for name in COUNTS),
        percentiles=_percentile_sql(),
    )
    groups: dict[object, dict[str, Aggregates]] = {}
    total: dict[str, Aggregates] = {}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        names = [column[0] for column in cursor.description]
        for row in cursor.fetchall():
            values = dict(zip(names, row, strict=True))
            aggregates = {
                name: None if values[name] is None else int(values[name])
                for name in (*COUNTS, *PERCENTILE_NAMES)
            }
            if values["is_total"]:
                total[values["clock"]] = aggregates
            else:
                groups.setdefault(values["grp"], {})[values["clock"]] = aggregates
    return groups, total

"""SLA targets counted per group and clock: from the daily rollups and the raw rows alike.

The same counts come from two places that add up: `SlaRollup` rows for the days rolled up,
and `SlaMeasure` rows for the days whose rollups are behind (`query.Coverage`). One statement
adds both up per (group, clock); Python takes the percentiles from the bucket counts
(`helpdesk.reports.buckets`). No target reaches Python, only a row per group and clock.
"""

from collections.abc import Sequence
from fractions import Fraction

from django.db import connection
from django.db.models import F, Sum

from helpdesk.reports.buckets import BUCKET_FIELDS, percentile_seconds
from helpdesk.reports.counts import TARGET_COUNTS, TARGET_FIELDS, target_counts
from helpdesk.reports.groupings import Grouping
from helpdesk.reports.models import FIRST_UPDATE, SlaMeasure, SlaRollup
from helpdesk.reports.query import ReportQuery, coverage

Aggregates = dict[str, int | None]
FIRST_RESPONSE = SlaMeasure.Clock.FIRST_RESPONSE
PERCENTILES = {"p50": Fraction(1, 2), "p90": Fraction(9, 10)}
PERCENTILE_NAMES = [*PERCENTILES, *(f"first_update_{name}" for name in PERCENTILES)]


def measure_cells(
    query: ReportQuery, group_by: str, fields: Sequence[str]
) -> dict[tuple[object, str], dict[str, int]]:
    """{(group key, clock): {field: count}} over the period's decided targets: the rollups'
    sums and the dirty days' counts, in one statement."""
    covered = coverage(query)
    by = Grouping(group_by)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in ["grp", "measure_clock", *fields])
    parts: list[tuple[str, list]] = []
    rolled = covered.rolled(whole_months=by.whole_months)
    if rolled is not None:
        sums = (
            SlaRollup.objects.filter(rolled, dimension=by.dimension)
            .annotate(grp=by.rolled(), measure_clock=F("clock"))
            .values("grp", "measure_clock")
            .annotate(**{name: Sum(name) for name in fields})
            .order_by()
        )
        parts.append(sums.query.sql_with_params())
    if covered.raw is not None:
        rows = SlaMeasure.objects.filter(covered.raw).annotate(grp=by.raw())
        parts.append(target_counts(rows, ["grp"], fields))
    cells: dict[tuple[object, str], dict[str, int]] = {}
    if not parts:
        return cells
    keys = ", ".join(quote(name) for name in ["grp", "measure_clock"])
    union = " UNION ALL ".join(f"SELECT {columns} FROM ({sql}) part" for sql, _ in parts)
    # Summed as bigint: PostgreSQL would give numeric, slow to read.
    sums = ", ".join(f"CAST(SUM({quote(name)}) AS BIGINT)" for name in fields)
    statement = f"SELECT {keys}, {sums} FROM ({union}) parts GROUP BY {keys}"
    with connection.cursor() as cursor:
        cursor.execute(statement, [param for _, params in parts for param in params])
        for grp, clock, *counts in cursor.fetchall():
            cell = cells.setdefault((by.key(grp), clock), dict.fromkeys(fields, 0))
            for name, count in zip(fields, counts, strict=True):
                cell[name] += count
    return cells


def clock_aggregates(cell: dict[str, int], first_updates: dict[str, int] | None) -> Aggregates:
    """A clock's counts and percentiles, from its cell (and for the first response, the
    FIRST_UPDATE cell of the same group)."""
    histogram = [cell[name] for name in BUCKET_FIELDS]
    aggregates: Aggregates = {name: cell[name] for name in TARGET_COUNTS}
    for name, fraction in PERCENTILES.items():
        aggregates[name] = percentile_seconds(histogram, fraction)
        aggregates[f"first_update_{name}"] = (
            percentile_seconds([first_updates[b] for b in BUCKET_FIELDS], fraction)
            if first_updates
            else None
        )
    return aggregates


def measures_by_group(
    query: ReportQuery,
) -> tuple[dict[object, dict[str, Aggregates]], dict[str, Aggregates]]:
    """({group key: {clock: aggregates}}, {clock: aggregates of all groups together}).

    Each ticket and all its targets fall in one group, so the groups' counts add up to the
    total's, bucket by bucket; the total's percentiles come from that sum."""
    fields = TARGET_FIELDS
    cells = measure_cells(query, query.group_by, fields)
    summed: dict[str, dict[str, int]] = {}
    for (_, clock), cell in cells.items():
        into = summed.setdefault(clock, dict.fromkeys(fields, 0))
        for name in fields:
            into[name] += cell[name]
    groups: dict[object, dict[str, Aggregates]] = {}
    for (key, clock), cell in cells.items():
        if clock != FIRST_UPDATE:
            first_updates = cells.get((key, FIRST_UPDATE)) if clock == FIRST_RESPONSE else None
            groups.setdefault(key, {})[clock] = clock_aggregates(cell, first_updates)
    total = {
        clock: clock_aggregates(cell, summed.get(FIRST_UPDATE) if clock == FIRST_RESPONSE else None)
        for clock, cell in summed.items()
        if clock != FIRST_UPDATE
    }
    return groups, total

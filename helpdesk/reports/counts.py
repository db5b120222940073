"""What the report counts on the report rows: the same expressions compute the daily rollups
(`helpdesk.reports.rollups`) and count the days read raw (`measures`, `selectors`), so a day
counts the same either way."""

from collections.abc import Sequence
from datetime import tzinfo

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from helpdesk.reports.buckets import BUCKET_FIELDS, bucket_sql
from helpdesk.reports.columns import MISSED_BY
from helpdesk.reports.models import FIRST_UPDATE, SlaMeasure, TicketOutcome


def _target_aggregates() -> dict:
    missed = Q(met=False)
    by_reply = Q(ended_by=SlaMeasure.EndedBy.REPLY)
    aggregates = {
        "n": Count("pk"),
        "n_met": Count("pk", filter=Q(met=True)),
        "by_reply": Count("pk", filter=by_reply),
        "by_reply_met": Count("pk", filter=by_reply & Q(met=True)),
        "paused_total": Sum("paused_seconds", default=0),
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


# Per SLA target (SlaMeasure), the fields of SlaRollup besides the buckets'.
TARGET_AGGREGATES = _target_aggregates()
TARGET_COUNTS = list(TARGET_AGGREGATES)
# Every field of SlaRollup that counts: the counts, then how many fell in each bucket.
TARGET_FIELDS = [*TARGET_COUNTS, *BUCKET_FIELDS]

# Per ticket (TicketOutcome), the fields of TicketRollup.
TICKET_AGGREGATES = {
    "tickets": Count("pk"),
    "open": Count("pk", filter=Q(is_open=True)),
    "breaches_open": Count("pk", filter=Q(is_open=True, breached=True)),
    "ever_resolved": Count("pk", filter=Q(was_resolved=True)),
    "reopened": Count("pk", filter=Q(reopened=True)),
    "fcr": Count("pk", filter=Q(first_contact_resolution=True)),
}


def target_counts(
    rows: QuerySet[SlaMeasure], group: Sequence[str], fields: Sequence[str] = TARGET_FIELDS
) -> tuple[str, list]:
    """SQL (and its parameters) of `rows` counted per `group` (their fields or annotations)
    and `measure_clock`, each clock's and the FIRST_UPDATE pseudo-clock's: the columns
    *group, measure_clock and `fields` (of TARGET_FIELDS).

    One pass over the rows counts them per group, clock and bucket of business time (a
    handful of comparisons per target); the much smaller result then gets one column per
    bucket (a CASE per bucket and row), once per clock and once for FIRST_UPDATE. A missed
    target still running has no business time (NULL) and falls in no bucket."""
    quote = connection.ops.quote_name
    buckets = [name for name in fields if name in BUCKET_FIELDS]
    counts = [name for name in TARGET_COUNTS if name in fields or name == "n"]
    first_update = When(
        clock=SlaMeasure.Clock.FIRST_RESPONSE, ended_by=SlaMeasure.EndedBy.REPLY, then=Value(1)
    )
    annotations = {"first_update": Case(first_update, default=Value(0))}
    if buckets:
        column = f"{quote(SlaMeasure._meta.db_table)}.{quote('business_seconds')}"
        annotations["bucket"] = RawSQL(bucket_sql(column), (), output_field=IntegerField())
    narrow, params = (
        rows.annotate(**annotations)
        .values(*group, "clock", *annotations)
        .annotate(**{name: TARGET_AGGREGATES[name] for name in counts})
        .order_by()
        .query.sql_with_params()
    )
    keys = ", ".join(quote(name) for name in group)
    sums = ", ".join(
        [f"SUM({quote(name)}) AS {quote(name)}" for name in counts if name in fields]
        + [
            f"SUM(CASE WHEN {quote('bucket')} = {BUCKET_FIELDS.index(name)} "
            f"THEN {quote('n')} ELSE 0 END) AS {quote(name)}"
            for name in buckets
        ]
    )
    sql = (
        f"WITH narrow AS ({narrow}) "
        f"SELECT {keys}, {quote('clock')} AS {quote('measure_clock')}, {sums} "
        f"FROM narrow GROUP BY {keys}, {quote('clock')} "
        f"UNION ALL SELECT {keys}, %s, {sums} "
        f"FROM narrow WHERE {quote('first_update')} = 1 GROUP BY {keys}"
    )
    return sql, [*params, FIRST_UPDATE]


def ticket_counts(rows: QuerySet[TicketOutcome], group: Sequence[str]) -> QuerySet:
    return rows.values(*group).annotate(**TICKET_AGGREGATES).order_by()


def breach_counts(rows: QuerySet[SlaMeasure], group: Sequence[str], tz: tzinfo) -> QuerySet:
    """Missed targets per `group` and local ISO weekday and hour at which they were missed."""
    return (
        rows.filter(met=False, breached_at__isnull=False)
        .annotate(
            weekday=ExtractIsoWeekDay("breached_at", tzinfo=tz),
            hour=ExtractHour("breached_at", tzinfo=tz),
        )
        .values(*group, "weekday", "hour")
        .annotate(breaches=Count("pk"))
        .order_by()
    )

"""Daily rollups of the report rows, and keeping them current.

For each local day of ticket creation (`TIME_ZONE`) the rollups hold what the report adds up
(`helpdesk.reports.counts`): per audience (and all audiences together), per dimension and
group, the SLA targets per clock with their business time in buckets (`SlaRollup`), the
tickets (`TicketRollup`), and the missed targets per weekday and hour (`BreachRollup`). Each
month has the same rows again, the sums of its days', so a year is a dozen rows per group.

Whatever changes a ticket's report rows marks its day dirty in the same transaction
(`rollup_days_dirty`, called by `report_rows_sync_many`): a plain insert, so concurrent
changes never wait on a shared row. `report_rollups_refresh` (every minute) takes the dirty
days of a month, deletes them from the list and recomputes their rollups and the month's
from the report rows, in the database, in one transaction. A report reads the rollups of the
clean days and the report rows of the dirty ones, so it is never behind; the refresh only
makes it cheaper.
"""

import time as clock
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Model, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from helpdesk.reports.counts import (
    TARGET_FIELDS,
    TICKET_AGGREGATES,
    breach_counts,
    target_counts,
    ticket_counts,
)
from helpdesk.reports.groupings import DIMENSION_KEYS
from helpdesk.reports.models import (
    BreachRollup,
    ReportDirtyDay,
    ReportRollupState,
    SlaMeasure,
    SlaRollup,
    TicketOutcome,
    TicketRollup,
)
from helpdesk.reports.query import created_on, month_days

TARGET_COLUMNS = ["day", "audience", *TARGET_FIELDS]
DAILY = {"whole_month": False}
# Each rollup: the fields that key a row besides its day and audience, and the counts.
ROLLUPS: dict[type[Model], tuple[list[str], list[str]]] = {
    SlaRollup: (["dimension", "group_key", "clock"], TARGET_FIELDS),
    TicketRollup: (["dimension", "group_key"], list(TICKET_AGGREGATES)),
    BreachRollup: (["weekday", "hour"], ["breaches"]),
}


def local_day(instant: datetime) -> date:
    """The day of the rollups an instant falls on: in `TIME_ZONE`, whatever zone is active."""
    return timezone.localtime(instant, timezone.get_default_timezone()).date()


def rollup_days_dirty(*, days: Iterable[date]) -> None:
    """Mark days whose report rows changed: reports read them raw until they are rolled up."""
    ReportDirtyDay.objects.bulk_create(ReportDirtyDay(day=day) for day in sorted(set(days)))


def report_rollups_refresh(*, everything: bool = False, budget_seconds: float | None = None) -> int:
    """Roll up the dirty days, a month's per transaction, until none is left or the budget
    is spent; with `everything`, every day with tickets, from scratch. Returns the days done.

    A zone other than the rollups' (`TIME_ZONE` changed) also starts from scratch."""
    deadline = None if budget_seconds is None else clock.monotonic() + budget_seconds
    zone = timezone.get_default_timezone_name()
    done = 0
    while True:
        with transaction.atomic():
            state = _locked_state()
            _tune_session()
            if everything or state.time_zone != zone:
                _start_over(state, zone)
                everything = False
            first = ReportDirtyDay.objects.order_by("day").values_list("day", flat=True).first()
            if first is None:
                return done
            month = first.replace(day=1)
            days = list(
                ReportDirtyDay.objects.filter(day__gte=month, day__lte=month_days(month)[-1])
                .values_list("day", flat=True)
                .distinct()
            )
            # Dirty rows added after this delete are not taken: their days stay dirty.
            ReportDirtyDay.objects.filter(day__in=days).delete()
            _roll_up(days)
            _roll_up_month(month)
        done += len(days)
        if deadline is not None and clock.monotonic() > deadline:
            return done


def _tune_session() -> None:
    """As for the report's queries (`query.analytic_session`): JIT compiling these wide
    aggregates costs more than running them; sorts of a month's targets fit in memory."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"
            )


def _locked_state() -> ReportRollupState:
    """The state row, locked until commit: one refresh at a time, so no day is rolled up
    twice concurrently (its rows deleted by both, then inserted by both)."""
    state, _ = ReportRollupState.objects.select_for_update().get_or_create(
        pk=1, defaults={"time_zone": ""}
    )
    return state


def _start_over(state: ReportRollupState, zone: str) -> None:
    for model in [*ROLLUPS, ReportDirtyDay]:
        model.objects.all().delete()
    day = TruncDate("created_at", tzinfo=timezone.get_default_timezone())
    rollup_days_dirty(
        days=TicketOutcome.objects.annotate(day=day).values_list("day", flat=True).distinct()
    )
    state.time_zone = zone
    state.save(update_fields=["time_zone"])


def _roll_up(days: list[date]) -> None:
    """Recompute the rollups of these days from their report rows."""
    for model in ROLLUPS:
        model.objects.filter(whole_month=False, day__in=days).delete()
    tz = timezone.get_default_timezone()
    created = created_on(days, tz)
    day = TruncDate("created_at", tzinfo=tz)
    by_day = ["day", "audience", "grp"]
    for dimension, key in DIMENSION_KEYS.items():
        targets = SlaMeasure.objects.filter(created).annotate(day=day, grp=key)
        _insert(
            SlaRollup,
            target_counts(targets, by_day),
            {"dimension": dimension, **DAILY},
            {"group_key": "grp", "clock": "measure_clock", **_same(TARGET_COLUMNS)},
        )
        tickets = TicketOutcome.objects.filter(created).annotate(day=day, grp=key)
        _insert(
            TicketRollup,
            ticket_counts(tickets, by_day).query.sql_with_params(),
            {"dimension": dimension, **DAILY},
            {"group_key": "grp", **_same(["day", "audience", *TICKET_AGGREGATES])},
        )
    breaches = SlaMeasure.objects.filter(created).annotate(day=day)
    _insert(
        BreachRollup,
        breach_counts(breaches, ["day", "audience"], tz).query.sql_with_params(),
        DAILY,
        _same(["day", "audience", "weekday", "hour", "breaches"]),
    )
    # Every audience together: what a report without an audience filter reads.
    for model, (keys, fields) in ROLLUPS.items():
        audiences = (
            model.objects.filter(whole_month=False, day__in=days)
            .exclude(audience="")
            .values("day", *keys)
            .annotate(**{name: Sum(name) for name in fields})
            .order_by()
        )
        _insert(
            model,
            audiences.query.sql_with_params(),
            {"audience": "", **DAILY},
            _same(["day", *keys, *fields]),
        )


def _roll_up_month(month: date) -> None:
    """Recompute the month's rows from its days' rows (the rollups of its days are current)."""
    days = month_days(month)
    for model, (keys, fields) in ROLLUPS.items():
        model.objects.filter(whole_month=True, day=month).delete()
        summed = (
            model.objects.filter(whole_month=False, day__gte=days[0], day__lte=days[-1])
            .values("audience", *keys)
            .annotate(**{name: Sum(name) for name in fields})
            .order_by()
        )
        _insert(
            model,
            summed.query.sql_with_params(),
            {"day": month, "whole_month": True},
            _same(["audience", *keys, *fields]),
        )


def _same(names: list[str]) -> dict[str, str]:
    return {name: name for name in names}


def _insert(
    model: type[Model], rows: tuple[str, Sequence], constants: dict, columns: dict[str, str]
) -> None:
    """INSERT INTO the model's table the rows of a query (its SQL and parameters): `columns`
    maps each field to a column of the query; `constants` gives the other fields' values."""
    quote = connection.ops.quote_name
    select, params = rows
    fields = [model._meta.get_field(name).column for name in [*constants, *columns]]
    values = ["%s"] * len(constants) + [f"cells.{quote(source)}" for source in columns.values()]
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, fields))}) "
        f"SELECT {', '.join(values)} FROM ({select}) cells"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*constants.values(), *params])

"""Which tickets a report is about, which of their days it reads rolled up, and the database
session its queries run in."""

import operator
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import reduce

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from helpdesk.reports.models import ReportDirtyDay, ReportRollupState


@dataclass(frozen=True)
class ReportQuery:
    """Tickets created from `start` to `end` (local dates, both included), grouped one way."""

    start: date
    end: date
    group_by: str = "team"
    audience: str = ""  # "" for every audience

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time(), tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz),
        )

    def period(self) -> Q:
        since, until = self.bounds()
        return Q(created_at__gte=since, created_at__lt=until)

    def cohort(self) -> Q:
        """The report rows of the tickets this report is about."""
        return self.period() & Q(audience=self.audience) if self.audience else self.period()


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def created_on(days: Iterable[date], tz: tzinfo) -> Q:
    """The report rows of the tickets created on these local days: a range per run of days."""
    ranges = [
        Q(
            created_at__gte=datetime.combine(first, time(), tzinfo=tz),
            created_at__lt=datetime.combine(last + timedelta(days=1), time(), tzinfo=tz),
        )
        for first, last in _runs(days)
    ]
    return reduce(operator.or_, ranges, Q(pk__in=[]))


def month_days(month: date) -> list[date]:
    """The days of the month starting on `month`."""
    following = (month + timedelta(days=31)).replace(day=1)
    return [month + timedelta(days=n) for n in range((following - month).days)]


@dataclass(frozen=True)
class Coverage:
    """Where a report reads each day of its period from: the rollups for the days rolled up
    and current (a whole month as one row when it can), the report rows for the others."""

    audience: str
    rolled_days: tuple[date, ...]
    months: tuple[date, ...]  # whole months of the period, none of their days behind
    raw: Q | None  # on report rows: the days whose rollups are behind; None for none

    def rolled(self, *, whole_months: bool = True) -> Q | None:
        """On rollup rows: the days rolled up; None for none. `whole_months=False` reads every
        day on its own (for the weeks, which months do not add up to)."""
        months = set(self.months) if whole_months else set()
        days = [d for d in self.rolled_days if d.replace(day=1) not in months]
        parts = [Q(whole_month=False, day__gte=first, day__lte=last) for first, last in _runs(days)]
        if months:
            parts.append(Q(whole_month=True, day__in=sorted(months)))
        if not parts:
            return None
        return reduce(operator.or_, parts) & Q(audience=self.audience)


def _coverage(query: ReportQuery) -> Coverage:
    period = [query.start + timedelta(days=n) for n in range((query.end - query.start).days + 1)]
    zone = ReportRollupState.objects.values_list("time_zone", flat=True).first()
    if zone != timezone.get_current_timezone_name():
        # Rolled up in another zone's days: read the report rows only.
        return Coverage(audience=query.audience, rolled_days=(), months=(), raw=query.cohort())
    dirty = set(
        ReportDirtyDay.objects.filter(day__gte=query.start, day__lte=query.end)
        .values_list("day", flat=True)
        .distinct()
    )
    clean = [day for day in period if day not in dirty]
    whole = set(clean).issuperset
    months = [day for day in clean if day.day == 1 and whole(month_days(day))]
    raw = None
    if dirty:
        raw = created_on(dirty, timezone.get_current_timezone())
        if query.audience:
            raw &= Q(audience=query.audience)
    return Coverage(
        audience=query.audience, rolled_days=tuple(clean), months=tuple(months), raw=raw
    )


def union_all(parts: list[QuerySet]) -> list[dict]:
    """The rows of a count's rolled-up side and raw side, in one statement."""
    if not parts:
        return []
    return list(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])


_session: ContextVar[dict | None] = ContextVar("report_analytic_session", default=None)


def coverage(query: ReportQuery) -> Coverage:
    """Which of the period's days are read from the rollups and which from the report rows;
    asked once per analytic session, so all of a page's parts read the days alike."""
    memo = _session.get()
    if memo is None:
        return _coverage(query)
    key = (query.start, query.end, query.audience)
    if key not in memo:
        memo[key] = _coverage(query)
    return memo[key]


@contextmanager
def analytic_session() -> Iterator[None]:
    """Run report queries in one read transaction tuned for big aggregates on PostgreSQL.

    One snapshot (REPEATABLE READ, when the session opens the transaction): the list of days
    whose rollups are behind, the rollups and the report rows are read as of one instant, so
    each day is counted once, rolled up or raw. JIT compiling these many-expression
    aggregates costs more than running them; a larger work_mem keeps hash tables in memory.
    Nested sessions (a page running several selectors) share the outer one.
    """
    if _session.get() is not None:
        yield
        return
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            isolation = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; " if outermost else ""
            with connection.cursor() as cursor:
                cursor.execute(
                    f"{isolation}SELECT set_config('jit', 'off', true), "
                    "set_config('work_mem', '64MB', true)"
                )
        token = _session.set({})
        try:
            yield
        finally:
            _session.reset(token)

"""Which tickets a report is about, and the database session its queries run in."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone


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


_in_session: ContextVar[bool] = ContextVar("report_analytic_session", default=False)


@contextmanager
def analytic_session() -> Iterator[None]:
    """Run report queries in one read transaction tuned for big aggregates on PostgreSQL.

    JIT compiling these many-expression aggregates costs seconds, more than running them;
    a larger work_mem keeps the per-minute hash tables out of temporary files. Nested
    sessions (a page running several selectors) share the outer one.
    """
    if _in_session.get():
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"
                )
        token = _in_session.set(True)
        try:
            yield
        finally:
            _in_session.reset(token)

"""Record SLA warnings and breaches whose instant has passed.

Cost grows with the tickets due, not the tickets open: the sweep reads the indexed
`sla_next_check_at` column. Safe to run twice at once: rows are claimed with
SKIP LOCKED, and a mark already in the timeline is never written again.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from helpdesk.clocks import Mark
from helpdesk.models import Ticket
from helpdesk.services.timeline import Kind, event_record, sla_state, ticket_sla_refresh


@dataclass
class SweepResult:
    tickets: int = 0
    warnings: list[tuple[str, Mark]] = field(default_factory=list)
    breaches: list[tuple[str, Mark]] = field(default_factory=list)


def sla_sweep(*, now: datetime | None = None, batch_size: int = 100) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            batch = list(
                _claim(now)
                .exclude(pk__in=seen)
                .select_related("team__calendar")
                .order_by("sla_next_check_at")[:batch_size]
            )
            for ticket in batch:
                seen.add(ticket.pk)
                _record_marks(ticket, now, result)
        if len(batch) < batch_size:
            return result


def _claim(now: datetime):
    due = Ticket.objects.filter(sla_next_check_at__lt=now)
    if connection.features.has_select_for_update_skip_locked:
        return due.select_for_update(skip_locked=True, of=("self",))
    return due  # SQLite: one writer at a time already


def _record_marks(ticket: Ticket, now: datetime, result: SweepResult) -> None:
    result.tickets += 1
    for mark in sla_state(ticket, now=now).marks_due():
        event_record(
            ticket=ticket,
            kind=Kind.SLA_BREACHED if mark.is_breach else Kind.SLA_WARNED,
            at=now,
            data={
                "clock": mark.clock,
                "cycle": mark.cycle,
                "threshold": mark.threshold,
                "reached_at": mark.at.isoformat(),
            },
        )
        (result.breaches if mark.is_breach else result.warnings).append((ticket.reference, mark))
    ticket_sla_refresh(ticket=ticket, now=now)

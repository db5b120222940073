"""Holding updates: when the public update cadence would be missed, tell the customer so.

A team that enables them in its escalation policy gets, at the update clock's last warning
(90% of the cadence by default), a public reply "Still working on it; next update by …"
posted by the sweep. It is an ordinary public update to the SLA clocks, so it closes the
cycle; it is counted on time only if it went out before the cycle's due instant (a sweep that
runs late posts it late and it counts late), and its timeline entry says it was automatic
(`holding: true`) so reports can tell holding updates from agents' updates.
"""

from dataclasses import dataclass, field
from datetime import datetime

from helpdesk.clocks import Mark, SlaState, replay
from helpdesk.models import Message, Ticket, TicketEvent
from helpdesk.services.timeline import Kind, event_record
from statusfeed.presenters import local_display

HOLDING_MESSAGE = "Still working on it; next update by {next_update}."


@dataclass(frozen=True)
class _Planned:
    """A timeline event about to be written, to replay the clocks as they will be."""

    at: datetime
    kind: str
    data: dict = field(default_factory=dict)


def holding_update_due(*, state: SlaState, marks: list[Mark]) -> bool:
    """True when the sweep just recorded the update clock's last warning (or its breach)."""
    update = state.clocks["update"]
    if update.state != "running":
        return False
    last_warning = max((m.threshold for m in update.marks if not m.is_breach), default=1.0)
    return any(
        m.clock == "update" and m.cycle == update.cycle and m.threshold >= last_warning
        for m in marks
    )


def holding_update_post(*, ticket: Ticket, state: SlaState, now: datetime) -> Message:
    """Write the holding update into the timeline (inside the sweep's transaction)."""
    due_at = state.clocks["update"].due_at
    calendar = ticket.team.calendar
    timeline = TicketEvent.objects.filter(ticket=ticket).only("at", "kind", "data")
    after = replay(
        [*timeline.order_by("at", "id"), _Planned(now, Kind.PUBLIC_REPLY)],
        calendar=calendar.business_calendar(),
        now=now,
    )
    next_update = after.next_update_due
    body = HOLDING_MESSAGE.format(
        next_update=local_display(
            next_update.isoformat() if next_update else None, calendar.timezone
        )
    )
    message = Message.objects.create(
        ticket=ticket, kind=Message.Kind.PUBLIC_REPLY, author=None, body=body, created_at=now
    )
    event_record(
        ticket=ticket,
        kind=Kind.PUBLIC_REPLY,
        at=now,
        data={
            "message": message.pk,
            "holding": True,
            "on_time": due_at is not None and now <= due_at,
            "due_at": due_at.isoformat() if due_at else None,
        },
    )
    return message

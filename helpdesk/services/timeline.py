"""Writing timeline events and keeping a ticket's SLA columns equal to its replayed timeline.

Every service that changes a ticket calls `event_record` for what happened and then
`ticket_sla_refresh`, inside its own transaction, with the ticket row locked.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser

from helpdesk.clocks import SlaState, Targets, replay
from helpdesk.models import Ticket, TicketEvent
from helpdesk.reports.services import report_rows_sync
from helpdesk.selectors import sla_targets_for
from helpdesk.services.sla_checks import sla_checks_set

Kind = TicketEvent.Kind


def event_record(
    *,
    ticket: Ticket,
    kind: str,
    at: datetime,
    actor: AbstractBaseUser | None = None,
    data: dict | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, kind=kind, at=at, actor=actor, data=data or {})


def sla_targets_apply(*, ticket: Ticket, at: datetime, reason: str) -> Targets:
    """Record the targets the ticket's current tier, category and customer call for."""
    targets, policies = sla_targets_for(
        priority=ticket.priority, category_id=ticket.category_id, contact_id=ticket.requester_id
    )
    event_record(
        ticket=ticket,
        kind=Kind.SLA_POLICY_APPLIED,
        at=at,
        data={
            **targets.as_data(),
            "priority": ticket.priority,
            "policies": policies,
            "reason": reason,
        },
    )
    return targets


class TimelineEntry(NamedTuple):
    """A stored timeline event as the clocks and reports read it (cheaper than a model)."""

    at: datetime
    kind: str
    data: dict
    actor_id: int | None


def timelines_of(ticket_ids: Iterable[int]) -> dict[int, list[TimelineEntry]]:
    """The timelines of many tickets in one query, each in order."""
    timelines: dict[int, list[TimelineEntry]] = {pk: [] for pk in ticket_ids}
    rows = (
        TicketEvent.objects.filter(ticket_id__in=list(timelines))
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "at", "kind", "data", "actor_id")
    )
    for ticket_id, *entry in rows:
        timelines[ticket_id].append(TimelineEntry(*entry))
    return timelines


def sla_state(ticket: Ticket, *, now: datetime) -> SlaState:
    events = (
        TicketEvent.objects.filter(ticket=ticket).only("at", "kind", "data").order_by("at", "id")
    )
    return replay(events, calendar=ticket.team.calendar.business_calendar(), now=now)


# Clock state changes worth a line of their own in the timeline.
_TRANSITION_EVENTS = {
    ("idle", "running"): Kind.SLA_STARTED,
    ("running", "paused"): Kind.SLA_PAUSED,
    ("paused", "running"): Kind.SLA_RESUMED,
    ("met", "running"): Kind.SLA_RESUMED,
    ("missed", "running"): Kind.SLA_RESUMED,
    ("running", "met"): Kind.SLA_MET,
    ("paused", "met"): Kind.SLA_MET,
}


SLA_COLUMNS = (
    "first_response_due",
    "first_responded_at",
    "next_update_due",
    "resolution_due",
    "resolution_paused",
    "resolved_at",
    "sla_breached",
    "sla_state",
    "sla_due",
)


def sla_columns(state: SlaState) -> dict:
    """The ticket's SLA columns as the replayed `state` gives them."""
    first_response_due = state.clocks["first_response"].due_at
    next_update_due = state.next_update_due
    resolution = state.clocks["resolution"]
    resolution_due = resolution.due_at if resolution.state == "running" else None
    running_dues = (
        first_response_due if state.first_responded_at is None else None,
        next_update_due,
        resolution_due,
    )
    values = (
        first_response_due,
        state.first_responded_at,
        next_update_due,
        resolution_due,
        resolution.state == "paused",
        state.resolved_at,
        state.breached,
        state.as_data(),
        min((due for due in running_dues if due is not None), default=None),
    )
    return dict(zip(SLA_COLUMNS, values, strict=True))


def sla_transitions(*, stored: dict, state: SlaState) -> list[tuple[str, dict]]:
    """The timeline events (kind, data) for clocks whose state changed since `stored`."""
    before = stored.get("clocks", {})
    transitions = []
    for name, clock in state.clocks.items():
        was = before.get(name, {}).get("state", "idle")
        kind = _TRANSITION_EVENTS.get((was, clock.state))
        if kind:
            transitions.append((kind, {"clock": name, "cycle": clock.cycle}))
    return transitions


def ticket_sla_refresh(*, ticket: Ticket, now: datetime) -> SlaState:
    """Replay the timeline, note clock transitions, and store the result on the ticket."""
    state = sla_state(ticket, now=now)
    for kind, data in sla_transitions(stored=ticket.sla_state, state=state):
        event_record(ticket=ticket, kind=kind, at=now, data=data)
    columns = sla_columns(state)
    for column, value in columns.items():
        setattr(ticket, column, value)
    ticket.updated_at = now
    ticket.version += 1
    ticket.save(update_fields=[*columns, "updated_at", "version"])
    sla_checks_set({ticket.pk: state.next_check_at})
    report_rows_sync(ticket=ticket, state=state)
    return state

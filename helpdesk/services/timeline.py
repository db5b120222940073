"""Writing timeline events and keeping a ticket's SLA columns equal to its replayed timeline.

Every service that changes a ticket calls `event_record` for what happened and then
`ticket_sla_refresh`, inside its own transaction, with the ticket row locked.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from helpdesk.clocks import SlaState, Targets, replay
from helpdesk.models import Ticket, TicketEvent
from helpdesk.selectors import sla_targets_for

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


def ticket_sla_refresh(*, ticket: Ticket, now: datetime) -> SlaState:
    """Replay the timeline, note clock transitions, and store the result on the ticket."""
    state = sla_state(ticket, now=now)
    before = ticket.sla_state.get("clocks", {})
    for name, clock in state.clocks.items():
        was = before.get(name, {}).get("state", "idle")
        kind = _TRANSITION_EVENTS.get((was, clock.state))
        if kind:
            event_record(
                ticket=ticket, kind=kind, at=now, data={"clock": name, "cycle": clock.cycle}
            )
    ticket.first_response_due = state.clocks["first_response"].due_at
    ticket.first_responded_at = state.first_responded_at
    ticket.next_update_due = state.next_update_due
    resolution = state.clocks["resolution"]
    ticket.resolution_due = resolution.due_at if resolution.state == "running" else None
    ticket.resolution_paused = resolution.state == "paused"
    ticket.resolved_at = state.resolved_at
    ticket.sla_breached = state.breached
    ticket.sla_next_check_at = state.next_check_at
    ticket.sla_state = state.as_data()
    ticket.updated_at = now
    ticket.save(
        update_fields=[
            "first_response_due",
            "first_responded_at",
            "next_update_due",
            "resolution_due",
            "resolution_paused",
            "resolved_at",
            "sla_breached",
            "sla_next_check_at",
            "sla_state",
            "updated_at",
        ]
    )
    return state

"""Keeping the report rows of a ticket equal to its timeline.

`ticket_sla_refresh` calls `report_rows_sync` inside the caller's transaction, after it has
replayed the clocks, so the rows change in the same commit as the timeline they come from.
Rows are compared first and written only when they differ: most refreshes change nothing a
report counts.
"""

from dataclasses import asdict

from helpdesk.clocks import SlaState
from helpdesk.models import Ticket, TicketEvent
from helpdesk.reports.models import SlaMeasure, SlaPause, TicketOutcome
from helpdesk.reports.outcomes import outcome_of

MEASURE_FIELDS = (
    "clock",
    "cycle",
    "met",
    "ended_by",
    "target_seconds",
    "business_seconds",
    "paused_seconds",
    "missed_by_seconds",
    "breached_at",
    "stopped_at",
)
PAUSE_FIELDS = ("at", "actor_id", "after_customer_reply_seconds", "ordinal")


def _grouping(ticket: Ticket) -> dict:
    return {
        "created_at": ticket.created_at,
        "team_id": ticket.team_id,
        "category_id": ticket.category_id,
        "priority": ticket.priority,
        "agent_id": ticket.assignee_id,
        "channel": ticket.channel,
        "audience": ticket.audience,
    }


def report_rows_sync(*, ticket: Ticket, state: SlaState) -> None:
    """Rewrite the ticket's outcome, SLA measures and pauses where they changed."""
    events = TicketEvent.objects.filter(ticket=ticket).only("at", "kind", "data", "actor_id")
    outcome = outcome_of(
        events.order_by("at", "id"),
        state=state,
        calendar=ticket.team.calendar.business_calendar(),
    )
    grouping = _grouping(ticket)

    facts = {**grouping, **asdict(outcome.facts)}
    if TicketOutcome.objects.filter(ticket=ticket).values(*facts).first() != facts:
        TicketOutcome.objects.update_or_create(ticket=ticket, defaults=facts)

    measures = [{**asdict(m), **grouping} for m in outcome.measures]
    stored = list(ticket.sla_measures.order_by("clock", "cycle").values(*MEASURE_FIELDS, *grouping))
    if sorted(measures, key=lambda m: (m["clock"], m["cycle"])) != stored:
        ticket.sla_measures.all().delete()
        SlaMeasure.objects.bulk_create(SlaMeasure(ticket=ticket, **m) for m in measures)

    pauses = [{**asdict(p), "created_at": ticket.created_at} for p in outcome.pauses]
    stored = list(ticket.sla_pauses.order_by("at", "id").values(*PAUSE_FIELDS, "created_at"))
    if pauses != stored:
        ticket.sla_pauses.all().delete()
        SlaPause.objects.bulk_create(SlaPause(ticket=ticket, **p) for p in pauses)

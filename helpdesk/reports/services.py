"""Keeping the report rows of a ticket equal to its timeline.

`ticket_sla_refresh` calls `report_rows_sync` inside the caller's transaction, after it has
replayed the clocks, so the rows change in the same commit as the timeline they come from
(the SLA sweep calls `report_rows_sync_many` for a batch of tickets at once).
Rows are compared first and written only when they differ: most refreshes change nothing a
report counts. A ticket whose outcome or targets changed marks its day of creation for the
daily rollups to be recomputed (`helpdesk.reports.rollups`), in the same transaction.
"""

from collections.abc import Sequence
from dataclasses import fields

from helpdesk.clocks import SlaState
from helpdesk.models import Ticket, TicketEvent
from helpdesk.reports.models import SlaMeasure, SlaPause, TicketOutcome
from helpdesk.reports.outcomes import TicketFacts, outcome_of
from helpdesk.reports.rollups import local_day, rollup_days_dirty

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
GROUPING_FIELDS = (
    "created_at",
    "team_id",
    "category_id",
    "priority",
    "agent_id",
    "channel",
    "audience",
)


def report_grouping(ticket: Ticket) -> dict:
    values = (
        ticket.created_at,
        ticket.team_id,
        ticket.category_id,
        ticket.priority,
        ticket.assignee_id,
        ticket.channel,
        ticket.audience,
    )
    return dict(zip(GROUPING_FIELDS, values, strict=True))


def report_rows_sync(*, ticket: Ticket, state: SlaState) -> None:
    """Rewrite the ticket's outcome, SLA measures and pauses where they changed."""
    events = TicketEvent.objects.filter(ticket=ticket).only("at", "kind", "data", "actor_id")
    report_rows_sync_many([(ticket, state, list(events.order_by("at", "id")))])


def report_rows_sync_many(items: Sequence[tuple[Ticket, SlaState, Sequence]]) -> None:
    """`report_rows_sync` for many tickets, given each one's replayed state and timeline:
    three reads and at most six writes, however many tickets (the SLA sweep's batches)."""
    if not items:
        return
    ids = [ticket.pk for ticket, _, _ in items]
    fact_fields = [*GROUPING_FIELDS, *(f.name for f in fields(TicketFacts))]
    stored_facts = {
        row.pop("ticket_id"): row
        for row in TicketOutcome.objects.filter(ticket_id__in=ids).values("ticket_id", *fact_fields)
    }
    stored_measures = _by_ticket(
        SlaMeasure.objects.filter(ticket_id__in=ids)
        .order_by("ticket_id", "clock", "cycle")
        .values("ticket_id", *MEASURE_FIELDS, *GROUPING_FIELDS)
    )
    stored_pauses = _by_ticket(
        SlaPause.objects.filter(ticket_id__in=ids)
        .order_by("ticket_id", "at", "id")
        .values("ticket_id", *PAUSE_FIELDS, "created_at")
    )
    outcomes, measures, pauses = [], {}, {}
    for ticket, state, timeline in items:
        outcome = outcome_of(
            timeline, state=state, calendar=ticket.team.calendar.business_calendar()
        )
        grouping = report_grouping(ticket)
        facts = {**grouping, **_flat(outcome.facts)}
        if stored_facts.get(ticket.pk) != facts:
            outcomes.append(TicketOutcome(ticket=ticket, **facts))
        rows = [{**_flat(m), **grouping} for m in outcome.measures]
        if sorted(rows, key=lambda m: (m["clock"], m["cycle"])) != stored_measures.get(
            ticket.pk, []
        ):
            measures[ticket.pk] = [SlaMeasure(ticket=ticket, **m) for m in rows]
        rows = [{**_flat(p), "created_at": ticket.created_at} for p in outcome.pauses]
        if rows != stored_pauses.get(ticket.pk, []):
            pauses[ticket.pk] = [SlaPause(ticket=ticket, **p) for p in rows]
    rolled_up = {outcome.ticket_id for outcome in outcomes} | set(measures)
    if rolled_up:
        rollup_days_dirty(
            days={local_day(ticket.created_at) for ticket, _, _ in items if ticket.pk in rolled_up}
        )
    if outcomes:
        TicketOutcome.objects.bulk_create(
            outcomes, update_conflicts=True, unique_fields=["ticket"], update_fields=fact_fields
        )
    for model, rows in ((SlaMeasure, measures), (SlaPause, pauses)):
        if rows:
            model.objects.filter(ticket_id__in=list(rows)).delete()
            model.objects.bulk_create(row for ticket_rows in rows.values() for row in ticket_rows)


def _flat(record) -> dict:
    # The outcome's records hold plain values: a shallow copy is all asdict's deep one gives.
    return dict(vars(record))


def _by_ticket(rows) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row.pop("ticket_id"), []).append(row)
    return grouped

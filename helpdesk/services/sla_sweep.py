"""Record SLA warnings and breaches whose instant has passed.

Cost grows with the tickets due, not the tickets open: the sweep reads the indexed
`sla_next_check_at` column. Safe to run twice at once: rows are claimed with
SKIP LOCKED, and a mark already in the timeline is never written again.

In the same transaction as the marks it records, the sweep fires the ticket's escalation
steps (helpdesk.services.escalation), posts a holding update when the team wants one
(helpdesk.services.public_updates), and publishes a revised ETA after a breach; emails and
webhooks are queued in that transaction and sent by tasks after it commits.

Tickets are claimed and handled in batches, one transaction each: a batch's timelines are
read in one query, each ticket's clocks are replayed once, and what the batch writes is
collected and written a statement per kind (helpdesk.services.sweep_writes), so a sweep
costs a few queries per batch rather than per ticket (bench/sweep.py measures it).
"""

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from helpdesk.clocks import Mark, SlaState, replay
from helpdesk.models import Ticket
from helpdesk.services.escalation import Escalation, EscalationPolicies, ticket_escalate
from helpdesk.services.public_updates import holding_update_due, holding_update_post
from helpdesk.services.sweep_writes import SweepWrites
from helpdesk.services.timeline import Kind, TimelineEntry, timelines_of
from helpdesk.services.webhooks import webhook_endpoints_by_team

SWEEP_BATCH = 500  # tickets claimed, and locked, per transaction
REVISED_ETA_MESSAGE = "This is taking longer than we promised, so we have escalated it."


@dataclass
class SweepResult:
    tickets: int = 0
    warnings: list[tuple[str, Mark]] = field(default_factory=list)
    breaches: list[tuple[str, Mark]] = field(default_factory=list)
    escalations: list[tuple[str, Escalation]] = field(default_factory=list)
    holding_updates: list[str] = field(default_factory=list)


def sla_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    policies = EscalationPolicies()
    after: datetime | None = None  # the latest check instant claimed so far
    claimed_at_after: list[int] = []  # the tickets claimed with exactly that instant
    while True:
        with transaction.atomic():
            batch = list(tickets_due(now=now, after=after, claimed=claimed_at_after)[:batch_size])
            if batch:
                # Read before the batch moves each ticket's next check.
                last = batch[-1].sla_next_check_at
                tied = [ticket.pk for ticket in batch if ticket.sla_next_check_at == last]
                claimed_at_after = [*claimed_at_after, *tied] if last == after else tied
                after = last
                _sweep_batch(batch, now, policies, result)
        if len(batch) < batch_size:
            return result


def tickets_due(
    *, now: datetime, after: datetime | None = None, claimed: list[int] | None = None
) -> QuerySet[Ticket]:
    """The claim: tickets due a check, oldest first, in the `sla_next_check_at` index's order
    (no sort), skipping rows another sweep holds. A sweep moves on from the instant it has
    reached (`after`), past the tickets it already `claimed` at exactly that instant, so a
    ticket still due after its turn is not claimed twice."""
    due = Ticket.objects.filter(sla_next_check_at__lt=now)
    if after is not None:
        due = due.filter(sla_next_check_at__gte=after).exclude(pk__in=claimed or [])
    # A batch's few teams, calendars, leads and agents are read once, not joined per ticket.
    due = due.prefetch_related("team__calendar", "team__lead", "assignee__user").order_by(
        "sla_next_check_at"
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due  # SQLite: one writer at a time already


def _sweep_batch(
    batch: list[Ticket], now: datetime, policies: EscalationPolicies, result: SweepResult
) -> None:
    timelines = timelines_of(ticket.pk for ticket in batch)
    writes = SweepWrites(endpoints=webhook_endpoints_by_team({t.team_id for t in batch}))
    for ticket in batch:
        result.tickets += 1
        _sweep_ticket(ticket, timelines[ticket.pk], now, policies, writes, result)
    writes.flush()


def _sweep_ticket(
    ticket: Ticket,
    timeline: list,
    now: datetime,
    policies: EscalationPolicies,
    writes: SweepWrites,
    result: SweepResult,
) -> None:
    state = replay(timeline, calendar=ticket.team.calendar.business_calendar(), now=now)
    marks = state.marks_due()
    for mark in marks:
        data = {
            "clock": mark.clock,
            "cycle": mark.cycle,
            "threshold": mark.threshold,
            "reached_at": mark.at.isoformat(),
        }
        kind = Kind.SLA_BREACHED if mark.is_breach else Kind.SLA_WARNED
        timeline.append(writes.event(ticket=ticket, kind=kind, at=now, data=data))
        event = "ticket.sla_breached" if mark.is_breach else "ticket.sla_warning"
        writes.webhook(ticket=ticket, event=event, data=data, at=now)
        (result.breaches if mark.is_breach else result.warnings).append((ticket.reference, mark))
    if not marks:
        writes.sla_store(ticket=ticket, state=state, timeline=timeline, now=now)
        return
    # What replaying the timeline with these marks in it gives: the clocks stay as they are.
    state = replace(state, recorded=state.recorded | {mark.key for mark in marks})
    _act_on_marks(ticket, state, marks, timeline, now, policies, writes, result)


def _act_on_marks(
    ticket: Ticket,
    state: SlaState,
    marks: list[Mark],
    timeline: list,
    now: datetime,
    policies: EscalationPolicies,
    writes: SweepWrites,
    result: SweepResult,
) -> None:
    """Holding update, escalation steps, then the clocks again and what the customer sees."""
    policy = policies.for_ticket(team_id=ticket.team_id, priority=ticket.priority)
    holding = None
    if policy and policy.holding_updates and holding_update_due(state=state, marks=marks):
        writes.flush()  # the marks go first in the timeline
        holding = holding_update_post(ticket=ticket, state=state, now=now)
        result.holding_updates.append(ticket.reference)
    escalations = ticket_escalate(
        ticket=ticket,
        policy=policy,
        state=state,
        marks=marks,
        now=now,
        timeline=timeline,
        writes=writes,
    )
    result.escalations.extend((ticket.reference, escalation) for escalation in escalations)
    if holding is not None or any(escalation.changes for escalation in escalations):
        # A reply, new targets or a new team: replay what is now stored.
        writes.flush()
        timeline = _stored_timeline(ticket)
        state = replay(timeline, calendar=ticket.team.calendar.business_calendar(), now=now)
    writes.sla_store(ticket=ticket, state=state, timeline=timeline, now=now)
    if holding is not None:
        # The contract's public kind for "still working on it" (statusfeed.presenters).
        writes.public_event(ticket=ticket, kind="sla_warning", at=now, message=holding.body)
    if any(mark.is_breach for mark in marks):
        # The promise as the targets now in force (perhaps raised by a step) give it.
        writes.public_event(ticket=ticket, kind="eta_revised", at=now, message=REVISED_ETA_MESSAGE)


def _stored_timeline(ticket: Ticket) -> list[TimelineEntry]:
    return timelines_of([ticket.pk])[ticket.pk]

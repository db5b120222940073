"""Record SLA warnings and breaches whose instant has passed.

Cost grows with the tickets due, not the tickets open: the sweep reads the indexed
`sla_next_check_at` column. Safe to run twice at once: rows are claimed with
SKIP LOCKED, and a mark already in the timeline is never written again.

In the same transaction as the marks it records, the sweep fires the ticket's escalation
steps (helpdesk.services.escalation), posts a holding update when the team wants one
(helpdesk.services.public_updates), and publishes a revised ETA after a breach; emails and
webhooks are queued in that transaction and sent by tasks after it commits.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from helpdesk.clocks import Mark, SlaState
from helpdesk.models import Ticket, WebhookEndpoint
from helpdesk.services.escalation import Escalation, escalation_policy_for, ticket_escalate
from helpdesk.services.public_updates import holding_update_due, holding_update_post
from helpdesk.services.timeline import Kind, event_record, sla_state, ticket_sla_refresh
from helpdesk.services.webhooks import webhook_endpoints, webhook_event_queue
from statusfeed.services import ticket_public_event

SWEEP_BATCH = 100  # tickets claimed per transaction
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
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            batch = list(tickets_due(now=now).exclude(pk__in=seen)[:batch_size])
            for ticket in batch:
                seen.add(ticket.pk)
                _record_marks(ticket, now, result)
        if len(batch) < batch_size:
            return result


def tickets_due(*, now: datetime):
    """The claim: the oldest tickets due a check that no other sweep holds."""
    due = (
        Ticket.objects.filter(sla_next_check_at__lt=now)
        .select_related("team__calendar")
        .order_by("sla_next_check_at")
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due  # SQLite: one writer at a time already


def _record_marks(ticket: Ticket, now: datetime, result: SweepResult) -> None:
    result.tickets += 1
    state = sla_state(ticket, now=now)
    marks = state.marks_due()
    if not marks:
        ticket_sla_refresh(ticket=ticket, now=now)
        return
    endpoints = list(webhook_endpoints(ticket.team_id))
    for mark in marks:
        data = {
            "clock": mark.clock,
            "cycle": mark.cycle,
            "threshold": mark.threshold,
            "reached_at": mark.at.isoformat(),
        }
        event_record(
            ticket=ticket,
            kind=Kind.SLA_BREACHED if mark.is_breach else Kind.SLA_WARNED,
            at=now,
            data=data,
        )
        webhook_event_queue(
            ticket=ticket,
            event="ticket.sla_breached" if mark.is_breach else "ticket.sla_warning",
            data=data,
            at=now,
            endpoints=endpoints,
        )
        (result.breaches if mark.is_breach else result.warnings).append((ticket.reference, mark))
    _act_on_marks(ticket, state, marks, now, result, endpoints)


def _act_on_marks(
    ticket: Ticket,
    state: SlaState,
    marks: list[Mark],
    now: datetime,
    result: SweepResult,
    endpoints: list[WebhookEndpoint],
) -> None:
    """Holding update, escalation steps, then the clocks again and what the customer sees."""
    policy = escalation_policy_for(team_id=ticket.team_id, priority=ticket.priority)
    holding = None
    if policy and policy.holding_updates and holding_update_due(state=state, marks=marks):
        holding = holding_update_post(ticket=ticket, state=state, now=now)
        result.holding_updates.append(ticket.reference)
    for escalation in ticket_escalate(
        ticket=ticket, policy=policy, state=state, marks=marks, now=now, endpoints=endpoints
    ):
        result.escalations.append((ticket.reference, escalation))
    ticket_sla_refresh(ticket=ticket, now=now)
    if holding is not None:
        # The contract's public kind for "still working on it" (statusfeed.presenters).
        ticket_public_event(ticket=ticket, kind="sla_warning", at=now, message=holding.body)
    if any(mark.is_breach for mark in marks):
        # The promise as the targets now in force (perhaps raised by a step) give it.
        ticket_public_event(ticket=ticket, kind="eta_revised", at=now, message=REVISED_ETA_MESSAGE)

"""Record SLA warnings and breaches whose instant has passed.

Cost grows with the tickets due, not the tickets open: the sweep reads the index of each
ticket's next check instant (helpdesk.models.SlaCheck). Safe to run twice at once: ticket rows
are claimed with SKIP LOCKED, and each claimed ticket's own stored state (or its timeline) says
which marks are still to record, so a mark is never written twice.

In the same transaction as the marks it records, the sweep fires the ticket's escalation
steps (helpdesk.services.escalation), posts a holding update when the team wants one
(helpdesk.services.public_updates), and publishes a revised ETA after a breach; emails and
webhooks are queued in that transaction and sent by tasks after it commits.

Tickets are claimed and handled in batches, one transaction each: a batch's timelines are
read in one query, each ticket's clocks are replayed once, and what the batch writes is
collected and written a statement per kind (helpdesk.services.sweep_writes), so a sweep
costs a few queries per batch rather than per ticket (bench/sweep.py measures it).
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from helpdesk.clocks import Mark, SlaState, replay
from helpdesk.models import SlaCheck, Ticket, TicketEvent
from helpdesk.services.escalation import Escalation, EscalationPolicies, ticket_escalate
from helpdesk.services.public_updates import holding_update_due, holding_update_post
from helpdesk.services.sweep_writes import SweepWrites
from helpdesk.services.timeline import Kind, TimelineEntry, timelines_of
from helpdesk.services.webhooks import webhook_endpoints_by_team
from helpdesk.sla import BusinessCalendar

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
    with _fewer_collections():
        return _sweep(now or timezone.now(), batch_size)


@contextmanager
def _fewer_collections(young: int = 50_000) -> Iterator[None]:
    """Python's cycle collector less often while a sweep runs: a batch makes hundreds of
    thousands of short-lived objects (rows, model instances, dicts), and at the default
    threshold (700) collecting them cost a fifth of a big sweep's CPU (bench/sweep.py).
    The threshold is the process's: sweeps in threads of one process share the change, and
    the last one to end puts it back."""
    global _sweeps_running, _threshold_before
    with _threshold_lock:
        if _sweeps_running == 0:
            _threshold_before = gc.get_threshold()
            gc.set_threshold(young, *_threshold_before[1:])
        _sweeps_running += 1
    try:
        yield
    finally:
        with _threshold_lock:
            _sweeps_running -= 1
            if _sweeps_running == 0:
                gc.set_threshold(*_threshold_before)


_threshold_lock = threading.Lock()
_sweeps_running = 0
_threshold_before = gc.get_threshold()


def _sweep(now: datetime, batch_size: int) -> SweepResult:
    result = SweepResult()
    policies = EscalationPolicies()
    after: datetime | None = None  # the latest check instant claimed so far
    claimed_at_after: list[int] = []  # the tickets claimed with exactly that instant
    while True:
        with transaction.atomic():
            batch = list(tickets_due(now=now, after=after, claimed=claimed_at_after)[:batch_size])
            if batch:
                # Read before the batch moves each ticket's next check.
                last = batch[-1].sla_check.at
                tied = [ticket.pk for ticket in batch if ticket.sla_check.at == last]
                claimed_at_after = [*claimed_at_after, *tied] if last == after else tied
                after = last
                _sweep_batch(batch, now, policies, result)
        if len(batch) < batch_size:
            return result


def sla_backlog(*, now: datetime | None = None) -> bool:
    """Whether more tickets are due a check than one batch holds (one capped index read)."""
    due = SlaCheck.objects.filter(at__lt=now or timezone.now())
    return due[SWEEP_BATCH : SWEEP_BATCH + 1].exists()


def tickets_due(
    *, now: datetime, after: datetime | None = None, claimed: list[int] | None = None
) -> QuerySet[Ticket]:
    """The claim: tickets due a check, oldest first, in the check instants' index order
    (no sort), skipping rows another sweep holds. A sweep moves on from the instant it has
    reached (`after`), past the tickets it already `claimed` at exactly that instant, so a
    ticket still due after its turn is not claimed twice.

    The check row is locked with its ticket: a row another sweep moved after this one's
    snapshot is then read again as it now stands (PostgreSQL re-checks the locked rows of a
    join), so a ticket that sweep has just handled is not claimed a second time."""
    due = Ticket.objects.filter(sla_check__at__lt=now)
    if after is not None:
        due = due.filter(sla_check__at__gte=after).exclude(pk__in=claimed or [])
    # A batch's few teams, calendars, leads and agents are read once, not joined per ticket.
    due = (
        due.defer("description")  # possibly long, and nothing here reads it
        .select_related("sla_check")
        .prefetch_related("team__calendar", "team__lead", "assignee__user")
        .order_by("sla_check__at")
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self", "sla_check"))
    return due  # SQLite: one writer at a time already


def _sweep_batch(
    batch: list[Ticket], now: datetime, policies: EscalationPolicies, result: SweepResult
) -> None:
    # A ticket whose stored state says which marks are pending needs no replay; one stored
    # before the state kept them (or one the sweep cannot settle from it) is replayed.
    replayed = [ticket for ticket in batch if not _knows_its_marks(ticket)]
    timelines = timelines_of(ticket.pk for ticket in replayed)
    writes = SweepWrites(endpoints=webhook_endpoints_by_team({t.team_id for t in batch}))
    calendars = {t.team_id: t.team.calendar.business_calendar() for t in batch}
    for ticket in batch:
        result.tickets += 1
        if ticket.pk in timelines:
            _sweep_replayed(ticket, timelines[ticket.pk], now, policies, writes, result)
        else:
            _sweep_stored(ticket, calendars[ticket.team_id], now, policies, writes, result)
    writes.flush()


def _knows_its_marks(ticket: Ticket) -> bool:
    return "pending" in ticket.sla_state and "escalated" in ticket.sla_state


def _sweep_stored(
    ticket: Ticket,
    calendar: BusinessCalendar,
    now: datetime,
    policies: EscalationPolicies,
    writes: SweepWrites,
    result: SweepResult,
) -> None:
    """The marks due, from the ticket's stored state: the replay that stored it found their
    instants, and nothing has happened to the ticket since (any change replays again)."""
    stored = ticket.sla_state
    pending = [
        Mark(c, cycle, threshold, _instant(at)) for c, cycle, threshold, at in stored["pending"]
    ]
    marks = [mark for mark in pending if mark.at < now]
    policy = policies.for_ticket(team_id=ticket.team_id, priority=ticket.priority)
    holding = policy and policy.holding_updates and any(m.clock == "update" for m in marks)
    if not marks or holding:
        # Nothing due after all, or a holding update to write: the replay decides.
        _sweep_replayed(ticket, _stored_timeline(ticket), now, policies, writes, result)
        return
    _record_marks(ticket, marks, now, writes, result)
    fired = {(clock, cycle, step) for clock, cycle, step in stored["escalated"]}
    due_at = {name: _instant(clock["due_at"]) for name, clock in stored["clocks"].items()}
    escalations = ticket_escalate(
        ticket=ticket,
        policy=policy,
        marks=marks,
        due_at=due_at,
        fired=fired,
        now=now,
        writes=writes,
    )
    result.escalations.extend((ticket.reference, escalation) for escalation in escalations)
    if any(escalation.changes for escalation in escalations):
        # New targets or a new team: replay what is now stored.
        writes.flush()
        timeline = _stored_timeline(ticket)
        state = replay(timeline, calendar=ticket.team.calendar.business_calendar(), now=now)
        writes.sla_store(ticket=ticket, state=state, timeline=timeline, now=now)
    else:
        writes.marks_store(ticket=ticket, marks=marks, fired=fired, calendar=calendar, now=now)
    if any(mark.is_breach for mark in marks):
        writes.public_event(ticket=ticket, kind="eta_revised", at=now, message=REVISED_ETA_MESSAGE)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _record_marks(
    ticket: Ticket, marks: list[Mark], now: datetime, writes: SweepWrites, result: SweepResult
) -> list[TicketEvent]:
    events = []
    for mark in marks:
        data = {
            "clock": mark.clock,
            "cycle": mark.cycle,
            "threshold": mark.threshold,
            "reached_at": mark.at.isoformat(),
        }
        kind = Kind.SLA_BREACHED if mark.is_breach else Kind.SLA_WARNED
        events.append(writes.event(ticket=ticket, kind=kind, at=now, data=data))
        event = "ticket.sla_breached" if mark.is_breach else "ticket.sla_warning"
        writes.webhook(ticket=ticket, event=event, data=data, at=now)
        (result.breaches if mark.is_breach else result.warnings).append((ticket.reference, mark))
    return events


def _sweep_replayed(
    ticket: Ticket,
    timeline: list,
    now: datetime,
    policies: EscalationPolicies,
    writes: SweepWrites,
    result: SweepResult,
) -> None:
    state = replay(timeline, calendar=ticket.team.calendar.business_calendar(), now=now)
    marks = state.marks_due()
    timeline.extend(_record_marks(ticket, marks, now, writes, result))
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
    fired = set(state.escalated)
    escalations = ticket_escalate(
        ticket=ticket,
        policy=policy,
        marks=marks,
        due_at={name: clock.due_at for name, clock in state.clocks.items()},
        fired=fired,
        now=now,
        writes=writes,
    )
    result.escalations.extend((ticket.reference, escalation) for escalation in escalations)
    if holding is not None or any(escalation.changes for escalation in escalations):
        # A reply, new targets or a new team: replay what is now stored.
        writes.flush()
        timeline = _stored_timeline(ticket)
        state = replay(timeline, calendar=ticket.team.calendar.business_calendar(), now=now)
    else:
        state = replace(state, escalated=frozenset(fired))
    writes.sla_store(ticket=ticket, state=state, timeline=timeline, now=now)
    if holding is not None:
        # The contract's public kind for "still working on it" (statusfeed.presenters).
        writes.public_event(ticket=ticket, kind="sla_warning", at=now, message=holding.body)
    if any(mark.is_breach for mark in marks):
        # The promise as the targets now in force (perhaps raised by a step) give it.
        writes.public_event(ticket=ticket, kind="eta_revised", at=now, message=REVISED_ETA_MESSAGE)


def _stored_timeline(ticket: Ticket) -> list[TimelineEntry]:
    return timelines_of([ticket.pk])[ticket.pk]

"""Derive a ticket's report rows from its timeline and its replayed SLA state.

Pure: no database. `helpdesk.clocks.replay` says where each clock stands; this module adds
what a report needs and the replay does not keep: one record per public update cycle, the
business time the resolution clock was paused before it stopped, each pause an agent made,
and whether the ticket was resolved at first contact or reopened.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Protocol

from helpdesk.clocks import (
    ALWAYS_OPEN,
    DONE,
    RESOLUTION_PAUSED,
    UPDATES_SUSPENDED,
    ClockState,
    SlaState,
    Target,
    Targets,
)
from helpdesk.sla import BusinessCalendar

PENDING = "pending"


class TimelineEvent(Protocol):
    at: datetime
    kind: str
    data: Mapping
    actor_id: int | None


@dataclass(frozen=True)
class TicketFacts:
    is_open: bool
    breached: bool
    was_resolved: bool
    reopened: bool
    first_contact_resolution: bool


@dataclass(frozen=True)
class Measure:
    clock: str
    cycle: int
    met: bool
    ended_by: str  # "" while still running
    target_seconds: int
    business_seconds: int | None
    paused_seconds: int
    missed_by_seconds: int | None
    breached_at: datetime | None
    stopped_at: datetime | None


@dataclass(frozen=True)
class Pause:
    at: datetime
    actor_id: int | None
    after_customer_reply_seconds: int | None
    ordinal: int


@dataclass(frozen=True)
class Outcome:
    facts: TicketFacts
    measures: list[Measure]
    pauses: list[Pause]


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())


def outcome_of(
    events: Iterable[TimelineEvent], *, state: SlaState, calendar: BusinessCalendar
) -> Outcome:
    """The report rows of one ticket as its timeline stands at `state.now`."""
    timeline = [e for e in events if e.at <= state.now]
    statuses = _statuses(timeline)
    targets_log = [
        (e.at, Targets.from_data(e.data)) for e in timeline if e.kind == "sla_policy_applied"
    ]

    def calendar_for(target: Target) -> BusinessCalendar:
        return ALWAYS_OPEN if target.always_open else calendar

    resolution_calendar = calendar_for(targets_log[-1][1].resolution)
    measures = [
        *_first_response(state),
        *_update_cycles(timeline, targets_log, calendar_for, state.clocks["update"]),
        *_resolution(state.clocks["resolution"], statuses, resolution_calendar),
    ]
    return Outcome(
        facts=_facts(timeline, statuses, state), measures=measures, pauses=_pauses(timeline)
    )


def _statuses(timeline: Sequence[TimelineEvent]) -> list[tuple[datetime, str]]:
    created = next(e for e in timeline if e.kind == "created")
    return [(created.at, created.data.get("status", "new"))] + [
        (e.at, e.data["to"]) for e in timeline if e.kind == "status_changed"
    ]


def _facts(
    timeline: Sequence[TimelineEvent], statuses: Sequence[tuple[datetime, str]], state: SlaState
) -> TicketFacts:
    current = statuses[-1][1]
    reopened = any(a in DONE and b not in DONE for (_, a), (_, b) in pairwise(statuses))
    replies_before_done = 0
    for event in timeline:
        if event.kind == "status_changed" and event.data["to"] in DONE:
            break
        replies_before_done += event.kind == "public_reply"
    is_done = current in DONE
    return TicketFacts(
        is_open=not is_done,
        breached=not is_done and state.breached,
        was_resolved=any(status in DONE for _, status in statuses),
        reopened=reopened,
        first_contact_resolution=is_done and not reopened and replies_before_done == 1,
    )


def _missed_while_running(clock: ClockState, cycle: int = 0) -> Measure:
    return Measure(
        clock=clock.name,
        cycle=cycle,
        met=False,
        ended_by="",
        target_seconds=_seconds(clock.target),
        business_seconds=None,
        paused_seconds=0,
        missed_by_seconds=None,
        breached_at=clock.due_at,
        stopped_at=None,
    )


def _stopped(clock: ClockState, *, ended_by: str, paused: timedelta = timedelta(0)) -> Measure:
    return Measure(
        clock=clock.name,
        cycle=0,
        met=clock.state == "met",
        ended_by=ended_by,
        target_seconds=_seconds(clock.target),
        business_seconds=_seconds(clock.elapsed),
        paused_seconds=_seconds(paused),
        missed_by_seconds=_seconds(clock.missed_by) if clock.missed_by else None,
        breached_at=clock.due_at if clock.state == "missed" else None,
        stopped_at=clock.stopped_at,
    )


def _first_response(state: SlaState) -> list[Measure]:
    clock = state.clocks["first_response"]
    if clock.state in ("met", "missed"):
        by_reply = state.first_responded_at is not None and (
            state.first_responded_at == clock.stopped_at
        )
        return [_stopped(clock, ended_by="reply" if by_reply else "resolution")]
    return [_missed_while_running(clock)] if clock.breached else []


def _resolution(
    clock: ClockState, statuses: Sequence[tuple[datetime, str]], calendar: BusinessCalendar
) -> list[Measure]:
    if clock.state not in ("met", "missed"):
        return [_missed_while_running(clock)] if clock.breached else []
    # The clock stops when it last paused (a ticket may wait on the customer and then be
    # resolved); the resolution is the ticket's last step into resolved or closed.
    resolved_at = next(
        at
        for (_, before), (at, status) in reversed(list(pairwise(statuses)))
        if status in DONE and before not in DONE
    )
    measure = _stopped(
        clock, ended_by="resolution", paused=_paused(statuses, resolved_at, calendar)
    )
    return [replace(measure, stopped_at=resolved_at)]


def _paused(
    statuses: Sequence[tuple[datetime, str]], until: datetime, calendar: BusinessCalendar
) -> timedelta:
    """Business time spent in pausing statuses before `until`."""
    paused, since = timedelta(0), None
    for at, status in [*statuses, (until, "")]:
        at = min(at, until)
        if status in RESOLUTION_PAUSED and since is None:
            since = at
        elif status not in RESOLUTION_PAUSED and since is not None:
            paused += calendar.elapsed(since, at)
            since = None
    return paused


def _update_cycles(
    timeline: Sequence[TimelineEvent],
    targets_log: Sequence[tuple[datetime, Targets]],
    calendar_for,
    running: ClockState,
) -> list[Measure]:
    """Each decided public update cycle, walked exactly as `helpdesk.clocks` walks them.

    A cycle closed by a public reply is on time or late; one abandoned because the ticket
    went to the customer or was resolved counts only if it was already overdue (the customer
    waited past the promise either way); the cycle still running counts once overdue.
    """

    def targets_at(instant: datetime) -> Target:
        in_force = [t for at, t in targets_log if at <= instant]
        return (in_force[-1] if in_force else targets_log[0][1]).update

    def decided(start: datetime, end: datetime, ended_by: str, cycle: int) -> Measure | None:
        target = targets_at(end)
        calendar = calendar_for(target)
        due = calendar.add(start, target.duration)
        late = end > due
        if ended_by == "suspension" and not late:
            return None
        business = calendar.elapsed(start, end)
        return Measure(
            clock="update",
            cycle=cycle,
            met=not late,
            ended_by=ended_by,
            target_seconds=_seconds(target.duration),
            business_seconds=_seconds(business),
            paused_seconds=0,
            missed_by_seconds=_seconds(max(business - target.duration, timedelta(0)))
            if late
            else None,
            breached_at=due if late else None,
            stopped_at=end,
        )

    measures: list[Measure] = []
    cycle = 0
    start: datetime | None = None
    responded = suspended = False
    for event in timeline:
        if event.kind == "public_reply":
            if start is not None:
                if measure := decided(start, event.at, "reply", cycle):
                    measures.append(measure)
                cycle += 1
            responded = True
            start = None if suspended else event.at
        elif event.kind == "status_changed":
            now_suspended = event.data["to"] in UPDATES_SUSPENDED
            if now_suspended and start is not None:
                if measure := decided(start, event.at, "suspension", cycle):
                    measures.append(measure)
                cycle, start = cycle + 1, None
            elif suspended and not now_suspended and responded:
                start = event.at
            suspended = now_suspended
            responded = responded or event.data["to"] in DONE
    if running.state == "running" and running.breached:
        measures.append(_missed_while_running(running, cycle=running.cycle))
    return measures


def _pauses(timeline: Sequence[TimelineEvent]) -> list[Pause]:
    pauses: list[Pause] = []
    last_customer_reply: datetime | None = None
    for event in timeline:
        if event.kind == "customer_reply":
            last_customer_reply = event.at
        elif event.kind == "status_changed" and event.data["to"] == PENDING:
            since = _seconds(event.at - last_customer_reply) if last_customer_reply else None
            pauses.append(Pause(event.at, event.actor_id, since, len(pauses) + 1))
    return pauses

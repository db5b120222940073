"""Report rows derived from a timeline: invariants over random ticket histories."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.clocks import Target, Targets, replay
from helpdesk.reports.outcomes import outcome_of
from helpdesk.sla import BusinessCalendar
from helpdesk.workflow import TRANSITIONS

OFFICE = BusinessCalendar(
    timezone="Europe/Prague",
    weekly={d: [(540, 720), (780, 1020)] for d in range(5)},
    holidays=[datetime(2026, 3, 4).date()],
)
TARGETS = Targets(
    first_response=Target(timedelta(hours=2)),
    update=Target(timedelta(hours=4)),
    resolution=Target(timedelta(hours=16)),
)
START = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


@dataclass
class Event:
    at: datetime
    kind: str
    data: dict = field(default_factory=dict)
    actor_id: int | None = None


@st.composite
def histories(draw):
    at, status = START, "new"
    events = [
        Event(at, "created", {"status": status}),
        Event(at, "sla_policy_applied", TARGETS.as_data()),
    ]
    for _ in range(draw(st.integers(0, 14))):
        at += timedelta(minutes=draw(st.integers(0, 3000)))
        action = draw(st.sampled_from(["reply", "customer", "status"]))
        if status == "closed":
            break
        if action == "reply":
            events.append(Event(at, "public_reply", actor_id=1))
        elif action == "customer":
            events.append(Event(at, "customer_reply"))
            if status in ("pending", "resolved"):
                events.append(Event(at, "status_changed", {"from": status, "to": "open"}))
                status = "open"
        else:
            new = draw(st.sampled_from(sorted(TRANSITIONS[status])))
            events.append(Event(at, "status_changed", {"from": status, "to": new}, actor_id=2))
            status = new
    now = at + timedelta(minutes=draw(st.integers(0, 5000)))
    return events, now


def derive(events, now):
    state = replay(events, calendar=OFFICE, now=now)
    return state, outcome_of(events, state=state, calendar=OFFICE)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_update_cycles_closed_by_a_reply_match_the_clock_counts(history):
    state, outcome = derive(*history)

    by_reply = [m for m in outcome.measures if m.clock == "update" and m.ended_by == "reply"]
    assert sum(m.met for m in by_reply) == state.updates_on_time
    assert sum(not m.met for m in by_reply) == state.updates_late


@settings(max_examples=300, deadline=None)
@given(histories())
def test_resolution_running_and_paused_time_add_up_to_business_time(history):
    _, outcome = derive(*history)

    for m in outcome.measures:
        if m.clock == "resolution" and m.stopped_at:
            total = OFFICE.elapsed(START, m.stopped_at).total_seconds()
            assert abs(m.business_seconds + m.paused_seconds - total) <= 2  # whole seconds


@settings(max_examples=300, deadline=None)
@given(histories())
def test_a_stopped_missed_target_is_missed_by_its_overrun(history):
    _, outcome = derive(*history)

    for m in outcome.measures:
        assert m.met == (m.breached_at is None)
        if m.stopped_at and not m.met:
            assert m.missed_by_seconds == max(m.business_seconds - m.target_seconds, 0)
        if m.stopped_at is None:
            assert not m.met and m.business_seconds is None


@settings(max_examples=300, deadline=None)
@given(histories())
def test_pauses_are_numbered_and_timed_from_the_latest_customer_reply(history):
    events, now = history
    _, outcome = derive(events, now)

    assert [p.ordinal for p in outcome.pauses] == list(range(1, len(outcome.pauses) + 1))
    # A reply counts when it came before the pause in the timeline (it may share its minute).
    pausing = [
        i for i, e in enumerate(events) if e.kind == "status_changed" and e.data["to"] == "pending"
    ]
    assert len(pausing) == len(outcome.pauses)
    for index, pause in zip(pausing, outcome.pauses, strict=True):
        replies = [e.at for e in events[:index] if e.kind == "customer_reply"]
        expected = (pause.at - replies[-1]).total_seconds() if replies else None
        assert pause.after_customer_reply_seconds == expected


@settings(max_examples=300, deadline=None)
@given(histories())
def test_first_contact_resolution_needs_a_resolved_ticket_never_reopened(history):
    _, outcome = derive(*history)

    facts = outcome.facts
    if facts.first_contact_resolution:
        assert not facts.is_open and not facts.reopened and facts.was_resolved
    if facts.reopened:
        assert facts.was_resolved

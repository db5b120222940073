"""Invariants of the timeline replay, over random ticket histories."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.clocks import Target, Targets, advance_data, replay
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


@st.composite
def histories(draw):
    at = START
    status = "new"
    events = [
        Event(at, "created", {"status": status}),
        Event(at, "sla_policy_applied", TARGETS.as_data()),
    ]
    for _ in range(draw(st.integers(0, 12))):
        at += timedelta(minutes=draw(st.integers(0, 3000)))
        if status != "closed" and draw(st.booleans()):
            events.append(Event(at, "public_reply"))
        elif TRANSITIONS[status]:
            new = draw(st.sampled_from(sorted(TRANSITIONS[status])))
            events.append(Event(at, "status_changed", {"from": status, "to": new}))
            status = new
    now = at + timedelta(minutes=draw(st.integers(0, 5000)))
    return events, now


@settings(max_examples=200, deadline=None)
@given(histories())
def test_running_and_paused_time_add_up_to_business_time(history):
    events, now = history
    resolution = replay(events, calendar=OFFICE, now=now).clocks["resolution"]

    assert resolution.elapsed + resolution.paused == OFFICE.elapsed(START, now)


@settings(max_examples=200, deadline=None)
@given(histories())
def test_running_deadline_is_start_plus_target_plus_paused(history):
    events, now = history
    resolution = replay(events, calendar=OFFICE, now=now).clocks["resolution"]

    # (Once breached, due_at stays the instant the target was reached.)
    if resolution.state == "running" and resolution.elapsed < resolution.target:
        assert resolution.due_at == OFFICE.add(
            START, TARGETS.resolution.duration + resolution.paused
        )


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(1, 5000))
def test_time_only_adds_to_used_business_time(history, extra_minutes):
    events, now = history
    before = replay(events, calendar=OFFICE, now=now)
    after = replay(events, calendar=OFFICE, now=now + timedelta(minutes=extra_minutes))

    for name in ("first_response", "resolution"):
        assert after.clocks[name].elapsed >= before.clocks[name].elapsed


@settings(max_examples=200, deadline=None)
@given(histories())
def test_warnings_come_before_the_breach(history):
    events, now = history
    state = replay(events, calendar=OFFICE, now=now)

    for clock in state.clocks.values():
        instants = {m.threshold: m.at for m in clock.marks}
        ordered = [instants[t] for t in sorted(instants)]
        assert ordered == sorted(ordered)
        if clock.due_at is not None:
            assert instants[1.0] == clock.due_at


@settings(max_examples=200, deadline=None)
@given(histories())
def test_a_recorded_mark_is_never_due_again(history):
    events, now = history
    state = replay(events, calendar=OFFICE, now=now)
    recorded = [
        Event(
            now,
            "sla_breached" if m.is_breach else "sla_warned",
            {"clock": m.clock, "cycle": m.cycle, "threshold": m.threshold},
        )
        for m in state.marks_due()
    ]

    assert replay(events + recorded, calendar=OFFICE, now=now).marks_due() == []


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 7 * 24 * 60 * 60 * 1_000_000))
def test_advancing_a_stored_state_equals_replaying_later(history, later_us):
    """What the sweep stores without replaying is what a replay would store."""
    events, now = history
    later = now + timedelta(microseconds=later_us)
    status = next((e.data["to"] for e in reversed(events) if e.kind == "status_changed"), "new")
    stored = replay(events, calendar=OFFICE, now=now).as_data()

    advanced = advance_data(stored, status=status, calendar=OFFICE, now=later)

    assert advanced == replay(events, calendar=OFFICE, now=later).as_data()

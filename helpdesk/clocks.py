"""Replay a ticket's timeline into the state of its three SLA clocks.

Pure: events and calendars in, clock states out, so any ticket's SLA can be recomputed
from its timeline at any instant and the result never depends on when it is computed.

- first response: creation -> first public agent reply (or resolution, which the customer
  sees too); never paused.
- public update: after the first response, each public agent reply must follow the previous
  one within the cadence; suspended (cycle abandoned, not counted) while the ball is in the
  customer's court or the ticket is resolved, restarted in full when work resumes.
- resolution: creation -> resolved, paused while waiting on the customer and while resolved
  (so a reopened ticket resumes where it stopped instead of breaching at once).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from helpdesk.sla import BusinessCalendar

ALWAYS_OPEN = BusinessCalendar(
    timezone="UTC", weekly={day: [(0, 1440)] for day in range(7)}, holidays=[]
)
RESOLUTION_PAUSED = frozenset({"pending", "resolved", "closed"})
UPDATES_SUSPENDED = frozenset({"pending", "resolved", "closed"})
DONE = frozenset({"resolved", "closed"})
CLOCKS = ("first_response", "update", "resolution")


class TimelineEvent(Protocol):
    at: datetime
    kind: str
    data: Mapping


@dataclass(frozen=True)
class Target:
    duration: timedelta
    always_open: bool = False


@dataclass(frozen=True)
class Targets:
    first_response: Target
    update: Target
    resolution: Target
    warn_at: tuple[float, ...] = (0.75, 0.9)

    def as_data(self) -> dict:
        data: dict = {"warn_at": list(self.warn_at)}
        for name in CLOCKS:
            target = getattr(self, name)
            data[name] = int(target.duration.total_seconds())
            data[f"{name}_24x7"] = target.always_open
        return data

    @classmethod
    def from_data(cls, data: Mapping) -> "Targets":
        return cls(
            warn_at=tuple(data.get("warn_at", (0.75, 0.9))),
            **{
                name: Target(timedelta(seconds=data[name]), bool(data.get(f"{name}_24x7")))
                for name in CLOCKS
            },
        )


@dataclass(frozen=True)
class Mark:
    """A warning (threshold < 1) or a breach (threshold == 1) of one clock cycle."""

    clock: str
    cycle: int
    threshold: float
    at: datetime

    @property
    def is_breach(self) -> bool:
        return self.threshold >= 1

    @property
    def key(self) -> tuple[str, int, float]:
        return (self.clock, self.cycle, self.threshold)


@dataclass
class ClockState:
    name: str
    state: str  # running | paused | met | missed | idle
    target: timedelta
    elapsed: timedelta = timedelta(0)
    paused: timedelta = timedelta(0)
    due_at: datetime | None = None
    stopped_at: datetime | None = None
    cycle: int = 0
    marks: list[Mark] = field(default_factory=list)
    always_open: bool = False  # measured around the clock, not on the team's calendar

    @property
    def remaining(self) -> timedelta:
        return self.target - self.elapsed

    @property
    def breached(self) -> bool:
        return self.elapsed > self.target

    @property
    def missed_by(self) -> timedelta | None:
        return self.elapsed - self.target if self.elapsed > self.target else None

    def as_data(self) -> dict:
        return {
            "state": self.state,
            "target": _seconds(self.target),
            "elapsed": _seconds(self.elapsed),
            "paused": _seconds(self.paused),
            "remaining": _seconds(self.remaining),
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
            "breached": self.breached,
            "missed_by": _seconds(self.missed_by) if self.missed_by else None,
            "cycle": self.cycle,
            "always_open": self.always_open,
            # Exact, so that `advance_data` gives what a replay would (the seconds truncate).
            "elapsed_us": _microseconds(self.elapsed),
            "paused_us": _microseconds(self.paused),
        }

    @classmethod
    def from_data(cls, name: str, data: Mapping) -> "ClockState":
        """The clock `as_data` stored, without its marks (the state keeps the pending ones)."""
        return cls(
            name=name,
            state=data["state"],
            target=timedelta(seconds=data["target"]),
            elapsed=timedelta(microseconds=data["elapsed_us"]),
            paused=timedelta(microseconds=data["paused_us"]),
            due_at=_instant(data["due_at"]),
            stopped_at=_instant(data["stopped_at"]),
            cycle=data["cycle"],
            always_open=data["always_open"],
        )


@dataclass
class SlaState:
    now: datetime
    clocks: dict[str, ClockState]
    recorded: frozenset[tuple[str, int, float]]
    updates_on_time: int = 0
    updates_late: int = 0
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    # Escalation steps the timeline says fired: (clock, cycle, step id).
    escalated: frozenset[tuple[str, int, int]] = frozenset()

    def unrecorded_marks(self) -> list[Mark]:
        return sorted(
            (m for c in self.clocks.values() for m in c.marks if m.key not in self.recorded),
            key=lambda m: (m.at, m.threshold),
        )

    def marks_due(self) -> list[Mark]:
        """Warnings and breaches whose instant has passed and that the timeline lacks."""
        return [m for m in self.unrecorded_marks() if m.at < self.now]

    @property
    def next_check_at(self) -> datetime | None:
        marks = self.unrecorded_marks()
        return marks[0].at if marks else None

    @property
    def next_update_due(self) -> datetime | None:
        """The next public update the customer was promised."""
        first = self.clocks["first_response"]
        if first.state == "running":
            return first.due_at
        update = self.clocks["update"]
        return update.due_at if update.state == "running" else None

    @property
    def breached(self) -> bool:
        return any(c.breached for c in self.clocks.values()) or any(
            key[2] >= 1 for key in self.recorded
        )

    def as_data(self) -> dict:
        return {
            "computed_at": self.now.isoformat(),
            "clocks": {name: clock.as_data() for name, clock in self.clocks.items()},
            "updates_on_time": self.updates_on_time,
            "updates_late": self.updates_late,
            # What the sweep needs to act without replaying (helpdesk.services.sla_sweep):
            # the marks not yet recorded, and the escalation steps already fired.
            "pending": [
                [m.clock, m.cycle, m.threshold, m.at.isoformat()] for m in self.unrecorded_marks()
            ],
            "escalated": sorted([list(key) for key in self.escalated], key=str),
        }


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())


def _microseconds(value: timedelta) -> int:
    return value // timedelta(microseconds=1)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def advance_data(data: Mapping, *, status: str, calendar: BusinessCalendar, now: datetime) -> dict:
    """A stored `SlaState.as_data()` as a replay at `now` would give it, when nothing
    happened to the ticket since it was stored (the ticket is still in `status`).

    Nothing changes but time: a running clock uses it, and the resolution clock is paused
    for it while the ticket waits on the customer or is resolved. The marks' instants stay,
    so the sweep records them without reading the timeline (helpdesk.services.sla_sweep).
    """
    since = datetime.fromisoformat(data["computed_at"])
    clocks = dict(data["clocks"])
    for name, stored in clocks.items():
        running = stored["state"] == "running"
        paused = name == "resolution" and status in RESOLUTION_PAUSED
        if not (running or paused):
            continue  # a stopped or idle clock stays as it is
        clock = ClockState.from_data(name, stored)
        passed = (ALWAYS_OPEN if clock.always_open else calendar).elapsed(since, now)
        if running:
            clock.elapsed += passed
        if paused:
            clock.paused += passed
        clocks[name] = clock.as_data()
    return {**data, "computed_at": now.isoformat(), "clocks": clocks}


Interval = tuple[datetime, datetime | None]  # end None: still running


def replay(
    events: Iterable[TimelineEvent], *, calendar: BusinessCalendar, now: datetime
) -> SlaState:
    """Fold the timeline into clock states as they stand at `now`."""
    timeline = [e for e in events if e.at <= now]
    created = next(e for e in timeline if e.kind == "created")
    status_changes: list[tuple[datetime, str]] = [(created.at, created.data.get("status", "new"))]
    targets_log: list[tuple[datetime, Targets]] = []
    replies: list[datetime] = []
    recorded: set[tuple[str, int, float]] = set()
    escalated: set[tuple[str, int, int]] = set()
    for event in timeline:
        if event.kind == "status_changed":
            status_changes.append((event.at, event.data["to"]))
        elif event.kind == "sla_policy_applied":
            targets_log.append((event.at, Targets.from_data(event.data)))
        elif event.kind == "public_reply":
            replies.append(event.at)
        elif event.kind in ("sla_warned", "sla_breached"):
            recorded.add(
                (
                    event.data["clock"],
                    int(event.data.get("cycle", 0)),
                    float(event.data["threshold"]),
                )
            )
        elif event.kind == "escalated":
            escalated.add(
                (event.data.get("clock"), int(event.data.get("cycle", 0)), event.data.get("step"))
            )
    if not targets_log:
        raise ValueError("The timeline has no SLA targets.")
    targets = targets_log[-1][1]

    def calendar_for(target: Target) -> BusinessCalendar:
        return ALWAYS_OPEN if target.always_open else calendar

    first_done = min(
        [*replies[:1], *(at for at, status in status_changes if status in DONE)], default=None
    )
    first_response = _measure(
        "first_response",
        targets.first_response,
        calendar_for(targets.first_response),
        running=[(created.at, first_done)],
        paused=[],
        now=now,
        warn_at=targets.warn_at,
    )

    running, paused = _split(created.at, status_changes, RESOLUTION_PAUSED)
    resolution = _measure(
        "resolution",
        targets.resolution,
        calendar_for(targets.resolution),
        running=running,
        paused=paused,
        now=now,
        warn_at=targets.warn_at,
    )
    if status_changes[-1][1] == "pending":
        resolution.state = "paused"

    update, on_time, late = _update_clock(timeline, targets_log, calendar_for, now)
    resolved_at = status_changes[-1][0] if status_changes[-1][1] in DONE else None
    return SlaState(
        now=now,
        clocks={"first_response": first_response, "update": update, "resolution": resolution},
        recorded=frozenset(recorded),
        updates_on_time=on_time,
        updates_late=late,
        first_responded_at=replies[0] if replies else None,
        resolved_at=resolved_at,
        escalated=frozenset(escalated),
    )


def _split(
    start: datetime, status_changes: Sequence[tuple[datetime, str]], pausing: frozenset[str]
) -> tuple[list[Interval], list[Interval]]:
    """Cut [start, now) into running and paused intervals by the ticket's status."""
    running: list[Interval] = []
    paused: list[Interval] = []
    since, was_paused = start, status_changes[0][1] in pausing
    for at, status in status_changes[1:]:
        is_paused = status in pausing
        if is_paused != was_paused:
            (paused if was_paused else running).append((since, at))
            since, was_paused = at, is_paused
    (paused if was_paused else running).append((since, None))
    return running, paused


def _measure(
    name: str,
    target: Target,
    calendar: BusinessCalendar,
    *,
    running: Sequence[Interval],
    paused: Sequence[Interval],
    now: datetime,
    warn_at: Sequence[float],
    cycle: int = 0,
) -> ClockState:
    """Business time used and the instants each threshold is (or will be) reached."""
    is_running = bool(running) and running[-1][1] is None
    clock = ClockState(
        name=name,
        state="running" if is_running else "idle",
        target=target.duration,
        always_open=target.always_open,
    )
    clock.cycle = cycle
    clock.paused = sum((calendar.elapsed(s, min(e or now, now)) for s, e in paused), timedelta(0))
    thresholds = [*sorted(t for t in warn_at if 0 < t < 1), 1.0]
    used = timedelta(0)
    for start, end in running:
        span = calendar.elapsed(start, now if end is None else min(end, now))
        for threshold in thresholds:
            if any(m.threshold == threshold for m in clock.marks):
                continue
            needed = target.duration * threshold
            # Reached within this interval, or (for the interval still running) in the future.
            if needed <= used + span or end is None:
                clock.marks.append(Mark(name, cycle, threshold, calendar.add(start, needed - used)))
        used += span
    clock.elapsed = used
    breach = next((m for m in clock.marks if m.is_breach), None)
    clock.due_at = breach.at if breach else None
    if not is_running and running:
        clock.stopped_at = running[-1][1]
        clock.state = "missed" if used > target.duration else "met"
    return clock


def _update_clock(
    timeline: Sequence[TimelineEvent],
    targets_log: Sequence[tuple[datetime, Targets]],
    calendar_for,
    now: datetime,
) -> tuple[ClockState, int, int]:
    """The public update cadence: one cycle per gap between public agent updates."""
    targets = targets_log[-1][1]

    def targets_at(instant: datetime) -> Targets:
        in_force = [t for at, t in targets_log if at <= instant]
        return in_force[-1] if in_force else targets_log[0][1]

    on_time = late = cycle = 0
    cycle_start: datetime | None = None
    responded = suspended = False
    for event in timeline:
        if event.kind == "public_reply":
            if cycle_start is not None:
                target = targets_at(event.at).update
                due = calendar_for(target).add(cycle_start, target.duration)
                on_time, late = (on_time + 1, late) if event.at <= due else (on_time, late + 1)
                cycle += 1
            responded = True
            cycle_start = None if suspended else event.at
        elif event.kind == "status_changed":
            now_suspended = event.data["to"] in UPDATES_SUSPENDED
            if now_suspended and cycle_start is not None:
                cycle, cycle_start = cycle + 1, None  # abandoned: the ball left our court
            elif suspended and not now_suspended and responded:
                cycle_start = event.at
            suspended = now_suspended
            # Resolving answers the customer too; a reopened ticket owes updates again.
            responded = responded or event.data["to"] in DONE
    if cycle_start is None:
        return (
            ClockState(name="update", state="idle", target=targets.update.duration),
            on_time,
            late,
        )
    clock = _measure(
        "update",
        targets.update,
        calendar_for(targets.update),
        running=[(cycle_start, None)],
        paused=[],
        now=now,
        warn_at=targets.warn_at,
        cycle=cycle,
    )
    return clock, on_time, late

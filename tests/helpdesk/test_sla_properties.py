"""Property tests: BusinessCalendar against a brute-force minute-by-minute reference.

All zones used have whole-minute UTC offsets and minute-aligned transitions in 2025-2027, so
with minute-aligned starts every UTC minute is either wholly open or wholly closed and the
reference only has to look at each minute's first instant.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpdesk.sla import BusinessCalendar

ZONES = [
    "UTC",
    "Europe/Prague",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 with DST
    "Australia/Adelaide",  # +09:30 with DST
    "Asia/Kolkata",  # +05:30
    "Pacific/Chatham",  # +12:45 / +13:45
]
MINUTE = timedelta(minutes=1)
RANGE_START = datetime(2025, 1, 1, tzinfo=UTC)
RANGE_MINUTES = 3 * 365 * 1440
MAX_WALK = 15_000  # minutes the reference may walk per example

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,  # don't litter the project with .hypothesis/
    suppress_health_check=[HealthCheck.too_slow],
)


def _utc_days_with_offset_change(name: str) -> list[datetime]:
    zone = ZoneInfo(name)
    days = [RANGE_START + timedelta(days=i) for i in range(3 * 366)]
    offsets = [d.astimezone(zone).utcoffset() for d in days]
    return [days[i] for i in range(1, len(days)) if offsets[i] != offsets[i - 1]]


TRANSITION_DAYS = {name: _utc_days_with_offset_change(name) for name in ZONES}


@dataclass(frozen=True)
class Scenario:
    zone: ZoneInfo
    weekly: dict[int, list[tuple[int, int]]]  # raw, possibly unsorted/overlapping
    holidays: frozenset[date]
    start: datetime  # UTC, whole minute

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.zone.key, self.weekly, self.holidays)

    @property
    def has_windows(self) -> bool:
        return any(self.weekly.values())


def reference_open(sc: Scenario, instant: datetime) -> bool:
    """Business time by definition: local wall clock in a window of the local weekday."""
    local = instant.astimezone(sc.zone)
    if local.date() in sc.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(s <= minute < e for s, e in sc.weekly.get(local.weekday(), ()))


def reference_minutes(sc: Scenario, start: datetime, minutes: int) -> int:
    return sum(reference_open(sc, start + i * MINUTE) for i in range(minutes))


BOUNDARY = st.one_of(
    st.integers(0, 1440),
    # Around typical DST switch times and the day edges.
    st.sampled_from([0, 30, 60, 90, 120, 150, 180, 1410, 1440]),
)


@st.composite
def disjoint_windows(draw: st.DrawFn) -> list[tuple[int, int]]:
    points = sorted(draw(st.lists(BOUNDARY, max_size=6, unique=True)))
    points = points[: len(points) // 2 * 2]
    return [(points[i], points[i + 1]) for i in range(0, len(points), 2)]


@st.composite
def arbitrary_window(draw: st.DrawFn) -> tuple[int, int]:
    a, b = draw(st.lists(BOUNDARY, min_size=2, max_size=2, unique=True))
    return (min(a, b), max(a, b))


DAY_WINDOWS = st.one_of(
    disjoint_windows(),
    st.lists(arbitrary_window(), max_size=3),  # unsorted, overlapping or adjacent
)
WEEKLY = st.one_of(
    st.just({d: [(0, 1440)] for d in range(7)}),
    st.fixed_dictionaries({d: DAY_WINDOWS for d in range(7)}),
    st.fixed_dictionaries({d: DAY_WINDOWS for d in range(7)}),
    st.fixed_dictionaries({d: DAY_WINDOWS for d in range(7)}),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(name)
    transitions = TRANSITION_DAYS[name]
    if transitions and draw(st.booleans()):
        start = draw(st.sampled_from(transitions)) + draw(
            st.integers(-3 * 1440, 3 * 1440).map(lambda m: m * MINUTE)
        )
    else:
        start = RANGE_START + draw(st.integers(0, RANGE_MINUTES)) * MINUTE
    local_day = start.astimezone(zone).date()
    offsets = draw(st.lists(st.integers(-3, 12), max_size=4))
    holidays = frozenset(local_day + timedelta(days=o) for o in offsets)
    return Scenario(zone, draw(WEEKLY), holidays, start)


@PROPERTY_SETTINGS
@given(sc=scenarios(), first=st.integers(0, 6 * 1440))
def test_is_open_matches_reference(sc: Scenario, first: int) -> None:
    cal = sc.calendar
    # A contiguous day of minutes, so every window edge of that day is probed.
    for m in range(first, first + 1440):
        instant = sc.start + m * MINUTE
        expected = reference_open(sc, instant)
        assert cal.is_open(instant) is expected
        assert cal.is_open(instant + timedelta(seconds=30)) is expected
        assert cal.is_open(instant.astimezone(sc.zone)) is expected


@PROPERTY_SETTINGS
@given(sc=scenarios(), minutes=st.integers(0, 14_400))
def test_elapsed_matches_minute_count(sc: Scenario, minutes: int) -> None:
    end = (sc.start + minutes * MINUTE).astimezone(sc.zone)
    expected = reference_minutes(sc, sc.start, minutes) * MINUTE
    assert sc.calendar.elapsed(sc.start, end) == expected


@PROPERTY_SETTINGS
@given(sc=scenarios(), minutes=st.integers(0, 3_000))
def test_add_matches_minute_walk(sc: Scenario, minutes: int) -> None:
    cal = sc.calendar
    start = sc.start.astimezone(sc.zone)
    if minutes and not sc.has_windows:
        try:
            cal.add(start, minutes * MINUTE)
        except ValueError:
            return
        raise AssertionError("add on a calendar without business time must raise")

    result = cal.add(start, minutes * MINUTE)
    assert result.tzinfo is start.tzinfo
    if minutes == 0:
        assert result == start
        return
    # Earliest t with elapsed == d: the end of the d-th open minute.
    count = 0
    for i in range(MAX_WALK):
        instant = sc.start + i * MINUTE
        if reference_open(sc, instant):
            count += 1
            if count == minutes:
                assert result.astimezone(UTC) == instant + MINUTE
                return
    # Reference gave up: the answer must lie beyond everything it walked.
    assert result.astimezone(UTC) > sc.start + MAX_WALK * MINUTE


@PROPERTY_SETTINGS
@given(sc=scenarios(), skip=st.integers(0, 3 * 1440))
def test_add_lands_exactly_on_window_end(sc: Scenario, skip: int) -> None:
    """Using up the duration exactly at a window end yields that end, not the next start."""
    assume(sc.has_windows)
    count, was_open = 0, False
    for i in range(MAX_WALK):
        instant = sc.start + i * MINUTE
        now_open = reference_open(sc, instant)
        if was_open and not now_open and i > skip:
            break
        count += now_open
        was_open = now_open
    else:
        assume(False)  # no window end within reach
    assert count > 0
    assert sc.calendar.add(sc.start, count * MINUTE) == instant


START_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-7)), None])  # None: calendar's


def _as_start(sc: Scenario, offset_us: int, tz: timezone | None) -> datetime:
    start = sc.start + timedelta(microseconds=offset_us)
    return start.astimezone(tz or sc.zone)


@settings(PROPERTY_SETTINGS, max_examples=300)
@given(
    sc=scenarios(),
    offset_us=st.integers(0, 86_400 * 10**6),
    duration_us=st.integers(0, 21 * 86_400 * 10**6),
    tz=START_ZONES,
)
def test_elapsed_of_add_roundtrips(
    sc: Scenario, offset_us: int, duration_us: int, tz: timezone | None
) -> None:
    assume(sc.has_windows)
    cal = sc.calendar
    start = _as_start(sc, offset_us, tz)
    duration = timedelta(microseconds=duration_us)
    result = cal.add(start, duration)
    assert result >= start
    assert result.tzinfo is start.tzinfo
    assert cal.elapsed(start, result) == duration
    if duration:  # earliest such instant
        assert cal.elapsed(start, result - timedelta(microseconds=1)) < duration


@settings(PROPERTY_SETTINGS, max_examples=300)
@given(
    sc=scenarios(),
    offset_us=st.integers(0, 86_400 * 10**6),
    durations_us=st.lists(st.integers(0, 21 * 86_400 * 10**6), min_size=2, max_size=2),
)
def test_add_is_monotonic_in_duration(
    sc: Scenario, offset_us: int, durations_us: list[int]
) -> None:
    assume(sc.has_windows)
    cal = sc.calendar
    start = _as_start(sc, offset_us, None)
    d1, d2 = (timedelta(microseconds=d) for d in sorted(durations_us))
    assert cal.add(start, d1).astimezone(UTC) <= cal.add(start, d2).astimezone(UTC)


@settings(PROPERTY_SETTINGS, max_examples=300)
@given(
    sc=scenarios(),
    offsets_us=st.lists(st.integers(0, 30 * 86_400 * 10**6), min_size=3, max_size=3),
    tz=START_ZONES,
)
def test_elapsed_is_additive(sc: Scenario, offsets_us: list[int], tz: timezone | None) -> None:
    cal = sc.calendar
    a, b, c = (_as_start(sc, o, tz) for o in sorted(offsets_us))
    assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)
    assert cal.elapsed(c, a) == timedelta(0)

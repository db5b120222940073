"""Business-hours calendar arithmetic for SLA deadlines.

Pure Python (no Django). An instant is business time iff its local wall-clock time in the
calendar's zone lies in a window ``[start, end)`` of its local weekday and its local date is
not a holiday. Durations are real elapsed time, so a 00:00-24:00 window on a DST day holds
23 or 25 hours.

Implementation: the UTC timeline is cut into pieces of constant UTC offset. Within such a
piece local wall time is UTC plus a constant, so business time there equals the measure of
the local business set over a shifted interval. That measure comes from a closed-form
cumulative function over the *naive* local timeline (whole weeks + weekday prefix - holiday
prefix), which makes ``elapsed`` and ``add`` cost O(number of offset changes * log holidays).
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["BusinessCalendar", "Window", "holidays_for"]

Window = tuple[int, int]  # (start, end) in minutes after local midnight

_US = 1_000_000  # microseconds per second
_MIN_US = 60 * _US
_DAY_US = 86_400 * _US
_ONE_US = timedelta(microseconds=1)
_ONE_S = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORD = date(1970, 1, 1).toordinal()
_MONDAY_SHIFT = 3  # 1970-01-01 was a Thursday; day + 3 counts days since a Monday
# Offset changes are found per fixed UTC chunk (cached) by probing, then bisected to the exact
# second. A pair of changes cancelling out within one probe interval would be missed; no real
# zone does that. Small chunks keep the cold cost proportional to the span actually queried.
_PROBE_S = 6 * 3600
_CHUNK_S = 28 * 86_400


def holidays_for(country: str, years: Iterable[int], subdiv: str | None = None) -> list[date]:
    """Public holidays of ``country`` (ISO code) in ``years``, via the ``holidays`` package."""
    import holidays as holidays_lib  # lazy: optional at import time of this module

    try:
        found = holidays_lib.country_holidays(country, subdiv=subdiv, years=list(years))
    except NotImplementedError as exc:  # how the package reports an unknown country/subdiv
        raise ValueError(str(exc)) from exc
    return sorted(found)


def _offset_s(zone: ZoneInfo, t_s: int) -> int:
    offset = datetime.fromtimestamp(t_s, zone).utcoffset()
    assert offset is not None
    return offset // _ONE_S


@functools.lru_cache(maxsize=16384)
def _zone_chunk(zone: ZoneInfo, chunk: int) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """Offset changes of ``zone`` during UTC ``[chunk * _CHUNK_S, (chunk + 1) * _CHUNK_S)``.

    Returns (offset in force just before the chunk, change instants, offset from each
    change), all in microseconds.
    """
    start, end = chunk * _CHUNK_S, (chunk + 1) * _CHUNK_S
    probes = [*range(start - 1, end - 1, _PROBE_S), end - 1]
    offsets = [_offset_s(zone, p) for p in probes]
    times: list[int] = []
    offs: list[int] = []
    for i in range(1, len(probes)):
        lo, lo_off = probes[i - 1], offsets[i - 1]
        hi, hi_off = probes[i], offsets[i]
        while lo_off != hi_off:
            a, b = lo, hi  # invariant: offset(a) == lo_off != offset(b)
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_s(zone, mid) == lo_off:
                    a = mid
                else:
                    b = mid
            lo, lo_off = b, _offset_s(zone, b)
            times.append(b * _US)
            offs.append(lo_off * _US)
    return offsets[0] * _US, tuple(times), tuple(offs)


def _to_us(value: datetime, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return (value - _EPOCH) // _ONE_US


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _normalise_weekly(weekly: Mapping[int, Iterable[Window]]) -> tuple[tuple[Window, ...], ...]:
    if not isinstance(weekly, Mapping):
        raise ValueError("weekly must be a mapping of weekday (0=Monday) to windows")
    days: list[list[Window]] = [[] for _ in range(7)]
    for weekday, windows in weekly.items():
        if not _is_int(weekday) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be an int 0..6 (0=Monday), got {weekday!r}")
        for window in windows:
            try:
                start, end = window
            except (TypeError, ValueError) as exc:
                raise ValueError(f"window must be a (start, end) pair, got {window!r}") from exc
            if not (_is_int(start) and _is_int(end) and 0 <= start < end <= 1440):
                raise ValueError(
                    f"window must be ints with 0 <= start < end <= 1440, got {window!r}"
                )
            days[weekday].append((start, end))
    normalised = []
    for windows in days:
        merged: list[Window] = []
        for start, end in sorted(windows):
            if merged and start <= merged[-1][1]:  # overlapping or adjacent
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        normalised.append(tuple(merged))
    return tuple(normalised)


class BusinessCalendar:
    """Weekly business windows in one IANA time zone, minus holiday dates."""

    holidays_for = staticmethod(holidays_for)

    def __init__(
        self,
        timezone: str | ZoneInfo,
        weekly: Mapping[int, Iterable[Window]],
        holidays: Iterable[date] = (),
    ) -> None:
        if isinstance(timezone, ZoneInfo):
            self._zone = timezone
        else:
            try:
                self._zone = ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
                raise ValueError(f"unknown time zone {timezone!r}") from exc
        self._weekly = _normalise_weekly(weekly)
        holiday_set: set[date] = set()
        for day in holidays:
            # datetime is a date subclass; reject it rather than guess which local date it means
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"holidays must be date objects, got {day!r}")
            holiday_set.add(day)
        self._holidays = frozenset(holiday_set)

        self._windows_us = tuple(
            tuple((s * _MIN_US, e * _MIN_US) for s, e in windows) for windows in self._weekly
        )
        day_totals = [sum(e - s for s, e in windows) for windows in self._windows_us]
        self._week_us = sum(day_totals)
        self._week_prefix = [sum(day_totals[:i]) for i in range(8)]
        self._hol_days = sorted(d.toordinal() - _EPOCH_ORD for d in self._holidays)
        self._hol_day_set = frozenset(self._hol_days)
        self._hol_prefix = [0]
        for day_index in self._hol_days:
            weekday = (day_index + _MONDAY_SHIFT) % 7
            self._hol_prefix.append(self._hol_prefix[-1] + day_totals[weekday])

    @classmethod
    def always_open(cls, timezone: str | ZoneInfo = "UTC") -> BusinessCalendar:
        """A 24/7 calendar (real elapsed time)."""
        return cls(timezone, {d: [(0, 1440)] for d in range(7)})

    @property
    def timezone(self) -> ZoneInfo:
        return self._zone

    @property
    def weekly(self) -> dict[int, tuple[Window, ...]]:
        """Normalised windows (sorted, merged) for weekdays that have any."""
        return {d: windows for d, windows in enumerate(self._weekly) if windows}

    @property
    def holidays(self) -> frozenset[date]:
        return self._holidays

    # -- public arithmetic -------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """Whether ``instant`` is business time."""
        _to_us(instant, "instant")
        local = instant.astimezone(self._zone)
        if local.toordinal() - _EPOCH_ORD in self._hol_day_set:
            return False
        tod = ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
        return any(s <= tod < e for s, e in self._windows_us[local.weekday()])

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)``; zero if ``end <= start``."""
        a, b = _to_us(start, "start"), _to_us(end, "end")
        if b <= a:
            return timedelta(0)
        try:
            total = sum(
                self._cum(seg_end + off) - self._cum(seg_start + off)
                for seg_start, seg_end, off in self._segments(a, b)
            )
        except OverflowError as exc:
            raise ValueError("span is outside the supported datetime range") from exc
        return timedelta(microseconds=total)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Earliest ``t >= start`` with ``elapsed(start, t) == duration``, in start's tzinfo."""
        a = _to_us(start, "start")
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration!r}")
        if not duration:
            return start
        if not self._week_us:
            # Holidays are finite, so any weekly business time guarantees termination.
            raise ValueError("calendar has no business time; cannot add a positive duration")
        remaining = duration // _ONE_US
        try:
            for seg_start, seg_end, off in self._segments(a, None):
                base = self._cum(seg_start + off)
                available = self._cum(seg_end + off) - base
                if remaining <= available:
                    local = self._inverse(base + remaining, (seg_start + off) // _DAY_US)
                    result = _EPOCH + timedelta(microseconds=local - off)
                    return result.astimezone(start.tzinfo)
                remaining -= available
        except OverflowError as exc:
            raise ValueError("result is outside the supported datetime range") from exc
        raise AssertionError("unreachable: segments are unbounded")

    # -- internals ---------------------------------------------------------------------

    def _segments(self, a: int, b: int | None) -> Iterator[tuple[int, int, int]]:
        """Yield (start, end, offset) pieces of constant UTC offset covering [a, b) in µs.

        Pieces are also cut at chunk boundaries so an unbounded walk stays lazy.
        """
        cur = a
        chunk = a // (_CHUNK_S * _US)
        while True:
            chunk_end = (chunk + 1) * _CHUNK_S * _US
            before, times, offs = _zone_chunk(self._zone, chunk)
            i = bisect_right(times, cur)
            off = offs[i - 1] if i else before
            for j in range(i, len(times)):
                if b is not None and b <= times[j]:
                    yield cur, b, off
                    return
                yield cur, times[j], off
                cur, off = times[j], offs[j]
            if b is not None and b <= chunk_end:
                yield cur, b, off
                return
            yield cur, chunk_end, off
            cur = chunk_end
            chunk += 1

    def _day_start_cum(self, day: int) -> int:
        """Business µs of the naive local timeline from the reference origin to ``day``."""
        weeks, weekday = divmod(day + _MONDAY_SHIFT, 7)
        k = bisect_left(self._hol_days, day)
        return weeks * self._week_us + self._week_prefix[weekday] - self._hol_prefix[k]

    def _cum(self, x: int) -> int:
        """Business µs of the naive local timeline from the reference origin to ``x``."""
        day, tod = divmod(x, _DAY_US)
        total = self._day_start_cum(day)
        if day in self._hol_day_set:
            return total
        for s, e in self._windows_us[(day + _MONDAY_SHIFT) % 7]:
            if tod <= s:
                break
            total += min(tod, e) - s
        return total

    def _inverse(self, target: int, day: int) -> int:
        """Earliest naive local µs ``x`` with ``_cum(x) == target``, given ``_day_start_cum(day)
        < target``. Landing exactly on a window end returns that end, not the next start."""
        lo, hi, step = day, day + 1, 1
        while self._day_start_cum(hi) < target:  # gallop, then bisect on whole days
            lo, hi, step = hi, hi + step, step * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._day_start_cum(mid) < target:
                lo = mid
            else:
                hi = mid
        remaining = target - self._day_start_cum(lo)
        for s, e in self._windows_us[(lo + _MONDAY_SHIFT) % 7]:
            if remaining <= e - s:
                return lo * _DAY_US + s + remaining
            remaining -= e - s
        raise AssertionError("unreachable: day lo holds the target")

    # -- dunder ------------------------------------------------------------------------

    def _key(self) -> tuple[str, tuple[tuple[Window, ...], ...], frozenset[date]]:
        return (str(self._zone), self._weekly, self._holidays)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(timezone={str(self._zone)!r}, weekly={self.weekly!r}, "
            f"holidays={sorted(self._holidays)!r})"
        )

"""Example-based tests for helpdesk.sla.BusinessCalendar (pure Python, no Django)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.sla import BusinessCalendar, holidays_for

PRAGUE = ZoneInfo("Europe/Prague")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = {d: [(540, 1020)] for d in range(5)}  # Mon-Fri 09:00-17:00
HOUR = timedelta(hours=1)


def prague(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=PRAGUE, fold=fold)


@pytest.fixture
def nine_to_five() -> BusinessCalendar:
    return BusinessCalendar("Europe/Prague", NINE_TO_FIVE)


# -- add ---------------------------------------------------------------------------------


def test_add_zero_returns_start(nine_to_five: BusinessCalendar) -> None:
    saturday = prague(2026, 1, 10, 12, 0)
    assert nine_to_five.add(saturday, timedelta(0)) is saturday


def test_add_within_one_window(nine_to_five: BusinessCalendar) -> None:
    assert nine_to_five.add(prague(2026, 1, 5, 10, 0), 2 * HOUR) == prague(2026, 1, 5, 12, 0)


def test_add_lands_at_window_end_not_next_start(nine_to_five: BusinessCalendar) -> None:
    assert nine_to_five.add(prague(2026, 1, 5, 16, 0), HOUR) == prague(2026, 1, 5, 17, 0)


def test_add_lands_at_lunch_start_not_after_lunch() -> None:
    cal = BusinessCalendar("Europe/Prague", {0: [(540, 720), (780, 1020)]})
    assert cal.add(prague(2026, 1, 5, 11, 0), HOUR) == prague(2026, 1, 5, 12, 0)


def test_split_shift_skips_lunch() -> None:
    cal = BusinessCalendar("Europe/Prague", {0: [(540, 720), (780, 1020)]})
    assert cal.add(prague(2026, 1, 5, 11, 0), 2 * HOUR) == prague(2026, 1, 5, 14, 0)


def test_add_from_closed_time_starts_at_next_opening(nine_to_five: BusinessCalendar) -> None:
    saturday_noon = prague(2026, 1, 10, 12, 0)
    assert nine_to_five.add(saturday_noon, HOUR) == prague(2026, 1, 12, 10, 0)


def test_add_carries_over_to_next_business_day(nine_to_five: BusinessCalendar) -> None:
    friday = prague(2026, 1, 9, 16, 0)
    assert nine_to_five.add(friday, 2 * HOUR) == prague(2026, 1, 12, 10, 0)


def test_add_skips_holiday() -> None:
    cal = BusinessCalendar("Europe/Prague", NINE_TO_FIVE, holidays=[date(2026, 12, 24)])
    wednesday = prague(2026, 12, 23, 16, 0)
    # Thu 24th is a holiday, so the second hour is on Fri 25th.
    assert cal.add(wednesday, 2 * HOUR) == prague(2026, 12, 25, 10, 0)


def test_add_returns_result_in_start_tzinfo(nine_to_five: BusinessCalendar) -> None:
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Prague
    result = nine_to_five.add(start, HOUR)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_add_keeps_microseconds(nine_to_five: BusinessCalendar) -> None:
    start = prague(2026, 1, 5, 16, 59, 59) + timedelta(microseconds=999_999)
    assert nine_to_five.add(start, timedelta(microseconds=1)) == prague(2026, 1, 5, 17, 0)
    next_morning = prague(2026, 1, 6, 9, 0)
    assert nine_to_five.add(start, timedelta(microseconds=2)) == next_morning + timedelta(
        microseconds=1
    )


def test_add_500_business_hours_with_cz_holidays() -> None:
    cal = BusinessCalendar("Europe/Prague", NINE_TO_FIVE, holidays_for("CZ", [2026]))
    # Jan 1 is a holiday; Jan has 21 working days, Feb 20, Mar 22 -> 504 h by Mar 31 17:00.
    assert cal.add(prague(2026, 1, 1), 500 * HOUR) == prague(2026, 3, 31, 13, 0)


def test_negative_duration_raises(nine_to_five: BusinessCalendar) -> None:
    with pytest.raises(ValueError):
        nine_to_five.add(prague(2026, 1, 5, 10, 0), -HOUR)


def test_empty_calendar_add_raises() -> None:
    cal = BusinessCalendar("UTC", {})
    with pytest.raises(ValueError):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1))


def test_empty_calendar_add_zero_returns_start() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert BusinessCalendar("UTC", {}).add(start, timedelta(0)) == start


def test_empty_calendar_has_no_elapsed_time() -> None:
    cal = BusinessCalendar("UTC", {0: []})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert cal.elapsed(start, start + timedelta(days=30)) == timedelta(0)


# -- elapsed -----------------------------------------------------------------------------


def test_elapsed_zero_when_end_before_start(nine_to_five: BusinessCalendar) -> None:
    monday, tuesday = prague(2026, 1, 5, 10, 0), prague(2026, 1, 6, 10, 0)
    assert nine_to_five.elapsed(tuesday, monday) == timedelta(0)


def test_elapsed_zero_when_end_equals_start(nine_to_five: BusinessCalendar) -> None:
    t = prague(2026, 1, 5, 10, 0)
    assert nine_to_five.elapsed(t, t) == timedelta(0)


def test_elapsed_counts_only_business_hours(nine_to_five: BusinessCalendar) -> None:
    # Mon 10:00 -> next Mon 10:00 is exactly one working week.
    assert nine_to_five.elapsed(prague(2026, 1, 5, 10, 0), prague(2026, 1, 12, 10, 0)) == 40 * HOUR


def test_elapsed_measures_real_time_across_zones() -> None:
    cal = BusinessCalendar.always_open("Europe/Prague")
    start = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    end = datetime(2026, 3, 9, 12, 0, tzinfo=NEW_YORK)  # 16:00 UTC (EDT since Mar 8)
    assert cal.elapsed(start, end) == end - start == timedelta(hours=28)


def test_elapsed_over_year_with_cz_holidays() -> None:
    cal = BusinessCalendar("Europe/Prague", NINE_TO_FIVE, holidays_for("CZ", [2026]))
    # 261 weekdays in 2026, 11 CZ holidays fall on weekdays.
    assert cal.elapsed(prague(2026, 1, 1), prague(2027, 1, 1)) == 250 * 8 * HOUR


# -- holidays ----------------------------------------------------------------------------


def test_holiday_has_no_business_time() -> None:
    cal = BusinessCalendar("Europe/Prague", NINE_TO_FIVE, holidays=[date(2026, 12, 24)])
    assert cal.elapsed(prague(2026, 12, 24), prague(2026, 12, 25)) == timedelta(0)
    assert not cal.is_open(prague(2026, 12, 24, 10, 0))


def test_holiday_is_a_local_date() -> None:
    cal = BusinessCalendar("Europe/Prague", NINE_TO_FIVE, holidays=[date(2026, 12, 24)])
    # 23:30 UTC on the 23rd is already the 24th in Prague.
    assert cal.elapsed(
        datetime(2026, 12, 23, 23, 30, tzinfo=UTC), datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    ) == timedelta(0)


def test_holiday_must_be_a_date_not_datetime() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar("UTC", NINE_TO_FIVE, holidays=[datetime(2026, 12, 24)])


def test_holidays_for_cz_contains_christmas_eve() -> None:
    assert date(2026, 12, 24) in holidays_for("CZ", [2026])


def test_holidays_for_is_sorted_and_covers_requested_years() -> None:
    found = holidays_for("CZ", range(2025, 2027))
    assert found == sorted(found)
    assert {d.year for d in found} == {2025, 2026}


def test_holidays_for_subdivision_adds_regional_days() -> None:
    assert date(2026, 1, 6) in holidays_for("DE", [2026], subdiv="BY")  # Epiphany in Bavaria
    assert date(2026, 1, 6) not in holidays_for("DE", [2026])


def test_holidays_for_is_available_on_the_class() -> None:
    assert BusinessCalendar.holidays_for("CZ", [2026]) == holidays_for("CZ", [2026])


def test_holidays_for_unknown_country_raises() -> None:
    with pytest.raises(ValueError):
        holidays_for("XX", [2026])


# -- DST ---------------------------------------------------------------------------------


def test_dst_spring_forward_day_has_23_hours_in_24h_window() -> None:
    cal = BusinessCalendar.always_open("Europe/Prague")
    assert cal.elapsed(prague(2026, 3, 29), prague(2026, 3, 30)) == 23 * HOUR


def test_dst_fall_back_day_has_25_hours() -> None:
    cal = BusinessCalendar.always_open("Europe/Prague")
    assert cal.elapsed(prague(2026, 10, 25), prague(2026, 10, 26)) == 25 * HOUR


def test_window_starting_in_dst_gap_starts_at_0300() -> None:
    # Sunday 02:30-05:00; on 2026-03-29 Prague jumps 02:00 -> 03:00, so only 03:00-05:00 exists.
    cal = BusinessCalendar("Europe/Prague", {6: [(150, 300)]})
    assert cal.elapsed(prague(2026, 3, 29), prague(2026, 3, 30)) == 2 * HOUR
    assert cal.add(prague(2026, 3, 29), timedelta(minutes=1)) == prague(2026, 3, 29, 3, 1)


def test_window_inside_dst_gap_has_no_business_time() -> None:
    cal = BusinessCalendar("Europe/Prague", {6: [(120, 180)]})
    assert cal.elapsed(prague(2026, 3, 29), prague(2026, 3, 30)) == timedelta(0)
    assert cal.elapsed(prague(2026, 4, 5), prague(2026, 4, 6)) == HOUR


def test_window_containing_repeated_hour_counts_both_passes() -> None:
    # Sunday 02:00-03:00; on 2026-10-25 Prague goes 03:00 CEST -> 02:00 CET.
    cal = BusinessCalendar("Europe/Prague", {6: [(120, 180)]})
    assert cal.elapsed(prague(2026, 10, 25), prague(2026, 10, 26)) == 2 * HOUR
    result = cal.add(prague(2026, 10, 25), timedelta(minutes=90))
    # Second pass of 02:30. Compare in UTC: PEP 495 makes == across zones False for
    # ambiguous times, and == within one zone ignores fold.
    assert result.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert (result.replace(tzinfo=None), result.fold) == (datetime(2026, 10, 25, 2, 30), 1)


def test_repeated_hour_is_open_on_both_passes() -> None:
    cal = BusinessCalendar("Europe/Prague", {6: [(120, 180)]})
    assert cal.is_open(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 CEST
    assert cal.is_open(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 CET


def test_spring_forward_at_midnight_skips_missing_local_midnight() -> None:
    # Sao Paulo 2018-11-04 (Sunday): 00:00 -> 01:00, so Sunday 00:00-01:00 never happens.
    cal = BusinessCalendar("America/Sao_Paulo", {6: [(0, 60)]})
    saturday_noon = datetime(2018, 11, 3, 12, tzinfo=SAO_PAULO)
    assert cal.elapsed(saturday_noon, saturday_noon + timedelta(days=1)) == timedelta(0)
    week_later = saturday_noon + timedelta(days=7)
    assert cal.elapsed(week_later, week_later + timedelta(days=1)) == HOUR


def test_fall_back_at_midnight_gives_saturday_25_hours() -> None:
    # Sao Paulo 2019-02-17 00:00 -02 -> 2019-02-16 23:00 -03: Saturday the 16th lasts 25 h.
    cal = BusinessCalendar("America/Sao_Paulo", {5: [(0, 1440)]})
    start = datetime(2019, 2, 15, 12, tzinfo=SAO_PAULO)
    assert cal.elapsed(start, start + timedelta(days=3)) == 25 * HOUR


# -- window shapes -----------------------------------------------------------------------


def test_window_end_1440_means_next_local_midnight() -> None:
    cal = BusinessCalendar("Europe/Prague", {0: [(1200, 1440)], 1: [(0, 60)]})
    assert cal.add(prague(2026, 1, 5, 23, 30), HOUR) == prague(2026, 1, 6, 0, 30)
    assert cal.is_open(prague(2026, 1, 5, 23, 59, 59) + timedelta(microseconds=999_999))


def test_adjacent_and_unsorted_windows_are_merged() -> None:
    split = BusinessCalendar("UTC", {0: [(600, 1440), (0, 600)]})
    assert split == BusinessCalendar("UTC", {0: [(0, 1440)]})
    assert split.weekly == {0: ((0, 1440),)}


def test_overlapping_windows_are_not_double_counted() -> None:
    cal = BusinessCalendar("UTC", {0: [(0, 100), (50, 200)]})
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    assert cal.elapsed(monday, monday + timedelta(days=1)) == timedelta(minutes=200)


def test_always_open_elapsed_is_real_time() -> None:
    cal = BusinessCalendar.always_open()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert cal.elapsed(start, start + timedelta(days=400)) == timedelta(days=400)
    assert cal.add(start, timedelta(days=400)) == start + timedelta(days=400)


# -- is_open -----------------------------------------------------------------------------


def test_is_open_window_start_inclusive_end_exclusive(nine_to_five: BusinessCalendar) -> None:
    assert nine_to_five.is_open(prague(2026, 1, 5, 9, 0))
    assert nine_to_five.is_open(prague(2026, 1, 5, 16, 59, 59) + timedelta(microseconds=999_999))
    assert not nine_to_five.is_open(prague(2026, 1, 5, 17, 0))
    assert not nine_to_five.is_open(prague(2026, 1, 5, 8, 59, 59))


def test_is_open_uses_calendar_zone_not_input_zone(nine_to_five: BusinessCalendar) -> None:
    assert nine_to_five.is_open(datetime(2026, 1, 5, 8, 30, tzinfo=UTC))  # 09:30 in Prague
    assert not nine_to_five.is_open(datetime(2026, 1, 5, 16, 30, tzinfo=UTC))  # 17:30 in Prague


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda cal, t: cal.add(t, HOUR),
        lambda cal, t: cal.elapsed(t, t.replace(tzinfo=UTC)),
        lambda cal, t: cal.elapsed(t.replace(tzinfo=UTC), t),
        lambda cal, t: cal.is_open(t),
    ],
    ids=["add", "elapsed-start", "elapsed-end", "is_open"],
)
def test_naive_datetime_raises(nine_to_five: BusinessCalendar, call) -> None:
    with pytest.raises(ValueError):
        call(nine_to_five, datetime(2026, 1, 5, 10, 0))


@pytest.mark.parametrize(
    "window",
    [(-1, 60), (60, 60), (120, 60), (0, 1441), (0.0, 60), ("0", "60"), (True, 60), (1, 2, 3), 5],
)
def test_bad_window_raises(window) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar("UTC", {0: [window]})


@pytest.mark.parametrize("weekday", [-1, 7, "0", 1.0])
def test_bad_weekday_raises(weekday) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar("UTC", {weekday: [(0, 60)]})


def test_unknown_timezone_raises() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar("Mars/Olympus_Mons", NINE_TO_FIVE)


def test_accepts_zoneinfo_instance() -> None:
    assert BusinessCalendar(PRAGUE, NINE_TO_FIVE) == BusinessCalendar("Europe/Prague", NINE_TO_FIVE)


# -- value semantics ---------------------------------------------------------------------


def test_equal_calendars_hash_equal() -> None:
    a = BusinessCalendar("UTC", NINE_TO_FIVE, [date(2026, 1, 1)])
    b = BusinessCalendar("UTC", {**NINE_TO_FIVE, 5: []}, (date(2026, 1, 1), date(2026, 1, 1)))
    assert a == b
    assert hash(a) == hash(b)
    assert a != BusinessCalendar("UTC", NINE_TO_FIVE)


def test_repr_rebuilds_an_equal_calendar() -> None:
    cal = BusinessCalendar("Europe/Prague", NINE_TO_FIVE, [date(2026, 12, 24)])
    namespace = {"BusinessCalendar": BusinessCalendar, "datetime": __import__("datetime")}
    assert eval(repr(cal), namespace) == cal  # noqa: S307 - trusted test input

"""The report's daily rollups: the same numbers as the report rows, whether a day is read
rolled up or raw, right after a change as after the refresh (helpdesk/reports/rollups.py)."""

import io
import math
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from helpdesk.reports.buckets import (
    BUCKET_FIELDS,
    BUCKETS,
    EXACT_MINUTES,
    OPEN_FROM_MINUTES,
    bucket_of,
    percentile_seconds,
)
from helpdesk.reports.columns import GROUPS
from helpdesk.reports.models import (
    ReportDirtyDay,
    ReportRollupState,
    SlaMeasure,
    SlaRollup,
    TicketOutcome,
)
from helpdesk.reports.query import ReportQuery, analytic_session
from helpdesk.reports.rollups import report_rollups_refresh
from helpdesk.reports.selectors import breach_heatmap, compliance_by, sla_report
from helpdesk.reports.tasks import refresh_report_rollups
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.tickets import (
    ticket_change_priority,
    ticket_change_status,
    ticket_customer_reply,
    ticket_reply,
)
from tests.helpdesk.reports_support import EXPECTED_BY_TEAM, PERIOD, REPORT_AT, at, build_history

pytestmark = pytest.mark.django_db
# March, whole (read as a month's rollup once rolled up), and days on either side of weeks.
ROLLUP_ROW = ["day", "whole_month", "audience", "dimension", "group_key", "clock", "n", "b27"]
PERIODS = [PERIOD, (date(2026, 3, 3), date(2026, 3, 13)), (date(2026, 2, 1), date(2026, 3, 31))]


@pytest.fixture
def history(clock, tiers):
    return build_history(clock)


def everything(now) -> dict:
    """Every number the page, CSV and API show, for several periods, groupings, audiences."""
    seen = {}
    for start, end in PERIODS:
        for group_by in GROUPS:
            for audience in ("", "employee"):
                query = ReportQuery(start, end, group_by=group_by, audience=audience)
                report = sla_report(query=query, now=now)
                seen[start, end, group_by, audience] = [
                    (row.label, row.values) for row in [*report.rows, report.total]
                ]
        query = ReportQuery(start, end)
        seen[start, end, "heatmap"] = breach_heatmap(query)
        for group_by in ("week", "team"):
            series = compliance_by(query, group_by)
            seen[start, end, "compliance", group_by] = (series.labels, series.compliance)
    return seen


def tables_read(call) -> set[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    return {table for table in ("helpdesk_slarollup", "helpdesk_slameasure") if table in sql}


def march_by_team() -> None:
    sla_report(query=ReportQuery(*PERIOD, group_by="team"), now=REPORT_AT)


def test_buckets_are_exact_below_16_minutes_then_within_6_percent():
    assert len(BUCKETS) <= 100
    assert [b.first_minute for b in BUCKETS[:EXACT_MINUTES]] == list(range(EXACT_MINUTES))
    assert all(b.value_minutes == b.first_minute for b in BUCKETS[:EXACT_MINUTES])
    for bucket, following in zip(BUCKETS, BUCKETS[1:], strict=False):
        assert bucket.end_minute == following.first_minute
    assert BUCKETS[-1].first_minute == OPEN_FROM_MINUTES == 90 * 24 * 60
    assert BUCKETS[-1].end_minute is None
    worst = 0.0
    for minute in range(1, OPEN_FROM_MINUTES):
        value = BUCKETS[bucket_of(minute * 60 + 59)].value_minutes
        worst = max(worst, abs(value - minute) / minute)
    assert 0.05 < worst <= 0.06


def test_a_bucket_reports_the_rounded_geometric_mean_of_its_minutes():
    one_hour = BUCKETS[bucket_of(3600)]

    assert (one_hour.first_minute, one_hour.end_minute) == (60, 68)
    assert one_hour.value_minutes == round(math.sqrt(60 * 67)) == 63


def test_percentiles_are_the_nearest_rank_bucket():
    counts = [0] * len(BUCKETS)
    counts[bucket_of(5 * 60)] = 5  # 5 minutes, exact
    counts[bucket_of(3600)] = 4  # reported as 63 minutes
    counts[-1] = 1  # 90 days or more

    assert percentile_seconds(counts, Fraction(1, 2)) == 5 * 60  # the 5th of 10
    assert percentile_seconds(counts, Fraction(9, 10)) == 63 * 60  # the 9th
    assert percentile_seconds(counts, Fraction(1, 1)) == OPEN_FROM_MINUTES * 60
    assert percentile_seconds([0] * len(BUCKETS), Fraction(1, 2)) is None


def test_the_database_buckets_business_time_as_python_does(clock, make_ticket):
    ticket = make_ticket()
    outcome = TicketOutcome.objects.get(ticket=ticket)
    grouping = {
        name: getattr(outcome, name)
        for name in ("created_at", "team_id", "category_id", "priority", "agent_id")
    } | {"channel": outcome.channel, "audience": outcome.audience}
    # Both edges of every bucket, and a target still running (no time, in no bucket).
    times = [
        seconds
        for bucket in BUCKETS
        for seconds in (bucket.first_minute * 60, (bucket.end_minute or 10**6) * 60 - 1)
    ]
    SlaMeasure.objects.bulk_create(
        SlaMeasure(
            ticket=ticket,
            clock="update",
            cycle=cycle,
            met=True,
            ended_by="reply",
            target_seconds=60,
            business_seconds=seconds,
            **grouping,
        )
        for cycle, seconds in enumerate([*times, None])
    )
    expected = {name: 0 for name in BUCKET_FIELDS}
    for seconds in times:
        expected[BUCKET_FIELDS[bucket_of(seconds)]] += 1
    today = timezone.localdate(ticket.created_at)

    def histogram():
        report = sla_report(query=ReportQuery(today, today, group_by="week"), now=clock.now())
        return report.total.values["update_p50_seconds"], report.total.values["update_p90_seconds"]

    raw = histogram()
    report_rollups_refresh(everything=True)
    row = SlaRollup.objects.get(
        dimension="all", audience="", whole_month=False, day=today, clock="update"
    )

    assert {name: getattr(row, name) for name in BUCKET_FIELDS} == expected
    assert row.n == len(times) + 1
    assert (
        histogram()
        == raw
        == (
            percentile_seconds(list(expected.values()), Fraction(1, 2)),
            percentile_seconds(list(expected.values()), Fraction(9, 10)),
        )
    )


def test_the_month_reads_the_same_through_rollups_as_through_report_rows(history):
    raw = everything(REPORT_AT)
    assert "helpdesk_slameasure" in tables_read(march_by_team)  # the days with tickets

    days = report_rollups_refresh()

    assert days == 10  # the days the 20 tickets were created on
    assert not ReportDirtyDay.objects.exists()
    assert tables_read(march_by_team) == {"helpdesk_slarollup"}
    assert everything(REPORT_AT) == raw
    report = sla_report(query=ReportQuery(*PERIOD, group_by="team"), now=REPORT_AT)
    assert {row.label: row.values for row in [*report.rows, report.total]} == EXPECTED_BY_TEAM


def test_a_report_right_after_changes_equals_the_one_after_the_refresh(history, clock):
    report_rollups_refresh()
    before = everything(REPORT_AT)
    tickets, users = history.tickets, {n: a.user for n, a in history.agents.items()}

    clock.set(at(16, 12, 10))
    ticket_reply(ticket=tickets["T5"], body="On it.", public=True, author=users["ann"])
    ticket_change_status(ticket=tickets["T11"], status="resolved", actor=users["cat"])
    ticket_assign(ticket=tickets["T20"], agent=history.agents["cat"], actor=None)
    ticket_change_priority(ticket=tickets["T12"], priority="high", actor=users["ann"])
    ticket_customer_reply(ticket=tickets["T1"], body="It broke again.")
    clock.set(REPORT_AT)

    dirty = set(ReportDirtyDay.objects.values_list("day", flat=True))
    assert dirty == {date(2026, 3, day) for day in (2, 3, 4, 13, 16)}
    assert tables_read(march_by_team) == {"helpdesk_slarollup", "helpdesk_slameasure"}
    right_after = everything(REPORT_AT)
    assert right_after != before

    report_rollups_refresh()
    assert tables_read(march_by_team) == {"helpdesk_slarollup"}
    assert everything(REPORT_AT) == right_after

    report_rollups_refresh(everything=True)
    assert everything(REPORT_AT) == right_after


def test_a_refresh_twice_changes_nothing(history):
    report_rollups_refresh()
    rows = sorted(SlaRollup.objects.values_list(*ROLLUP_ROW))

    assert report_rollups_refresh() == 0
    ReportDirtyDay.objects.bulk_create([ReportDirtyDay(day=date(2026, 3, 2))] * 3)
    assert report_rollups_refresh() == 1
    assert sorted(SlaRollup.objects.values_list(*ROLLUP_ROW)) == rows


def test_another_time_zone_reads_report_rows_until_rolled_up_in_it(history, settings):
    report_rollups_refresh()
    settings.TIME_ZONE = "America/New_York"

    assert tables_read(march_by_team) == {"helpdesk_slameasure"}
    in_new_york = everything(REPORT_AT)

    report_rollups_refresh()
    assert ReportRollupState.objects.get().time_zone == "America/New_York"
    assert tables_read(march_by_team) == {"helpdesk_slarollup"}
    assert everything(REPORT_AT) == in_new_york


def test_deleting_an_agent_rolls_up_its_tickets_again(history):
    report_rollups_refresh()

    User.objects.get(username="cat").delete()  # its tickets become unassigned

    assert ReportDirtyDay.objects.exists()
    after_delete = everything(REPORT_AT)
    report_rollups_refresh()
    assert everything(REPORT_AT) == after_delete
    agents = sla_report(query=ReportQuery(*PERIOD, group_by="agent"), now=REPORT_AT)
    assert {row.label: row.values["tickets"] for row in agents.rows} == {
        "ann": 10,
        "bob": 4,
        "Unassigned": 5,
    }


def test_the_week_of_the_report_reads_days_not_months(history):
    report_rollups_refresh()
    weeks = sla_report(query=ReportQuery(*PERIOD, group_by="week"), now=REPORT_AT)

    assert [row.values["tickets"] for row in weeks.rows] == [13, 5, 1]
    assert weeks.total.values == EXPECTED_BY_TEAM["Total"]


def test_the_command_and_the_task_roll_up_the_dirty_days(history):
    out = io.StringIO()
    call_command("report_rollups_refresh", stdout=out)
    assert out.getvalue() == "Rolled up 10 day(s).\n"

    assert refresh_report_rollups() == "0 day(s) rolled up"
    call_command("report_rollups_refresh", "--all", stdout=out)
    assert out.getvalue().endswith("Rolled up 10 day(s).\n")


def test_the_refresh_is_scheduled_every_minute():
    schedule = Schedule.objects.get(func="helpdesk.reports.tasks.refresh_report_rollups")

    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)


def test_the_page_reads_rollups_and_dirty_days_in_a_few_queries(
    history, clock, admin_client, django_assert_max_num_queries
):
    report_rollups_refresh()
    clock.set(at(16, 12, 10))
    ann = history.agents["ann"].user
    ticket_reply(ticket=history.tickets["T5"], body="On it.", public=True, author=ann)
    assert tables_read(march_by_team) == {"helpdesk_slarollup", "helpdesk_slameasure"}

    with django_assert_max_num_queries(20):
        response = admin_client.get(
            "/admin/helpdesk/slareport/", {"from": "2026-03-01", "to": "2026-03-31"}
        )
    assert response.status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_report_reads_one_snapshot_on_postgresql():
    with analytic_session(), connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone()[0] == "repeatable read"


def test_docs_list_the_buckets_in_force():
    text = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text()
    listed = text.split("The buckets start at\n(minutes): ")[1].split(". Every")[0]
    starts = [int(n) for n in listed.replace("…", "").replace("\n", " ").split(", ") if n.strip()]

    assert starts == [0, 1, 15, *(b.first_minute for b in BUCKETS[EXACT_MINUTES:])]

"""The SLA compliance report on a hand-built month: the same hand-computed numbers in the
selector, the admin page, its CSV and the API (see tests/helpdesk/reports_support.py)."""

import csv
import io
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from helpdesk.access import MANAGERS_GROUP
from helpdesk.reports.audit import gaming_audit
from helpdesk.reports.columns import COLUMNS
from helpdesk.reports.presenters import UNIT_SUFFIX, format_cell
from helpdesk.reports.query import ReportQuery
from helpdesk.reports.selectors import breach_heatmap, sla_report
from tests.helpdesk.reports_support import (
    EXPECTED_BY_TEAM,
    P_3H,
    PERIOD,
    REPORT_AT,
    build_history,
)

pytestmark = pytest.mark.django_db
PAGE = "admin:helpdesk_slareport_changelist"
CSV = "admin:helpdesk_slareport_csv"
API = "api-report-sla"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def history(clock, tiers):
    return build_history(clock)


@pytest.fixture
def manager(db) -> User:
    user = User.objects.create_user("maria", "maria@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=MANAGERS_GROUP)[0])
    return user


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def report(group_by: str = "team", **filters):
    return sla_report(query=ReportQuery(*PERIOD, group_by=group_by, **filters), now=REPORT_AT)


def by_label(result) -> dict[str, dict]:
    return {row.label: row.values for row in result.rows} | {"Total": result.total.values}


class ReportTables(HTMLParser):
    """{row label: {column key: cell text}} from the page's report tables."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self.in_report = False
        self.label: str | None = None
        self.cell: tuple[str, str] | None = None  # (what, key)
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.in_report = "report" in (attrs.get("class") or "").split()
        elif self.in_report and tag == "th" and attrs.get("scope") == "row":
            self.cell, self.text = ("label", ""), ""
        elif self.in_report and tag == "td" and "data-col" in attrs:
            self.cell, self.text = ("value", attrs["data-col"]), ""

    def handle_data(self, data):
        if self.cell:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_report = False
        if not self.cell or tag not in ("th", "td"):
            return
        what, key = self.cell
        if what == "label":
            self.label = self.text.strip()
            self.rows.setdefault(self.label, {})
        else:
            self.rows[self.label][key] = self.text.strip()
        self.cell = None


def test_report_by_team_has_the_hand_computed_numbers(history):
    assert by_label(report()) == EXPECTED_BY_TEAM


def test_page_shows_the_same_numbers(manager_client, history, clock):
    response = manager_client.get(reverse(PAGE), {**MARCH, "group_by": "team"})

    assert response.status_code == 200
    tables = ReportTables()
    tables.feed(response.content.decode())
    units = {column.key: column.unit for column in COLUMNS}
    expected = {
        label: {key: format_cell(value, units[key]) for key, value in row.items()}
        for label, row in EXPECTED_BY_TEAM.items()
    }
    assert tables.rows == expected
    assert expected["Frontline"]["update_p90_seconds"] == "47:03"  # 48:00's bucket


def test_csv_has_the_same_numbers(manager_client, history, clock):
    response = manager_client.get(reverse(CSV), {**MARCH, "group_by": "team"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "sla-report-2026-03-01-2026-03-31-by-team.csv" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    header = ["Team", *(c.label + UNIT_SUFFIX[c.unit] for c in COLUMNS)]
    assert lines[0] == header
    got = {
        line[0]: dict(zip((c.key for c in COLUMNS), line[1:], strict=True)) for line in lines[1:]
    }
    units = {column.key: column.unit for column in COLUMNS}
    assert got == {
        label: {
            key: str(float(value)) if units[key] == "percent" else str(int(value))
            for key, value in row.items()
        }
        for label, row in EXPECTED_BY_TEAM.items()
    }


def test_api_has_the_same_numbers(manager_client, history, clock):
    response = manager_client.get(reverse(API), {**MARCH, "group_by": "team"})

    assert response.status_code == 200
    data = response.json()
    assert data["period"] == {"from": "2026-03-01", "to": "2026-03-31"}
    assert data["group_by"] == "team"
    assert [c["key"] for c in data["columns"]] == [c.key for c in COLUMNS]
    rows = {row.pop("label"): row for row in [*data["rows"], data["total"]]}
    assert {label: row.pop("key") for label, row in rows.items()} == {
        "Frontline": history.support.pk,
        "Ledger": history.billing.pk,
        "Total": None,
    }
    assert rows == EXPECTED_BY_TEAM


def test_page_api_and_csv_agree_for_every_grouping(manager_client, history, clock):
    for group_by in ("category", "priority", "agent", "channel", "week"):
        params = {**MARCH, "group_by": group_by}
        api = manager_client.get(reverse(API), params).json()
        lines = list(csv.reader(io.StringIO(manager_client.get(reverse(CSV), params).text)))
        tables = ReportTables()
        tables.feed(manager_client.get(reverse(PAGE), params).content.decode())

        labels = [row["label"] for row in api["rows"]] + ["Total"]
        assert [line[0] for line in lines[1:]] == labels
        assert list(tables.rows) == labels
        for row, line in zip([*api["rows"], api["total"]], lines[1:], strict=True):
            for column, cell in zip(COLUMNS, line[1:], strict=True):
                value = row[column.key]
                assert cell == ("" if value is None else str(value))
                assert tables.rows[row["label"]][column.key] == format_cell(value, column.unit)


def test_groupings_split_the_month_as_expected(history):
    def tickets(group_by: str) -> dict[str, int]:
        return {row.label: row.values["tickets"] for row in report(group_by).rows}

    assert tickets("priority") == {"Critical": 1, "High": 3, "Normal": 13, "Low": 2}
    assert tickets("agent") == {"ann": 10, "bob": 4, "cat": 3, "Unassigned": 2}
    assert tickets("channel") == {
        "Web form": 7,
        "API": 1,
        "In-app widget": 1,
        "Email": 4,
        "Chat": 2,
        "Phone": 3,
        "Social": 1,
    }
    assert tickets("week") == {
        "2026-W10 (02 Mar)": 13,
        "2026-W11 (09 Mar)": 5,
        "2026-W12 (16 Mar)": 1,
    }
    assert tickets("category") == {"Help": 15, "Invoices": 4}


def test_priority_rows_count_targets_of_each_tier(history):
    rows = by_label(report("priority"))

    # T4 missed, T11 met, T17 missed (raised to high after its first hour had passed).
    assert rows["High"]["first_response_met"] == 1
    assert rows["High"]["first_response_missed"] == 2
    assert rows["High"]["first_response_compliance"] == 33.3
    # T8 on a Saturday, 24/7: one update on time, one late, one overdue when resolved.
    assert rows["Critical"]["update_met"] == 1
    assert rows["Critical"]["update_missed"] == 2
    assert rows["Critical"]["updates_on_time"] == 50.0
    assert rows["Critical"]["resolution_p50_seconds"] == P_3H


def test_agent_rows_follow_the_current_assignee(history):
    rows = by_label(report("agent"))

    assert rows["bob"]["paused_seconds"] == 89100  # T3
    assert rows["bob"]["resolution_missed"] == 1  # T18
    assert rows["bob"]["missed_by_over_1d"] == 1
    assert rows["Unassigned"]["breaches_open"] == 1  # T5
    assert rows["Unassigned"]["missed_running"] == 2


def test_audience_filter_keeps_only_that_audience(history):
    employees = report(audience="employee")

    assert by_label(employees)["Total"]["tickets"] == 1  # T16
    assert by_label(employees)["Total"]["fcr"] == 1
    assert by_label(report(audience="customer"))["Total"]["tickets"] == 18


def test_a_february_report_holds_only_the_february_ticket(history):
    february = sla_report(
        query=ReportQuery(PERIOD[0].replace(month=2), PERIOD[0].replace(day=28, month=2)),
        now=REPORT_AT,
    )

    total = february.total.values
    assert total["tickets"] == 1  # T15, never answered
    assert total["first_response_missed"] == total["resolution_missed"] == 1
    assert total["missed_running"] == 2
    assert total["breaches_open"] == 1
    assert total["backlog_30d"] == 1


def test_breach_heatmap_places_each_missed_target_at_its_weekday_and_hour(history):
    grid = breach_heatmap(ReportQuery(*PERIOD))

    cells = {
        (day, hour): count
        for day, row in enumerate(grid)
        for hour, count in enumerate(row)
        if count
    }
    mon, tue, wed, thu, fri, sat = range(6)
    assert cells == {
        (mon, 13): 1,  # T2 first response
        (mon, 17): 1,  # T7 first response (Monday 9th, before the holiday)
        (tue, 9): 1,  # T4 first response at 09:30
        (tue, 10): 1,  # T10 first response
        (tue, 13): 1,  # T5 first response
        (tue, 14): 1,  # T4 update
        (wed, 10): 1,  # T17 first response, after the priority change
        (wed, 17): 3,  # T2, T18 and T19 resolution
        (thu, 9): 1,  # T19 update at 09:30
        (thu, 10): 1,  # T18 update
        (thu, 12): 1,  # T11 update
        (thu, 17): 1,  # T5 resolution
        (fri, 11): 1,  # T11 resolution at 11:18
        (sat, 10): 1,  # T8 update at 10:40
        (sat, 11): 1,  # T8 update at 11:45
    }


def test_gaming_audit_lists_quick_and_repeated_pauses_per_agent(history):
    audit = gaming_audit(ReportQuery(*PERIOD), within_minutes=15, repeats=3)

    agents = {
        a.label: (a.pauses, a.quick_pauses, a.repeat_pauses, a.tickets, a.flagged_tickets)
        for a in audit.agents
    }
    assert agents == {"bob": (3, 2, 1, 1, 1), "cat": (3, 1, 0, 2, 1), "ann": (1, 0, 0, 1, 0)}
    assert [
        (t.reference, t.label, t.pauses, t.quick_pauses, t.quickest_seconds, t.most_pauses)
        for t in audit.tickets
    ] == [
        (history.tickets["T3"].reference, "bob", 3, 2, 300, 3),
        (history.tickets["T11"].reference, "cat", 2, 1, 120, 2),
    ]
    assert audit.tickets_flagged == 2


def test_gaming_audit_window_and_repeats_are_adjustable(history):
    strict = gaming_audit(ReportQuery(*PERIOD), within_minutes=1, repeats=2)

    assert [(t.reference, t.quick_pauses) for t in strict.tickets] == [
        (history.tickets["T3"].reference, 0),
        (history.tickets["T11"].reference, 0),
    ]
    assert {a.label: a.repeat_pauses for a in strict.agents} == {"bob": 2, "cat": 1, "ann": 0}


def test_page_lists_the_gaming_audit(manager_client, history, clock):
    response = manager_client.get(reverse(PAGE), MARCH)

    audit = response.context["bundle"].audit
    assert [t.reference for t in audit.tickets] == [
        history.tickets["T3"].reference,
        history.tickets["T11"].reference,
    ]
    html = response.content.decode()
    assert 'id="audit-agents"' in html
    assert f">{history.tickets['T3'].reference}</a>" in html
    assert ">5 min<" in html  # T3's quickest pause after the customer's reply


def test_page_draws_the_three_charts_inline(manager_client, history, clock):
    html = manager_client.get(reverse(PAGE), MARCH).content.decode()

    for chart in ("chart-over-time", "chart-teams", "chart-heatmap"):
        assert f'id="{chart}"' in html
    assert html.count('class="report-chart"') == 3
    assert "<script" not in html.split('id="content-main"')[1]
    assert "<title>Wed 17:00–17:59: 3 breaches</title>" in html


def test_page_queries_do_not_grow_with_tickets(
    manager_client, history, clock, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        response = manager_client.get(reverse(PAGE), {**MARCH, "group_by": "agent"})
    assert response.status_code == 200


def test_default_period_is_the_last_thirty_days(manager_client, clock):
    data = manager_client.get(reverse(API)).json()

    assert data["period"] == {"from": "2026-02-01", "to": "2026-03-02"}
    assert data["rows"] == []
    assert data["total"]["tickets"] == 0
    assert data["total"]["first_response_compliance"] is None


def test_api_rejects_bad_filters_with_field_errors(manager_client):
    response = manager_client.get(reverse(API), {"group_by": "moon", "from": "yesterday"})

    assert response.status_code == 400
    assert set(response.json()) == {"group_by", "from"}


def test_api_rejects_a_period_that_ends_before_it_starts(manager_client):
    response = manager_client.get(reverse(API), {"from": "2026-03-10", "to": "2026-03-01"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The period must not end before it starts."]}


def test_superusers_are_managers(admin_client):
    assert admin_client.get(reverse(API)).status_code == 200
    assert admin_client.get(reverse(PAGE)).status_code == 200


def test_agents_may_not_read_the_reports(client, make_agent):
    client.force_login(make_agent("grace").user)

    assert client.get(reverse(API)).status_code == 403
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.get(reverse(CSV)).status_code == 403


def test_anonymous_callers_are_refused(client):
    assert client.get(reverse(API)).status_code == 401
    assert client.get(reverse(PAGE)).status_code == 302  # to the admin login


def test_the_admin_index_links_the_report_for_managers_only(manager_client, client, make_agent):
    assert reverse(PAGE) in manager_client.get(reverse("admin:index")).content.decode()

    client.force_login(make_agent("grace").user)
    assert reverse(PAGE) not in client.get(reverse("admin:index")).content.decode()

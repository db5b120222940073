"""The Satisfaction Index on a hand-built month: CSAT %, NPS, CES, response quality and the
index come out exactly as computed by hand below, in the selector, the API and the page.

Team A ("Alpha team", customers, no touchpoint), answered in week 10 (2 March 2026):
  CSAT 5, 4, 2 · CES 7, 5, 1 · NPS 10, 10, 9, 8, 2 (one more NPS invitation unanswered)
Team B ("Second team", employees, checkout), answered in week 11 (9 March):
  CSAT 4, 1 · CES 3 · NPS 9, 9, 7, 6, 0 (one more ticket survey offered, unanswered)

Overall: CSAT % = 3 satisfied (5, 4, 4) of 5 = 60.0. CES = (7+5+1+3)/4 = 4.00.
  NPS: promoters 10, 10, 9, 9, 9 (5), passives 8, 7 (2), detractors 2, 6, 0 (3):
  (5 − 3)/10 × 100 = 20.0.
  Index = 0.4 × 60 + 0.4 × (20 + 100)/2 + 0.2 × (4 − 1)/6 × 100 = 24 + 24 + 10 = 58.0.
Team A: CSAT 2/3 = 66.7; CES 13/3 = 4.33; NPS (3 − 1)/5 = 40.0;
  index = 0.4 × 66.67 + 0.4 × 70 + 0.2 × 55.56 = 65.8.
Team B: CSAT 1/2 = 50.0; CES 3.00; NPS (2 − 2)/5 = 0.0;
  index = 0.4 × 50 + 0.4 × 50 + 0.2 × 33.33 = 46.7.
Follow-ups: A: CSAT 2 and NPS 2 (2); B: CSAT 1, NPS 6 and 0 (3).
Response rates: ticket surveys 5 of 6 offered (83.3; A 3/3, B 2/3); NPS 10 of 11 (90.9).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from feedback.models import TicketTriage
from feedback.surveys.invitations import nps_invite
from feedback.surveys.metrics import index_weights, satisfaction_index
from feedback.surveys.models import TicketSurvey
from feedback.surveys.report import SatisfactionQuery, satisfaction_report
from feedback.surveys.services import nps_answer
from feedback.triage import sentiment_score
from helpdesk.access import MANAGERS_GROUP
from helpdesk.models import Agent, Calendar, Category, Contact, Team
from helpdesk.services.tickets import ticket_create, ticket_customer_reply, ticket_reply
from tests.conftest import Clock
from tests.feedback.surveys_support import (  # noqa: F401  (fixtures)
    DELAY,
    answer,
    resolve,
    survey_settings_fixture,
)
from tests.helpdesk.api_support import fast_passwords  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
API = "api-report-satisfaction"
PAGE = "admin:feedback_satisfactionreport_changelist"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
PERIOD = (datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date())
MONDAY_2_MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK_11 = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
PRAISE, COMPLAINT = "Great service, thank you!", "Terrible, slow and rude."


def build_month(clock: Clock) -> dict:
    """The month of the module docstring, written through the services."""
    office = Calendar.objects.create(
        name="Office", timezone="UTC", weekly={str(d): [[540, 1020]] for d in range(5)}
    )
    team_a = Team.objects.create(name="Alpha team", slug="alpha-team", calendar=office)
    team_b = Team.objects.create(name="Second team", slug="second-team", calendar=office)
    category_a = Category.objects.create(slug="alpha", name="Alpha", team=team_a)
    category_b = Category.objects.create(slug="second", name="Second", team=team_b)
    user = User.objects.create_user("month-agent", "month@example.com", "pw", is_staff=True)
    Agent.objects.create(user=user).teams.set([team_a, team_b])
    requester = Contact.objects.create(email="month@example.com", name="Month")

    def ticket_of(team_name: str, n: int):
        category = category_a if team_name == "A" else category_b
        audience = "customer" if team_name == "A" else "employee"
        ticket, _token = ticket_create(
            subject=f"{team_name}{n}",
            description="…",
            category=category,
            requester=requester,
            audience=audience,
            auto_assign=False,
        )
        if team_name == "B":
            TicketTriage.objects.create(
                ticket=ticket, touchpoint="checkout", sentiment=0, classification="test"
            )
        return ticket

    a = [ticket_of("A", n) for n in range(3)]
    b = [ticket_of("B", n) for n in range(3)]
    # Customer sentiment around a public update: only the message after it counts.
    ticket_customer_reply(ticket=a[0], body="Any news?")
    clock.set(clock.now() + timedelta(minutes=5))
    ticket_reply(ticket=a[0], body="We are on it.", public=True, author=user)
    clock.set(clock.now() + timedelta(minutes=5))
    ticket_customer_reply(ticket=a[0], body="Thanks, that fixed it!")
    for ticket in a + b:
        resolve(ticket)
    clock.set(clock.now() + timedelta(hours=1, minutes=1))

    surveys = {t.subject: TicketSurvey.objects.get(ticket=t) for t in a + b}
    answer(surveys["A0"], csat=5, ces=7, comment=PRAISE)
    answer(surveys["A1"], csat=4, ces=5)
    answer(surveys["A2"], csat=2, ces=1, comment=COMPLAINT)
    contacts = iter(Contact.objects.create(email=f"nps{i}@example.com") for i in range(11))
    for score in (10, 10, 9, 8, 2):
        nps_answer(survey=nps_invite(contact=next(contacts), ticket=a[0]), score=score)
    nps_invite(contact=next(contacts), ticket=a[1])  # never answered

    clock.set(WEEK_11)
    answer(surveys["B0"], csat=4, ces=3)
    answer(surveys["B1"], csat=1)
    for score in (9, 9, 7, 6, 0):
        nps_answer(survey=nps_invite(contact=next(contacts), ticket=b[0]), score=score)
    return {"A": team_a, "B": team_b}


@pytest.fixture(scope="module")
def month(django_db_setup, django_db_blocker):
    """Written once for the module's tests (each runs in a savepoint inside it), in a
    transaction rolled back after the last: a month of services is the slow part."""
    with django_db_blocker.unblock(), transaction.atomic():
        with (
            time_machine.travel(MONDAY_2_MARCH, tick=False) as traveller,
            override_settings(SURVEY_DELAY=DELAY, SURVEY_OPEN_FOR=timedelta(days=30)),
        ):
            data = build_month(Clock(traveller))
        yield data
        transaction.set_rollback(True)


def report(group_by="team", **filters):
    query = SatisfactionQuery(*PERIOD, group_by=group_by, **filters)
    return satisfaction_report(query=query, now=WEEK_11)


def by_label(result) -> dict[str, dict]:
    return {row.label: row.values for row in result.rows} | {"Total": result.total.values}


def test_csat_nps_and_ces_are_the_hand_computed_numbers(month):
    rows = by_label(report())

    total, a, b = rows["Total"], rows["Alpha team"], rows["Second team"]
    assert (total["csat_responses"], total["csat_percent"]) == (5, 60.0)
    assert (total["ces_responses"], total["ces_mean"]) == (4, 4.0)
    assert (total["nps_promoters"], total["nps_passives"], total["nps_detractors"]) == (5, 2, 3)
    assert total["nps"] == 20.0
    assert (a["csat_percent"], a["ces_mean"], a["nps"]) == (66.7, 4.33, 40.0)
    assert (b["csat_percent"], b["ces_mean"], b["nps"]) == (50.0, 3.0, 0.0)


def test_the_index_follows_its_documented_formula_and_weights(month, settings):
    rows = by_label(report())

    assert rows["Total"]["satisfaction_index"] == 58.0
    assert rows["Alpha team"]["satisfaction_index"] == 65.8
    assert rows["Second team"]["satisfaction_index"] == 46.7
    # docs/metrics.md: Σ wᵢ·cᵢ ÷ Σ wᵢ, CSAT % as is, (NPS + 100)/2, (CES − 1)/6 × 100.
    csat, nps, ces = 200 / 3, 40.0, 13 / 3
    by_hand = (0.4 * csat + 0.4 * (nps + 100) / 2 + 0.2 * (ces - 1) / 6 * 100) / 1.0
    assert rows["Alpha team"]["satisfaction_index"] == round(by_hand, 1)

    settings.SATISFACTION_INDEX_WEIGHTS = {"csat": 1, "nps": 0, "ces": 1}
    reweighted = report()
    assert reweighted.total.values["satisfaction_index"] == 55.0  # (60 + 50) / 2
    assert reweighted.weights == {"csat": 1.0, "nps": 0.0, "ces": 1.0}


def test_a_measure_without_answers_drops_out_of_the_index():
    weights = {"csat": 0.4, "nps": 0.4, "ces": 0.2}
    assert satisfaction_index(csat_percent=80.0, nps=None, ces_mean=7.0, weights=weights) == round(
        (0.4 * 80 + 0.2 * 100) / 0.6, 1
    )
    assert satisfaction_index(csat_percent=None, nps=None, ces_mean=None, weights=weights) is None


@pytest.mark.parametrize(
    "weights",
    [{"csat": 1, "nps": 1}, {"csat": 1, "nps": 1, "ces": -1}, {"csat": 0, "nps": 0, "ces": 0}],
)
def test_bad_weights_are_a_configuration_error(weights):
    with pytest.raises(ImproperlyConfigured):
        index_weights(weights)


def test_response_quality_is_the_hand_computed_numbers(month):
    rows = by_label(report())

    total, a, b = rows["Total"], rows["Alpha team"], rows["Second team"]
    assert (total["surveys_offered"], total["surveys_answered"], total["response_rate"]) == (
        6,
        5,
        83.3,
    )
    assert (a["response_rate"], b["response_rate"]) == (100.0, 66.7)
    assert (total["nps_invited"], total["nps_response_rate"]) == (11, 90.9)
    assert (a["follow_ups"], b["follow_ups"], total["follow_ups"]) == (2, 3, 5)
    assert (total["comments"], total["negative_comments"]) == (2, 1)
    assert total["comment_sentiment"] == round(
        (sentiment_score(PRAISE) + sentiment_score(COMPLAINT)) / 2, 3
    )
    assert (a["after_update_messages"], b["after_update_messages"]) == (1, 0)
    assert a["after_update_sentiment"] == round(sentiment_score("Thanks, that fixed it!"), 3)


def test_every_grouping_splits_the_month_and_drills_down(month):
    teams = by_label(report("team"))
    for group_by, a_label, b_label in [
        ("category", "Alpha", "Second"),
        ("touchpoint", "None recorded", "Checkout"),
        ("audience", "Customer", "Employee"),
    ]:
        rows = by_label(report(group_by))
        assert rows[a_label] == teams["Alpha team"], group_by
        assert rows[b_label] == teams["Second team"], group_by
        assert rows["Total"] == teams["Total"], group_by
    overall = report("overall")
    assert [(row.label, row.values) for row in overall.rows] == [("Everyone", teams["Total"])]

    team_a = next(row for row in report().rows if row.label == "Alpha team")
    assert team_a.drill_down == {"team": month["A"].pk, "group_by": "category"}
    narrowed = report("category", team_id=month["A"].pk)
    assert [row.label for row in narrowed.rows] == ["Alpha"]
    assert narrowed.total.values == team_a.values
    no_touchpoint = report("audience", touchpoint="none")
    assert [row.label for row in no_touchpoint.rows] == ["Customer"]


def test_the_trend_gives_each_period_its_answers_in_fixed_queries(
    month, django_assert_max_num_queries
):
    with django_assert_max_num_queries(11):
        weekly = report()
    trend = {row.label: row.values for row in weekly.trend}

    assert list(trend) == ["2026-W09", "2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"]
    assert trend["2026-W10"]["satisfaction_index"] == 65.8
    assert trend["2026-W11"]["satisfaction_index"] == 46.7
    assert trend["2026-W09"]["satisfaction_index"] is None
    assert [row.values for row in report(interval="month").trend] == [weekly.total.values]


# The API and the page.


@pytest.fixture
def manager_client(client):
    user = User.objects.create_user("maria", "maria@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=MANAGERS_GROUP)[0])
    client.force_login(user)
    return client


def test_the_api_and_the_page_show_the_same_numbers(
    manager_client, month, clock, django_assert_max_num_queries
):
    clock.set(WEEK_11)
    data = manager_client.get(reverse(API), {**MARCH, "group_by": "team"}).json()

    assert data["total"]["satisfaction_index"] == 58.0
    assert data["total"]["nps"] == 20.0
    assert data["weights"] == {"csat": 0.4, "nps": 0.4, "ces": 0.2}
    rows = {row["label"]: row for row in data["rows"]}
    assert rows["Second team"]["csat_percent"] == 50.0
    assert rows["Alpha team"]["drill_down"] == {"team": month["A"].pk, "group_by": "category"}
    assert [p["label"] for p in data["trend"]][:3] == ["2026-W09", "2026-W10", "2026-W11"]

    with django_assert_max_num_queries(25):
        response = manager_client.get(reverse(PAGE), {**MARCH, "group_by": "team"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<div data-key="satisfaction_index">Satisfaction Index<b>58.0</b></div>' in html
    assert 'data-col="nps">20.0</td>' in html
    assert html.count('class="report-chart"') == 1 and 'data-series="index"' in html
    assert f"team={month['A'].pk}&amp;group_by=category" in html
    assert "cdn" not in html.lower()


def test_the_admin_index_links_the_dashboard_for_managers_only(manager_client, client, make_agent):
    assert reverse(PAGE) in manager_client.get(reverse("admin:index")).content.decode()

    client.force_login(make_agent("grace").user)
    assert reverse(PAGE) not in client.get(reverse("admin:index")).content.decode()


def test_agents_may_not_read_the_index(client, make_agent):
    client.force_login(make_agent("grace").user)

    assert client.get(reverse(API)).status_code == 403
    assert client.get(reverse(PAGE)).status_code == 403


def test_anonymous_callers_are_refused(client):
    assert client.get(reverse(API)).status_code == 401
    assert client.get(reverse(PAGE)).status_code == 302


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "moon"},
        {"from": "yesterday"},
        {"from": "2026-03-10", "to": "2026-03-01"},
        {"to": "9999-12-31"},
        {"team": "abc"},
        {"team": "99999999999999999999"},
        {"category": "-1"},
        {"touchpoint": "<script>"},
        {"interval": "year"},
    ],
)
def test_bad_filters_are_400_with_field_errors(manager_client, params):
    api = manager_client.get(reverse(API), params)
    page = manager_client.get(reverse(PAGE), params)

    assert api.status_code == 400 and api.json()
    assert page.status_code == 400

"""Who may see and do what through the API: teams are walls, managers see everything."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

from helpdesk.models import Priority, Ticket
from tests.helpdesk.api_support import (
    fast_passwords,  # noqa: F401
    make_manager,
    second_team,
    ticket_url,
    token_client,
)

LIST = "/api/v1/tickets/"


@pytest.fixture
def second_line(office):
    return second_team(office)


@pytest.fixture
def grace(make_agent):
    """An agent of the test team."""
    return make_agent("grace")


@pytest.fixture
def theirs(clock, make_ticket, second_line):
    """A ticket of the second-line team, which grace is not in."""
    _, kit = second_line
    return make_ticket(category=kit, subject="Their broken kit")


@pytest.fixture
def ours(clock, make_ticket):
    return make_ticket(subject="Our printer")


def listed(client, query: str = "") -> set[str]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, response.json()
    return {row["reference"] for row in response.json()["results"]}


def test_an_agent_lists_only_the_tickets_of_their_teams(grace, ours, theirs):
    assert listed(token_client(grace.user)) == {ours.reference}


@pytest.mark.parametrize(
    "query",
    [
        "team=second-line",
        "category=second-line-kit",
        "q=kit",
        "assignee=none",
        "status=new",
        "ordering=-priority",
        "ordering=resolution_due&page_size=1",
    ],
)
def test_filters_and_orderings_never_reveal_another_teams_tickets(grace, ours, theirs, query):
    assert theirs.reference not in listed(token_client(grace.user), query)


def test_a_reference_search_does_not_reveal_another_teams_ticket(grace, ours, theirs):
    assert listed(token_client(grace.user), f"q={theirs.reference}") == set()


ACTIONS = [
    ("get", "", None),
    ("patch", "", {"status": "open"}),
    ("post", "replies", {"body": "Hello", "public": True}),
    ("get", "messages", None),
    ("post", "assign", {"assignee": None}),
    ("post", "take", None),
    ("post", "public-issue", {"issue": 1}),
    ("get", "timeline", None),
    ("get", "sla", None),
]


@pytest.mark.parametrize(("method", "action", "body"), ACTIONS)
def test_another_teams_ticket_and_its_actions_are_404(grace, theirs, method, action, body):
    client = token_client(grace.user)

    response = getattr(client, method)(ticket_url(theirs, action), body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such ticket."}
    theirs_now = Ticket.objects.get(pk=theirs.pk)
    assert (theirs_now.status, theirs_now.version) == ("new", theirs.version)
    assert not theirs_now.messages.exists()


def test_an_agent_in_both_teams_sees_both(make_agent, team, second_line, ours, theirs):
    both = make_agent("ada", teams=[team, second_line[0]])

    assert listed(token_client(both.user)) == {ours.reference, theirs.reference}


def test_a_team_lead_sees_and_acts_on_the_team_tickets(second_line, ours, theirs):
    lead = User.objects.create_user("lena", "lena@example.com", "pw")
    led_team, _ = second_line
    led_team.lead = lead
    led_team.save()
    client = token_client(lead)

    assert listed(client) == {theirs.reference}
    response = client.patch(ticket_url(theirs), {"priority": "high"}, format="json")
    assert response.status_code == 200
    assert client.get(ticket_url(ours)).status_code == 404


@pytest.mark.parametrize("how", ["managers_group", "superuser"])
def test_managers_see_and_act_on_every_ticket(ours, theirs, how):
    if how == "superuser":
        manager = User.objects.create_superuser("sam", "sam@example.com", "pw")
    else:
        manager = make_manager("mona", is_staff=False)
    client = token_client(manager)

    assert listed(client) == {ours.reference, theirs.reference}
    response = client.patch(ticket_url(theirs), {"priority": "high"}, format="json")
    assert response.status_code == 200
    assert Ticket.objects.get(pk=theirs.pk).priority == Priority.HIGH


def test_a_user_who_is_no_agent_lead_or_manager_is_403(ours):
    client = token_client(User.objects.create_user("eve", "eve@example.com", "pw"))

    assert client.get(LIST).status_code == 403
    assert client.get(ticket_url(ours)).status_code == 403
    assert client.get("/api/v1/teams/").status_code == 403


def test_an_inactive_agent_is_refused(grace, ours):
    client = token_client(grace.user)
    grace.user.is_active = False
    grace.user.save()

    assert client.get(LIST).status_code == 401


def test_no_credentials_is_401_with_a_challenge(ours):
    response = APIClient().get(LIST)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_bad_token_is_401(ours):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get(LIST).status_code == 401


def test_session_authentication_works(client, grace, ours):
    client.login(username="grace", password="pw")

    response = client.get(LIST)

    assert response.status_code == 200
    assert response.json()["results"][0]["reference"] == ours.reference


def test_session_writes_need_the_csrf_token(grace, ours):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="grace", password="pw")

    response = client.patch(ticket_url(ours), {"status": "open"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_drf_create_token_gives_a_working_token(grace, ours, capsys):
    call_command("drf_create_token", "grace")
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert listed(client) == {ours.reference}

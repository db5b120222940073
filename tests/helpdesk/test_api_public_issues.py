"""Known issues for the public board, opened and updated by agents through the API."""

import pytest

from helpdesk.services.tickets import ticket_create
from statusfeed.models import BOARD_STREAM, PublicEvent, PublicIssue, ticket_stream
from statusfeed.services import public_issue_create, ticket_link_public_issue
from tests.helpdesk.api_support import fast_passwords, token_client  # noqa: F401

ISSUES = "/api/v1/public-issues/"


@pytest.fixture
def api(make_agent):
    return token_client(make_agent("grace").user)


@pytest.fixture
def outage(db):
    return public_issue_create(
        title="Login outage", kind="incident", status="investigating", body="Looking.", author=None
    )


def test_agent_opens_an_issue_on_the_board(api):
    response = api.post(
        ISSUES,
        {"title": "Slow search", "kind": "incident", "status": "identified", "body": "Index."},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["is_public"]) == ("Slow search", True)
    assert body["updates"][0]["body"] == "Index."
    assert body["updates"][0]["author"] == "grace"
    assert PublicEvent.objects.filter(stream=BOARD_STREAM, kind="issue_updated").exists()


def test_an_issue_status_must_fit_its_kind(api):
    response = api.post(
        ISSUES,
        {"title": "Dark mode", "kind": "request", "status": "investigating", "body": "Hm."},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "status": ["A request can be planned, in_progress, done, not investigating."]
    }
    assert not PublicIssue.objects.exists()


def test_list_and_detail(api, outage):
    listed = api.get(ISSUES).json()["results"]
    detail = api.get(f"{ISSUES}{outage.pk}/").json()

    assert [issue["id"] for issue in listed] == [outage.pk]
    assert [update["status"] for update in detail["updates"]] == ["investigating"]


def test_list_pages_newest_update_first(api, clock, outage):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    newer = public_issue_create(
        title="Second", kind="incident", status="investigating", body="Hm.", author=None
    )

    first = api.get(ISSUES, {"page_size": 1}).json()
    second = api.get(first["next"]).json()

    assert [i["id"] for i in first["results"] + second["results"]] == [newer.pk, outage.pk]


def test_an_update_reaches_linked_tickets(api, clock, outage, category, tiers):
    ticket, _ = ticket_create(subject="Can't log in", description="!", category=category)
    ticket_link_public_issue(ticket=ticket, issue=outage)

    response = api.post(
        f"{ISSUES}{outage.pk}/updates/",
        {"status": "identified", "body": "Found it."},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "identified"
    kinds = PublicEvent.objects.filter(stream=ticket_stream(ticket.pk)).values_list(
        "kind", flat=True
    )
    assert "public_issue_update" in kinds


@pytest.mark.parametrize(
    "body",
    [
        {"status": "planned", "body": "Wrong kind of status."},
        {"status": "identified", "body": 5},
        {"status": "identified"},
        {"status": "identified", "body": "Hi", "title": "Renamed"},
    ],
)
def test_an_update_refuses_bad_input(api, outage, body):
    response = api.post(f"{ISSUES}{outage.pk}/updates/", body, format="json")

    assert response.status_code == 400
    assert outage.updates.count() == 1


def test_an_update_to_an_unknown_issue_is_404(api, db):
    response = api.post(
        f"{ISSUES}12345/updates/", {"status": "identified", "body": "x"}, format="json"
    )

    assert response.status_code == 404

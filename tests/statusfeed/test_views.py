"""The public progress page, its JSON, the board, the feed and the summary."""

import pytest
from django.contrib.auth.models import User

from helpdesk.models import Status, Ticket
from helpdesk.services.tickets import (
    ticket_change_status,
    ticket_reply,
    ticket_rotate_public_token,
)
from statusfeed.services import public_issue_create, public_issue_update, ticket_link_public_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_user(make_agent):
    return make_agent("grace").user


def page(client, token):
    return client.get(f"/status/t/{token}/")


def test_progress_page_shows_status_and_promise(client, clock, make_ticket_link):
    ticket, token = make_ticket_link()

    response = page(client, token)

    assert response.status_code == 200
    html = response.content.decode()
    assert ticket.reference in html
    assert "Received: we will reply soon" in html
    assert "Next update by" in html
    assert "Mon 2 Mar, 13:00 UTC" in html


def test_progress_page_shows_public_replies(client, clock, make_ticket_link, agent_user):
    ticket, token = make_ticket_link()
    ticket_reply(ticket=ticket, body="We found the cause.", public=True, author=agent_user)

    html = page(client, token).content.decode()

    assert "We found the cause." in html
    assert "We are working on it" in html


def test_unknown_token_is_404_with_public_headers(client, db):
    response = client.get("/status/t/not-a-real-token/")

    assert response.status_code == 404
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_progress_page_sends_privacy_headers(client, clock, make_ticket_link):
    _, token = make_ticket_link()

    response = page(client, token)

    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "noindex" in response["X-Robots-Tag"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_rotated_token_stops_working(client, clock, make_ticket_link):
    ticket, old = make_ticket_link()

    new = ticket_rotate_public_token(ticket=ticket, actor=None)

    assert page(client, old).status_code == 404
    assert page(client, new).status_code == 200


def test_tokens_carry_at_least_128_bits(clock, make_ticket_link):
    _, token = make_ticket_link()

    assert len(token) * 6 >= 128
    assert not Ticket.objects.filter(public_token_hash=token).exists()  # only the hash is stored


def test_page_renders_in_few_queries_whatever_the_history(
    client, clock, make_ticket_link, agent_user, django_assert_max_num_queries
):
    ticket, token = make_ticket_link()
    for i in range(40):
        ticket_reply(ticket=ticket, body=f"Update {i}", public=True, author=agent_user)

    with django_assert_max_num_queries(5):
        assert page(client, token).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(f"/status/t/{token}.json").status_code == 200


def test_customer_reply_from_the_page_resumes_a_paused_ticket(client, clock, make_ticket_link):
    ticket, token = make_ticket_link()
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=None)

    response = client.post(f"/status/t/{token}/reply", {"message": "Here is the log."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.get().body == "Here is the log."
    assert "Here is the log." in page(client, token).content.decode()


def test_an_empty_reply_is_refused_with_a_message(client, clock, make_ticket_link):
    ticket, token = make_ticket_link()

    response = client.post(f"/status/t/{token}/reply", {"message": "  "})

    assert response.status_code == 400
    assert "Please write a message" in response.content.decode()
    assert not ticket.messages.exists()


def test_a_closed_ticket_refuses_replies_with_a_message(client, clock, make_ticket_link):
    ticket, token = make_ticket_link()
    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)

    response = client.post(f"/status/t/{token}/reply", {"message": "Hello?"})

    assert response.status_code == 409
    assert "closed" in response.content.decode()


def test_requester_can_unsubscribe_and_resubscribe(client, clock, make_ticket_link):
    ticket, token = make_ticket_link()

    client.post(f"/status/t/{token}/subscription", {"subscribed": "0"})
    ticket.refresh_from_db()
    assert not ticket.requester_subscribed
    client.post(f"/status/t/{token}/subscription", {"subscribed": "1"})
    ticket.refresh_from_db()
    assert ticket.requester_subscribed


def test_progress_json_has_the_public_state(client, clock, make_ticket_link, agent_user):
    ticket, token = make_ticket_link()
    ticket_reply(ticket=ticket, body="Looking.", public=True, author=agent_user)

    body = client.get(f"/status/t/{token}.json").json()

    assert body["reference"] == ticket.reference
    assert body["status"] == "open"
    assert [e["kind"] for e in body["events"]] == ["created", "public_reply"]
    assert [e["seq"] for e in body["events"]] == [1, 2]
    assert body["seq"] == 2


def test_board_lists_public_issues_only(client, clock, agent_user):
    public_issue_create(
        title="Login outage",
        kind="incident",
        status="investigating",
        body="Looking.",
        author=agent_user,
    )
    hidden = public_issue_create(
        title="Secret thing", kind="incident", status="investigating", body="x", author=agent_user
    )
    hidden.is_public = False
    hidden.save()

    html = client.get("/status/").content.decode()

    assert "Login outage" in html
    assert "Secret thing" not in html


def test_issue_update_fans_out_to_linked_tickets(client, clock, make_ticket_link, agent_user):
    issue = public_issue_create(
        title="Login outage",
        kind="incident",
        status="investigating",
        body="Looking.",
        author=agent_user,
    )
    links = [make_ticket_link() for _ in range(3)]
    for ticket, _ in links:
        ticket_link_public_issue(ticket=ticket, issue=issue)

    public_issue_update(issue=issue, status="identified", body="A bad deploy.", author=agent_user)

    for _, token in links:
        body = client.get(f"/status/t/{token}.json").json()
        assert body["events"][-1]["kind"] == "public_issue_update"
        assert body["events"][-1]["message"] == "A bad deploy."


def test_summary_reports_open_incidents(client, clock, agent_user):
    public_issue_create(
        title="Slow search",
        kind="incident",
        status="investigating",
        body="Looking.",
        author=agent_user,
    )

    body = client.get("/status/summary.json").json()

    assert body["status"]["indicator"] == "major"
    assert [i["title"] for i in body["incidents"]] == ["Slow search"]
    assert body["incidents"][0]["updates"][0]["body"] == "Looking."


def test_summary_is_calm_without_incidents(client, db):
    body = client.get("/status/summary.json").json()

    assert body["status"] == {"indicator": "none", "description": "All systems operational"}


def test_atom_feed_lists_issue_updates(client, clock, agent_user):
    issue = public_issue_create(
        title="Slow search",
        kind="incident",
        status="investigating",
        body="Looking.",
        author=agent_user,
    )
    public_issue_update(issue=issue, status="resolved", body="Fixed.", author=agent_user)

    response = client.get("/status/feed.atom")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    xml = response.content.decode()
    assert "Slow search: Resolved" in xml
    assert "Fixed." in xml


def test_issue_status_must_fit_its_kind(clock, agent_user):
    from statusfeed.services import InvalidIssueStatus

    with pytest.raises(InvalidIssueStatus):
        public_issue_create(
            title="x", kind="request", status="investigating", body="", author=agent_user
        )


def test_pages_work_for_users_who_are_not_logged_in(client, clock, make_ticket_link):
    _, token = make_ticket_link()
    User.objects.create_user("someone")

    assert page(client, token).status_code == 200
    assert client.get("/status/").status_code == 200

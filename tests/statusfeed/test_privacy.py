"""Nothing private reaches a public surface: no internal note, no agent's data, no other
requester's data; and user text is inert markup wherever it is shown."""

import json

import pytest

from helpdesk.models import Contact
from helpdesk.services.tickets import ticket_customer_reply, ticket_reply
from statusfeed.models import BOARD_STREAM, PublicEvent, ticket_stream
from statusfeed.selectors import ticket_for_token
from statusfeed.services import public_issue_create, public_issue_update, ticket_link_public_issue

pytestmark = pytest.mark.django_db

SECRETS = [
    "SECRET-NOTE",
    "grace@example.com",
    "Hopper",
    "bob@example.com",
    "BOB-SUBJECT",
    "BOB-BODY",
]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)><a href="javascript:alert(2)">y</a>'


@pytest.fixture
def scene(clock, make_ticket_link, make_agent):
    """Ada's ticket, with a note and a reply by Grace Hopper, and Bob's ticket on the same issue."""
    agent = make_agent("grace")
    agent.user.first_name, agent.user.last_name = "Grace", "Hopper"
    agent.user.save()
    ada_ticket, ada_token = make_ticket_link()
    bob = Contact.objects.create(email="bob@example.com", name="Bob")
    bob_ticket, _ = make_ticket_link(requester=bob, subject="BOB-SUBJECT", description="BOB-BODY")
    ticket_reply(ticket=ada_ticket, body="SECRET-NOTE: refund", public=False, author=agent.user)
    ticket_reply(ticket=ada_ticket, body="We are on it.", public=True, author=agent.user)
    ticket_customer_reply(ticket=bob_ticket, body="BOB-BODY again")
    issue = public_issue_create(
        title="Outage", kind="incident", status="investigating", body="Looking.", author=agent.user
    )
    for ticket in (ada_ticket, bob_ticket):
        ticket_link_public_issue(ticket=ticket, issue=issue)
    public_issue_update(issue=issue, status="identified", body="Found it.", author=agent.user)
    return ada_token


def public_surfaces(client, token) -> dict[str, str]:
    return {
        "page": client.get(f"/status/t/{token}/").content.decode(),
        "json": client.get(f"/status/t/{token}.json").content.decode(),
        "board": client.get("/status/").content.decode(),
        "feed": client.get("/status/feed.atom").content.decode(),
        "summary": client.get("/status/summary.json").content.decode(),
    }


@pytest.mark.parametrize("secret", SECRETS)
def test_no_private_data_on_any_public_page(client, scene, secret):
    for name, body in public_surfaces(client, scene).items():
        assert secret not in body, f"{secret!r} leaked on {name}"


def test_no_private_data_in_ada_s_stream_or_the_board(scene):
    """What the websocket streams of Ada's page and the board would ever send."""
    ada = ticket_for_token(scene)
    events = PublicEvent.objects.filter(stream__in=[ticket_stream(ada.pk), BOARD_STREAM])
    payloads = json.dumps([e.as_message() for e in events])

    assert events.count() >= 6
    for secret in SECRETS:
        assert secret not in payloads


def test_no_event_payload_names_an_agent(scene):
    payloads = json.dumps([e.payload for e in PublicEvent.objects.all()])

    assert "grace" not in payloads.lower()
    assert "Hopper" not in payloads


def test_hostile_text_is_escaped_on_the_page(client, clock, make_ticket_link, make_agent):
    agent = make_agent("grace")
    ticket, token = make_ticket_link(subject=XSS)
    ticket_reply(ticket=ticket, body=XSS, public=True, author=agent.user)
    ticket_customer_reply(ticket=ticket, body=XSS)

    html = client.get(f"/status/t/{token}/").content.decode()

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert" in html


def test_hostile_text_is_escaped_on_the_board_and_feed(client, clock, make_agent):
    agent = make_agent("grace")
    public_issue_create(
        title=XSS, kind="incident", status="investigating", body=XSS, author=agent.user
    )

    board = client.get("/status/").content.decode()
    feed = client.get("/status/feed.atom").content.decode()

    assert "<script>alert" not in board
    assert "<script>alert" not in feed

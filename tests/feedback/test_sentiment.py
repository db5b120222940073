"""A sentiment score on every message a requester writes, from any channel."""

import pytest

from feedback.models import MessageSentiment
from helpdesk.services.tickets import ticket_customer_reply, ticket_reply
from tests.feedback.conftest import feedback, post, ticket_of

pytestmark = pytest.mark.django_db


def test_the_first_message_is_scored_on_the_ticket(api):
    ticket = ticket_of(post(api, feedback(message="I love it, wonderful work!")))

    assert ticket.triage.sentiment > 0.5


def test_a_reply_from_the_progress_page_is_scored(make_ticket):
    message = ticket_customer_reply(ticket=make_ticket(), body="This is awful and I am angry.")

    assert MessageSentiment.objects.get(message=message).compound < -0.5


def test_agents_messages_are_not_feedback(make_ticket, make_agent):
    agent = make_agent("grace").user
    ticket_reply(ticket=make_ticket(), body="Great news!", public=True, author=agent)

    assert not MessageSentiment.objects.exists()

"""Duplicate suggestion: the same requester writing again about the same thing within a day
joins their open ticket instead of opening a silent second one."""

from datetime import timedelta

import pytest

from helpdesk.models import Message, Status, Ticket
from tests.feedback.conftest import feedback, post, ticket_of

pytestmark = pytest.mark.django_db


def test_a_similar_subject_from_the_same_requester_joins_the_open_ticket(api):
    first = ticket_of(post(api, feedback(subject="Cannot export my report")))

    response = post(api, feedback(subject="Re: cannot export my reports", message="Still broken"))

    assert response.status_code == 200
    body = response.json()
    assert (body["reference"], body["linked"], body["status_url"]) == (first.reference, True, None)
    assert first.reference in body["detail"]
    assert Ticket.objects.count() == 1
    assert first.messages.get().body == "Still broken"


def test_another_subject_opens_another_ticket(api):
    post(api, feedback(subject="Cannot export my report"))

    assert post(api, feedback(subject="Invoice is wrong")).status_code == 201
    assert Ticket.objects.count() == 2


def test_another_requester_opens_another_ticket(api):
    post(api, feedback())

    assert post(api, feedback(email="bob@example.com")).status_code == 201


def test_after_the_window_it_is_a_new_ticket(api, clock):
    post(api, feedback())
    clock.set(clock.now() + timedelta(hours=25))

    assert post(api, feedback()).status_code == 201
    assert Ticket.objects.count() == 2


def test_a_resolved_ticket_is_not_reopened_by_a_lookalike(api):
    ticket_of(post(api, feedback()))
    Ticket.objects.update(status=Status.RESOLVED)

    assert post(api, feedback()).status_code == 201


def test_anonymous_feedback_is_never_joined(api):
    anonymous = feedback(audience="employee", anonymous=True)
    post(api, anonymous)

    assert post(api, anonymous).status_code == 201
    assert not Message.objects.exists()

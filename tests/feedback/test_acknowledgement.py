"""The requester's acknowledgement: reference, SLA promise and progress link, emailed by a
django-q2 task queued after commit, never inside the request."""

from datetime import timedelta

import pytest
from django.core import mail

from feedback.models import Acknowledgement, MailMessage
from feedback.services import acknowledgements_relay
from tests.feedback.conftest import feedback, post, ticket_of

pytestmark = pytest.mark.django_db


def test_it_is_queued_for_after_commit_not_sent_in_the_request(
    api, tasks_run_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(api, feedback())
    assert mail.outbox == []
    assert Acknowledgement.objects.get().sent_at is None

    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    assert response.json()["reference"] in mail.outbox[0].subject


def test_it_carries_the_reference_the_promise_and_the_progress_link(
    api, clock, tasks_run_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = post(api, feedback(category="billing", name="Ada")).json()

    email = mail.outbox[0]
    path = body["status_url"].removeprefix("http://testserver")
    assert (
        email.subject == f"[{body['reference']}] We received your request: Cannot export my report"
    )
    assert "Hello Ada," in email.body
    assert "a first reply by Mon 2 Mar, 10:00 UTC" in email.body
    assert "we aim to resolve it by Mon 2 Mar, 11:00 UTC" in email.body
    assert path in email.body
    assert email.extra_headers["Auto-Submitted"] == "auto-replied"


def test_sending_forgets_the_link_and_remembers_the_message_id(
    api, tasks_run_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_of(post(api, feedback()))

    acknowledgement = Acknowledgement.objects.get()
    assert acknowledgement.sent_at is not None
    assert acknowledgement.progress_url == ""
    sent = MailMessage.objects.get(ticket=ticket)
    assert (sent.direction, sent.message_id) == (
        "outbound",
        mail.outbox[0].extra_headers["Message-ID"],
    )


def test_it_is_sent_once(api, tasks_run_inline, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(api, feedback())

    assert acknowledgements_relay(older_than=timedelta(0)) == 0
    assert len(mail.outbox) == 1


def test_the_relay_sends_what_the_queue_missed(api, clock):
    post(api, feedback())  # on-commit callbacks never run here: as if the broker were down
    assert acknowledgements_relay() == 0  # not yet: the task may still be on its way

    clock.set(clock.now() + timedelta(minutes=2))

    assert acknowledgements_relay() == 1
    assert len(mail.outbox) == 1


def test_a_joined_duplicate_sends_no_second_acknowledgement(api):
    post(api, feedback())
    post(api, feedback())

    assert Acknowledgement.objects.count() == 1

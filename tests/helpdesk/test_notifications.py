"""Emails to agents and requesters, sent through a real SMTP server on loopback."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django_q.conf import Conf

from helpdesk.models import DeliveryStatus, Notification, Status
from helpdesk.services.assignment import ticket_assign, ticket_take
from helpdesk.services.notifications import notification_deliver, unsubscribe_url
from helpdesk.services.outbound import LEASE
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import ticket_change_status, ticket_customer_reply, ticket_reply
from helpdesk.tasks import deliver_due
from tests.helpdesk.sla_ops_support import default_escalation_policy
from tests.mailserver import SmtpServer, html_of, links_in, text_of

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def smtp(settings, monkeypatch):
    server = SmtpServer()
    server.start()
    server.configure(settings)
    settings.SITE_URL = "http://testserver"
    # django-q2 runs each task in this process, as the cluster would, when it is queued.
    monkeypatch.setattr(Conf, "SYNC", True)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _default_policy(db):
    default_escalation_policy()


@pytest.fixture
def grace(make_agent):
    return make_agent("grace")


@pytest.fixture
def lead(team, make_agent):
    agent = make_agent("lena")
    team.lead = agent.user
    team.save()
    return agent.user


def test_assignment_emails_the_agent_a_working_link(
    smtp, clock, make_ticket, grace, admin_client, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, agent=grace, actor=None)

    [email] = smtp.to("grace@example.com")
    assert email["Subject"] == f"[{ticket.reference}] Assigned to you: Printer on fire"
    [link] = links_in(text_of(email))
    assert link in html_of(email)
    assert admin_client.get(urlsplit(link).path).status_code == 200
    assert Notification.objects.get(kind="assigned").status == DeliveryStatus.SENT


def test_taking_a_ticket_yourself_sends_no_email(
    smtp, clock, make_ticket, grace, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_take(ticket=ticket, agent=grace)

    assert smtp.messages == []
    assert not Notification.objects.filter(kind="assigned").exists()


def test_warnings_go_to_the_assignee_and_the_breach_to_the_lead_too(
    smtp, clock, make_ticket, grace, lead, django_capture_on_commit_callbacks
):
    ticket = make_ticket(priority="high")  # first response within 1 business hour
    ticket_assign(ticket=ticket, agent=grace, actor=None)
    smtp.messages.clear()
    clock.set(at(2, 10, 30))

    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()

    subjects = [m["Subject"] for m in smtp.to("grace@example.com")]
    assert subjects == [
        f"[{ticket.reference}] First response at 75% of its target",
        f"[{ticket.reference}] First response at 90% of its target",
        f"[{ticket.reference}] First response target missed",
    ]
    [to_lead] = smtp.to("lena@example.com")
    assert to_lead["Subject"] == f"[{ticket.reference}] First response target missed"
    assert "missed its first response target at Mon 2 Mar, 10:00 UTC" in text_of(to_lead)


def test_the_requester_gets_one_email_for_events_within_a_minute(smtp, clock, make_ticket, grace):
    ticket = make_ticket()
    clock.set(at(2, 9, 0, 20))
    ticket_reply(ticket=ticket, body="We are on it.", public=True, author=grace.user)
    clock.set(at(2, 9, 0, 50))
    ticket_change_status(ticket=ticket, status=Status.ON_HOLD, actor=grace.user)

    deliver_due()
    assert smtp.messages == []  # the batch stays open for a minute
    clock.set(at(2, 9, 1, 21))
    deliver_due()

    [email] = smtp.to("ada@example.com")
    assert email["Subject"] == f"[{ticket.reference}] 2 updates on your request"
    text = text_of(email)
    assert text.index("We are on it.") < text.index("Status: On hold: waiting on a third party")


def test_events_more_than_a_minute_apart_go_in_separate_emails(smtp, clock, make_ticket, grace):
    ticket = make_ticket()
    ticket_reply(ticket=ticket, body="We are on it.", public=True, author=grace.user)
    clock.set(at(2, 9, 1, 1))
    deliver_due()
    ticket_change_status(ticket=ticket, status=Status.ON_HOLD, actor=grace.user)
    clock.set(at(2, 9, 2, 2))
    deliver_due()

    subjects = [m["Subject"] for m in smtp.to("ada@example.com")]
    assert subjects == [
        f"[{ticket.reference}] Reply from our team",
        f"[{ticket.reference}] Status changed",
    ]


def test_a_new_ticket_is_not_emailed_as_an_update(smtp, clock, make_ticket):
    # Its acknowledgement (feedback intake) is the one email about it.
    make_ticket()
    clock.set(at(2, 9, 5))
    deliver_due()

    assert smtp.to("ada@example.com") == []


def test_the_requester_is_not_emailed_their_own_reply(smtp, clock, make_ticket, grace):
    ticket = make_ticket()
    ticket_reply(ticket=ticket, body="We are on it.", public=True, author=grace.user)
    clock.set(at(2, 9, 1, 1))
    deliver_due()
    ticket_customer_reply(ticket=ticket, body="Any news?")
    clock.set(at(2, 9, 5))
    deliver_due()

    assert len(smtp.to("ada@example.com")) == 1


def test_the_unsubscribe_link_stops_the_emails(smtp, clock, make_ticket, grace, client):
    ticket = make_ticket()
    ticket_reply(ticket=ticket, body="We are on it.", public=True, author=grace.user)
    clock.set(at(2, 9, 1, 1))
    deliver_due()
    [email] = smtp.messages
    link = unsubscribe_url(ticket)
    assert link in links_in(text_of(email))
    assert link in html_of(email)
    assert email["List-Unsubscribe"].strip() == f"<{link}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    asked = client.get(urlsplit(link).path)
    ticket.refresh_from_db()
    assert asked.status_code == 200 and ticket.requester_subscribed  # a GET only asks
    done = client.post(urlsplit(link).path)
    ticket.refresh_from_db()
    assert done.status_code == 200 and not ticket.requester_subscribed

    ticket_reply(ticket=ticket, body="Still on it.", public=True, author=grace.user)
    clock.set(at(2, 9, 5))
    deliver_due()
    assert len(smtp.messages) == 1


def test_a_batch_queued_before_unsubscribing_is_skipped(smtp, clock, make_ticket, grace, client):
    ticket = make_ticket()
    ticket_reply(ticket=ticket, body="We are on it.", public=True, author=grace.user)
    client.post(urlsplit(unsubscribe_url(ticket)).path)
    clock.set(at(2, 9, 1, 1))

    deliver_due()

    assert smtp.messages == []
    assert Notification.objects.get().status == DeliveryStatus.SKIPPED


def test_a_forged_unsubscribe_link_is_not_found(smtp, clock, make_ticket, client):
    ticket = make_ticket()
    link = urlsplit(unsubscribe_url(ticket)).path

    response = client.post(link.replace(link[-6:-1], "AAAAA"))

    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.requester_subscribed


def test_a_451_is_retried_with_backoff_until_the_email_is_sent(
    smtp, clock, make_ticket, grace, django_capture_on_commit_callbacks
):
    smtp.refuse_with = "451 4.3.0 Try again later"
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, agent=grace, actor=None)
    notification = Notification.objects.get(kind="assigned")
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (DeliveryStatus.RETRYING, 1)
    assert "451" in notification.last_error
    assert notification.send_after == at(2, 9, 1)

    clock.set(at(2, 9, 1))
    deliver_due()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (DeliveryStatus.RETRYING, 2)
    assert notification.send_after == at(2, 9, 3)  # the wait doubles

    smtp.refuse_with = None
    clock.set(at(2, 9, 2))
    deliver_due()
    assert smtp.to("grace@example.com") == []  # not due yet
    clock.set(at(2, 9, 3))
    deliver_due()

    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SENT
    assert notification.last_error == ""
    assert [m["Subject"] for m in smtp.to("grace@example.com")] == [
        f"[{ticket.reference}] Assigned to you: Printer on fire"
    ]


def test_a_stopped_server_loses_nothing(
    smtp, clock, make_ticket, grace, django_capture_on_commit_callbacks
):
    smtp.stop()
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, agent=grace, actor=None)
    notification = Notification.objects.get(kind="assigned")
    assert notification.status == DeliveryStatus.RETRYING
    assert "Connection refused" in notification.last_error

    smtp.start()
    clock.set(at(2, 9, 1))
    deliver_due()

    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SENT
    assert len(smtp.to("grace@example.com")) == 1


def test_a_permanent_refusal_is_not_retried(
    smtp, clock, make_ticket, grace, django_capture_on_commit_callbacks
):
    smtp.refuse_with = "554 5.7.1 Rejected"
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=make_ticket(), agent=grace, actor=None)

    notification = Notification.objects.get(kind="assigned")
    assert notification.status == DeliveryStatus.FAILED
    assert "554" in notification.last_error


def test_an_email_whose_sender_died_is_sent_after_the_lease(smtp, clock, make_ticket, grace):
    ticket = make_ticket()
    ticket_assign(ticket=ticket, agent=grace, actor=None)  # its task never ran
    Notification.objects.update(status=DeliveryStatus.SENDING, claimed_at=clock.now())

    clock.set(clock.now() + LEASE / 2)
    deliver_due()
    assert smtp.to("grace@example.com") == []
    clock.set(clock.now() + LEASE)
    deliver_due()

    assert len(smtp.to("grace@example.com")) == 1


def test_an_email_is_sent_once_however_often_it_is_handed_out(smtp, clock, make_ticket, grace):
    ticket_assign(ticket=make_ticket(), agent=grace, actor=None)
    pk = Notification.objects.get(kind="assigned").pk

    outcomes = [notification_deliver(notification_id=pk), notification_deliver(notification_id=pk)]
    deliver_due()

    assert outcomes == [DeliveryStatus.SENT, "not due"]
    assert len(smtp.messages) == 1


def test_agents_without_an_email_address_get_no_notification(clock, make_ticket, grace):
    User.objects.filter(pk=grace.user_id).update(email="")
    grace.user.refresh_from_db()

    ticket_assign(ticket=make_ticket(), agent=grace, actor=None)

    assert not Notification.objects.filter(kind="assigned").exists()


def test_an_agent_email_is_handed_to_the_cluster_only_after_commit(
    clock, make_ticket, grace, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    with django_capture_on_commit_callbacks() as callbacks:
        ticket_assign(ticket=ticket, agent=grace, actor=None)

    assert len(callbacks) == 1
    assert Notification.objects.get(kind="assigned").status == DeliveryStatus.QUEUED


def test_a_public_event_opens_the_batch_a_minute_long(clock, make_ticket, grace):
    ticket = make_ticket()
    ticket_reply(ticket=ticket, body="We are on it.", public=True, author=grace.user)

    batch = Notification.objects.get(kind="public_update")

    assert batch.email == "ada@example.com"
    assert batch.send_after == clock.now() + timedelta(minutes=1)


def test_retry_now_in_the_admin_sends_a_failed_email(smtp, clock, make_ticket, grace, admin_client):
    ticket_assign(ticket=make_ticket(), agent=grace, actor=None)
    notification = Notification.objects.get(kind="assigned")
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.FAILED, attempts=10, last_error="SMTPDataError: 451"
    )

    page = admin_client.get("/admin/helpdesk/notification/")
    admin_client.post(
        "/admin/helpdesk/notification/",
        {"action": "retry_now", "_selected_action": [notification.pk]},
    )
    deliver_due()

    assert page.status_code == 200 and "SMTPDataError: 451" in page.content.decode()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (DeliveryStatus.SENT, 1)
    assert len(smtp.to("grace@example.com")) == 1

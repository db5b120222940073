"""Survey emails: the invitation when a survey opens, relationship NPS on its interval, nobody
over-surveyed, a detractor's follow-up and a promoter's thank-you."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from feedback.surveys.invitations import contacts_due_nps, nps_invite, nps_invite_due
from feedback.surveys.links import nps_token
from feedback.surveys.models import RelationshipSurvey, SurveyEmail, SurveyFollowUp, TicketSurvey
from feedback.surveys.services import nps_answer
from feedback.surveys.tasks import deliver_due
from helpdesk.models import Contact
from helpdesk.services.tickets import ticket_customer_reply
from tests.feedback.surveys_support import (  # noqa: F401  (fixtures)
    DELAY,
    answer,
    offered_fixture,
    resolve,
    survey_fixture,
    survey_settings_fixture,
)

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"http://[^/\s]+(/feedback/(?:survey|nps)/[^/\s]+/)\n", message.body).group(1)


# The ticket survey's invitation.


def test_the_invitation_leaves_when_the_survey_opens_and_its_link_works(client, clock, make_ticket):
    ticket = make_ticket()
    resolve(ticket)
    assert deliver_due() == "0 survey email(s) sent"

    clock.set(clock.now() + DELAY)
    assert deliver_due() == "1 survey email(s) sent"

    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == f"[{ticket.reference}] How did we do?"
    assert "?csat=5" in message.body
    assert client.post(link_in(message), {"csat": 5}).status_code == 302
    assert TicketSurvey.objects.get().csat == 5
    assert deliver_due() == "0 survey email(s) sent"


def test_no_invitation_once_answered_on_the_page(offered, survey):
    answer(survey, csat=4)

    deliver_due()

    assert mail.outbox == []
    assert SurveyEmail.objects.get().status == "skipped"


def test_a_reopened_ticket_is_invited_again_only_once_resolved_again(clock, make_ticket):
    ticket = make_ticket()
    resolve(ticket)
    ticket_customer_reply(ticket=ticket, body="Still broken.")
    clock.set(clock.now() + DELAY)
    deliver_due()
    assert mail.outbox == []

    resolve(ticket)
    clock.set(clock.now() + DELAY)
    deliver_due()

    assert len(mail.outbox) == 1
    assert SurveyEmail.objects.get().status == "sent"


def test_nobody_gets_two_invitations_within_the_quiet_period(clock, make_ticket):
    first, second = make_ticket(), make_ticket(subject="Scanner jams")
    resolve(first)
    clock.set(clock.now() + DELAY)
    deliver_due()
    resolve(second)
    clock.set(clock.now() + DELAY)
    deliver_due()

    assert len(mail.outbox) == 1
    skipped = SurveyEmail.objects.get(ticket_survey__ticket=second)
    assert skipped.status == "skipped"
    assert "quiet period" in skipped.last_error
    # The second survey is still offered on its progress page.
    assert TicketSurvey.objects.get(ticket=second).offer_at <= clock.now()


def test_anonymous_requests_get_no_email(make_ticket):
    ticket = make_ticket(requester=None)

    resolve(ticket)

    assert TicketSurvey.objects.filter(ticket=ticket).exists()
    assert not SurveyEmail.objects.exists()


# Relationship NPS.


def test_nps_asks_a_contact_after_the_quiet_period_once_per_interval(clock, offered, requester):
    assert contacts_due_nps(now=clock.now(), limit=10) == []  # just invited to the ticket survey

    clock.set(clock.now() + timedelta(days=14))
    assert nps_invite_due() == 1
    assert nps_invite_due() == 0

    survey = RelationshipSurvey.objects.get()
    assert survey.contact == requester and survey.ticket == offered[0]
    clock.set(clock.now() + timedelta(days=89))
    assert contacts_due_nps(now=clock.now(), limit=10) == []


def test_nps_skips_contacts_who_answered_a_survey_lately(clock, offered, survey):
    clock.set(clock.now() + timedelta(days=10))
    answer(survey, csat=5)
    clock.set(clock.now() + timedelta(days=5))

    assert nps_invite_due() == 0
    clock.set(clock.now() + timedelta(days=10))
    assert nps_invite_due() == 1


def test_contacts_without_a_recent_ticket_are_not_asked(clock, offered):
    Contact.objects.create(email="quiet@example.com")
    clock.set(clock.now() + timedelta(days=91))

    assert nps_invite_due() == 0


def test_the_nps_invitation_is_emailed_after_commit_with_a_working_link(
    client, offered, requester, tasks_run_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        nps_invite(contact=requester, ticket=offered[0])

    (message,) = mail.outbox
    assert "recommend us" in message.body
    assert client.post(link_in(message), {"score": 8}).status_code == 302
    assert RelationshipSurvey.objects.get().score == 8


@pytest.fixture
def nps_survey(offered, requester) -> RelationshipSurvey:
    return nps_invite(contact=requester, ticket=offered[0])


def test_a_detractor_opens_exactly_one_follow_up_with_a_48_hour_sla(clock, nps_survey):
    for score in (3, 6, 0):
        nps_answer(survey=nps_survey, score=score, comment="Too many handovers.")

    follow_up = SurveyFollowUp.objects.get()
    assert follow_up.relationship_survey == nps_survey
    assert follow_up.original == nps_survey.ticket
    assert follow_up.ticket.team == nps_survey.ticket.team
    assert follow_up.ticket.resolution_due == clock.now() + timedelta(hours=48)
    assert "Too many handovers." in follow_up.you_told_us


def test_a_promoter_is_thanked_once(
    nps_survey, tasks_run_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        nps_answer(survey=nps_survey, score=9)
    with django_capture_on_commit_callbacks(execute=True):
        nps_answer(survey=nps_survey, score=10)

    thanks = [m for m in mail.outbox if m.subject == "Thank you for recommending us"]
    assert len(thanks) == 1
    assert thanks[0].to == ["ada@example.com"]
    assert not SurveyFollowUp.objects.exists()


def test_passives_get_neither(nps_survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        nps_answer(survey=nps_survey, score=7)

    assert not SurveyEmail.objects.filter(kind="thank_you").exists()
    assert not SurveyFollowUp.objects.exists()


def test_the_nps_link_refuses_tampering_and_expiry(client, clock, nps_survey):
    token = nps_token(nps_survey)

    assert client.get(f"/feedback/nps/{token}x/").status_code == 400
    assert client.post(f"/feedback/nps/{token}/", {"score": 11}).status_code == 400
    clock.set(clock.now() + timedelta(days=31))
    assert client.post(f"/feedback/nps/{token}/", {"score": 10}).status_code == 410
    nps_survey.refresh_from_db()
    assert nps_survey.answered_at is None

"""Ticket surveys: offered after resolution on the progress page and by a signed link, one
answer per ticket (editable for a while), and the follow-up a low CSAT opens."""

from datetime import timedelta

import pytest
from django.core import signing

from feedback.surveys.follow_ups import follow_up_category, follow_up_outcome_publish
from feedback.surveys.links import TICKET_SURVEY_SALT, ticket_survey_token
from feedback.surveys.models import SurveyFollowUp, TicketSurvey
from feedback.surveys.windows import SurveyClosed
from helpdesk.models import Status, Ticket
from helpdesk.services.tickets import ticket_change_status, ticket_customer_reply
from tests.feedback.surveys_support import (  # noqa: F401  (fixtures)
    DELAY,
    answer,
    offered_fixture,
    resolve,
    survey_fixture,
    survey_link_fixture,
    survey_settings_fixture,
)
from tests.helpdesk.api_support import fast_passwords  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def page(client, token: str) -> str:
    return client.get(f"/status/t/{token}/").content.decode()


def post_on_page(client, token: str, **fields):
    data = {f"survey-{name}": value for name, value in fields.items()}
    return client.post(f"/status/t/{token}/survey", data)


# Scheduling and offering.


def test_resolving_a_ticket_schedules_its_survey_after_the_delay(clock, make_ticket):
    ticket = make_ticket()

    resolve(ticket)

    survey = TicketSurvey.objects.get(ticket=ticket)
    assert survey.offer_at == clock.now() + DELAY
    assert survey.answered_at is None
    assert (survey.team_id, survey.category_id, survey.audience) == (
        ticket.team_id,
        ticket.category_id,
        "customer",
    )


def test_the_page_offers_the_survey_only_once_the_delay_has_passed(client, clock, make_ticket_link):
    ticket, token = make_ticket_link()
    resolve(ticket)

    assert 'id="survey"' not in page(client, token)
    clock.set(clock.now() + DELAY)
    html = page(client, token)

    assert 'id="survey"' in html
    assert "How satisfied are you with how we handled your request?" in html


def test_an_open_ticket_offers_no_survey(client, clock, make_ticket_link):
    _ticket, token = make_ticket_link()
    clock.set(clock.now() + timedelta(days=3))

    assert 'id="survey"' not in page(client, token)
    assert post_on_page(client, token, csat=5).status_code == 409


def test_a_reopened_ticket_withdraws_its_survey(client, offered):
    ticket, token = offered
    ticket_customer_reply(ticket=ticket, body="It is on fire again.")

    assert TicketSurvey.objects.get(ticket=ticket).offer_at is None
    assert 'id="survey"' not in page(client, token)
    response = post_on_page(client, token, csat=4)
    assert response.status_code == 409
    assert "opens once your request is resolved" in response.content.decode()


def test_a_follow_up_ticket_is_not_surveyed_in_turn(offered, survey):
    answer(survey, csat=1)
    follow_up = SurveyFollowUp.objects.get().ticket

    resolve(follow_up)

    assert not TicketSurvey.objects.filter(ticket=follow_up).exists()


# Answering on the progress page.


def test_answering_on_the_page_records_the_answer(client, offered):
    ticket, token = offered

    response = post_on_page(client, token, csat=4, ces=6, comment="Quick and friendly.")

    assert response.status_code == 302
    assert response["Location"].endswith(f"/status/t/{token}/#survey")
    survey = TicketSurvey.objects.get(ticket=ticket)
    assert (survey.csat, survey.ces, survey.comment) == (4, 6, "Quick and friendly.")
    assert survey.answered_via == "page"
    assert survey.comment_sentiment > 0
    assert "Thank you for your answer" in page(client, token)


@pytest.mark.parametrize(
    "fields",
    [{}, {"csat": 9}, {"csat": "five"}, {"csat": 3, "ces": 8}, {"csat": 3, "comment": "x" * 2001}],
)
def test_bad_answers_on_the_page_are_refused_with_a_message(client, offered, fields):
    ticket, token = offered

    response = post_on_page(client, token, **fields)

    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert TicketSurvey.objects.get(ticket=ticket).answered_at is None


def test_the_page_shows_no_survey_form_once_the_answer_is_final(client, clock, offered):
    ticket, token = offered
    post_on_page(client, token, csat=5)
    clock.set(clock.now() + timedelta(hours=49))

    html = page(client, token)

    assert "Thank you for your feedback." in html
    assert 'name="survey-csat"' not in html
    assert post_on_page(client, token, csat=1).status_code == 409


def test_the_page_keeps_rendering_in_few_queries_with_a_survey(
    client, offered, django_assert_max_num_queries
):
    ticket, token = offered
    post_on_page(client, token, csat=1, comment="Too slow.")
    follow_up = SurveyFollowUp.objects.get()
    resolve(follow_up.ticket)
    follow_up_outcome_publish(follow_up=follow_up, outcome="We called you.", actor=None)

    with django_assert_max_num_queries(5):
        html = page(client, token)
    assert "We called you." in html


# The emailed signed link.


def test_the_signed_link_shows_the_survey_and_records_the_answer(client, survey, survey_link):
    assert "How did we do with" in client.get(survey_link).content.decode()

    response = client.post(survey_link, {"csat": 5, "ces": 7, "comment": "Great"})

    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.csat, survey.ces, survey.comment, survey.answered_via) == (
        5,
        7,
        "Great",
        "email",
    )


def test_a_rating_clicked_in_the_email_only_preselects_it(client, survey, survey_link):
    html = client.get(survey_link + "?csat=4").content.decode()

    assert 'value="4" required id="id_csat_3" checked' in html
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_link_takes_one_answer_per_ticket_editable_for_a_while(
    client, clock, survey, survey_link
):
    client.post(survey_link, {"csat": 3})
    first_answer = TicketSurvey.objects.get().answered_at
    clock.set(clock.now() + timedelta(hours=47))

    assert client.post(survey_link, {"csat": 4, "comment": "Better now"}).status_code == 302
    clock.set(clock.now() + timedelta(hours=2))
    late = client.post(survey_link, {"csat": 1})

    assert late.status_code == 409
    assert "It could be changed until" in late.content.decode()
    assert TicketSurvey.objects.count() == 1
    survey.refresh_from_db()
    assert (survey.csat, survey.comment, survey.answered_at) == (4, "Better now", first_answer)


def test_a_tampered_link_is_refused_with_a_clear_page(client, survey):
    token = ticket_survey_token(survey)
    forged = signing.dumps([survey.pk + 1, survey.ticket_id], salt="somebody else's salt")

    for bad in (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], forged, "nonsense"):
        response = client.get(f"/feedback/survey/{bad}/")
        assert response.status_code == 400
        assert "This survey link does not work" in response.content.decode()
        assert client.post(f"/feedback/survey/{bad}/", {"csat": 1}).status_code == 400
    assert TicketSurvey.objects.get().answered_at is None


def test_a_link_to_another_ticket_survey_is_refused(client, survey, make_ticket):
    other = make_ticket(subject="Another")
    forged = signing.dumps([survey.pk, other.pk], salt=TICKET_SURVEY_SALT)  # needs our key

    assert client.get(f"/feedback/survey/{forged}/").status_code == 404


def test_an_expired_link_is_refused_with_a_clear_page(client, clock, survey, survey_link):
    clock.set(clock.now() + timedelta(days=30, minutes=1))

    response = client.post(survey_link, {"csat": 5})

    assert response.status_code == 410
    assert "This survey link has expired" in response.content.decode()
    assert TicketSurvey.objects.get().answered_at is None


def test_survey_pages_send_the_public_headers(client, survey_link):
    response = client.get(survey_link)

    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_hostile_comments_stay_inert(client, survey, survey_link):
    client.post(survey_link, {"csat": 3, "comment": '<script>alert("x")</script>'})

    html = client.get(survey_link).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


# The closed loop.


def test_a_low_csat_opens_one_follow_up_with_a_48_hour_sla(clock, survey):
    original = survey.ticket

    answer(survey, csat=2, ces=2, comment="Nobody called me back.")

    follow_up = SurveyFollowUp.objects.get()
    ticket = follow_up.ticket
    assert follow_up.original == original
    assert ticket.team == original.team
    assert ticket.requester == original.requester
    assert ticket.category == follow_up_category()
    assert ticket.resolution_due == clock.now() + timedelta(hours=48)
    assert "Nobody called me back." in ticket.description
    assert original.reference in ticket.description


def test_a_repeated_or_changed_low_answer_keeps_one_follow_up(client, offered):
    _ticket, token = offered
    for csat in (1, 1, 2, 5, 1):
        post_on_page(client, token, csat=csat)

    assert SurveyFollowUp.objects.count() == 1
    assert Ticket.objects.filter(category=follow_up_category()).count() == 1


def test_satisfied_answers_open_no_follow_up(survey):
    answer(survey, csat=3)

    assert not SurveyFollowUp.objects.exists()


def test_an_answer_the_service_refuses_changes_nothing(survey, clock):
    clock.set(clock.now() + timedelta(days=31))

    with pytest.raises(SurveyClosed):
        answer(survey, csat=1)
    assert not SurveyFollowUp.objects.exists()


def test_the_published_outcome_shows_you_told_us_we_did_on_the_original_page(
    client, offered, make_agent
):
    ticket, token = offered
    post_on_page(client, token, csat=1, comment="The printer still smokes.")
    follow_up = SurveyFollowUp.objects.get()
    agent = make_agent("grace")

    with pytest.raises(ValueError, match="Resolve"):
        follow_up_outcome_publish(follow_up=follow_up, outcome="Replaced it.", actor=agent.user)
    assert "You told us" not in page(client, token)

    ticket_change_status(ticket=follow_up.ticket, status=Status.RESOLVED, actor=agent.user)
    follow_up_outcome_publish(
        follow_up=follow_up, outcome="We replaced your printer.", actor=agent.user
    )

    html = page(client, token)
    assert "You told us…, we did…" in html
    assert "The printer still smokes." in html
    assert "We replaced your printer." in html
    assert "We followed up on your feedback" in html  # in the history too
    assert follow_up.ticket.reference not in html  # the internal ticket stays internal
    with pytest.raises(ValueError, match="already"):
        follow_up_outcome_publish(follow_up=follow_up, outcome="Again.", actor=agent.user)


def test_the_page_and_the_link_share_the_one_answer(client, offered, survey_link):
    ticket, token = offered
    post_on_page(client, token, csat=2)

    client.post(survey_link, {"csat": 3, "comment": "Changed my mind."})

    survey = TicketSurvey.objects.get(ticket=ticket)
    assert (survey.csat, survey.comment, survey.answered_via) == (3, "Changed my mind.", "page")
    assert 'value="3" required id="id_survey-csat_2" checked' in page(client, token)

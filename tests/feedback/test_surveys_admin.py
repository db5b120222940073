"""The surveys in the admin: agents see their teams' answers and follow-ups and publish what we
did; the email log is for managers."""

import pytest
from django.urls import reverse

from feedback.surveys.models import SurveyFollowUp
from helpdesk.models import Status, Team
from helpdesk.services.tickets import ticket_change_status, ticket_reply
from tests.feedback.surveys_support import (  # noqa: F401  (fixtures)
    answer,
    offered_fixture,
    survey_fixture,
    survey_settings_fixture,
)
from tests.helpdesk.api_support import fast_passwords  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(survey) -> SurveyFollowUp:
    answer(survey, csat=1, comment="Nobody answered.")
    return SurveyFollowUp.objects.get()


@pytest.fixture
def agent_client(client, make_agent):
    agent = make_agent("grace")
    client.force_login(agent.user)
    client.agent = agent
    return client


def publish_url(follow_up: SurveyFollowUp) -> str:
    return reverse("admin:feedback_surveyfollowup_publish", args=[follow_up.pk])


def test_an_agent_publishes_what_we_did_once_the_follow_up_is_resolved(
    agent_client, follow_up, offered
):
    user = agent_client.agent.user
    ticket_reply(ticket=follow_up.ticket, body="We called you back.", public=True, author=user)
    assert "We called you back." in agent_client.get(publish_url(follow_up)).content.decode()

    refused = agent_client.post(publish_url(follow_up), {"outcome": "Too early."})
    assert "Resolve" in refused.content.decode()
    ticket_change_status(ticket=follow_up.ticket, status=Status.RESOLVED, actor=user)
    response = agent_client.post(publish_url(follow_up), {"outcome": "We called you back."})

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.outcome, follow_up.published_by) == ("We called you back.", user)
    page = agent_client.get(f"/status/t/{offered[1]}/").content.decode()
    assert "We called you back." in page and "Nobody answered." in page


def test_agents_of_other_teams_see_no_survey_records(client, make_agent, follow_up, office):
    elsewhere = Team.objects.create(name="Elsewhere", slug="elsewhere", calendar=office)
    client.force_login(make_agent("bob", teams=[elsewhere]).user)

    assert client.get(publish_url(follow_up)).status_code == 404
    listing = client.get(reverse("admin:feedback_surveyfollowup_changelist")).content.decode()
    assert follow_up.ticket.reference not in listing
    answers = client.get(reverse("admin:feedback_ticketsurvey_changelist")).content.decode()
    assert "Nobody answered." not in answers


def test_the_team_sees_its_answers(agent_client, follow_up):
    answers = agent_client.get(reverse("admin:feedback_ticketsurvey_changelist"))

    assert "Nobody answered." in answers.content.decode()


def test_the_email_log_is_for_managers(agent_client, admin_client, follow_up):
    url = reverse("admin:feedback_surveyemail_changelist")

    assert agent_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200

"""Fixtures of the survey tests: a resolved ticket whose survey is offered, its links, answers.

Test modules import the fixtures by their function names (`offered_fixture`, …); pytest
knows them by their `name`s."""

from datetime import timedelta

import pytest

from feedback.surveys.links import ticket_survey_token
from feedback.surveys.models import TicketSurvey
from feedback.surveys.services import TicketSurveyAnswer, ticket_survey_answer
from helpdesk.models import Status, Ticket
from helpdesk.services.tickets import ticket_change_status

DELAY = timedelta(hours=1)


@pytest.fixture(name="survey_settings", autouse=True)
def survey_settings_fixture(settings):
    settings.SURVEY_DELAY = DELAY
    settings.SURVEY_OPEN_FOR = timedelta(days=30)
    settings.SURVEY_EDIT_WINDOW = timedelta(hours=48)
    settings.SURVEY_NPS_INTERVAL = timedelta(days=90)
    settings.SURVEY_QUIET_PERIOD = timedelta(days=14)
    settings.SATISFACTION_INDEX_WEIGHTS = {"csat": 0.4, "nps": 0.4, "ces": 0.2}


def resolve(ticket: Ticket) -> Ticket:
    return ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=None)


@pytest.fixture(name="offered")
def offered_fixture(clock, make_ticket_link):
    """A ticket resolved at 09:00 and its progress token; the clock at 10:01, survey offered."""
    ticket, token = make_ticket_link()
    resolve(ticket)
    clock.set(clock.now() + DELAY + timedelta(minutes=1))
    return ticket, token


@pytest.fixture(name="survey")
def survey_fixture(offered) -> TicketSurvey:
    return TicketSurvey.objects.get(ticket=offered[0])


@pytest.fixture(name="survey_link")
def survey_link_fixture(survey) -> str:
    return f"/feedback/survey/{ticket_survey_token(survey)}/"


def answer(survey: TicketSurvey, csat: int, ces: int | None = None, comment: str = ""):
    return ticket_survey_answer(
        survey=survey, answer=TicketSurveyAnswer(csat=csat, ces=ces, comment=comment), via="email"
    )

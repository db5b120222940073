"""Concurrent submits of one unhappy answer (a double click, two tabs, a retried request) open
exactly one follow-up: on PostgreSQL, with real concurrent transactions."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from feedback.surveys.follow_ups import follow_up_category
from feedback.surveys.invitations import nps_invite
from feedback.surveys.models import SurveyFollowUp
from feedback.surveys.services import nps_answer
from feedback.surveys.windows import SurveyClosed
from helpdesk.models import Ticket
from tests.feedback.surveys_support import (  # noqa: F401  (fixtures)
    answer,
    offered_fixture,
    survey_fixture,
    survey_settings_fixture,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SUBMITS = 4


def at_once(submit) -> list:
    """Run `submit` in several threads, each on its own connection, released together."""
    barrier = Barrier(SUBMITS)

    def run():
        try:
            barrier.wait()
            return submit()
        except SurveyClosed as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(SUBMITS) as pool:
        return [f.result() for f in [pool.submit(run) for _ in range(SUBMITS)]]


def test_concurrent_low_csat_submits_open_one_follow_up(survey):
    results = at_once(lambda: answer(survey, csat=1, comment="Still broken."))

    assert not [r for r in results if isinstance(r, Exception)]
    assert SurveyFollowUp.objects.count() == 1
    assert Ticket.objects.filter(category=follow_up_category()).count() == 1


def test_concurrent_detractor_submits_open_one_follow_up(offered, requester):
    nps_survey = nps_invite(contact=requester, ticket=offered[0])

    at_once(lambda: nps_answer(survey=nps_survey, score=2))

    assert SurveyFollowUp.objects.filter(relationship_survey=nps_survey).count() == 1
    assert Ticket.objects.filter(category=follow_up_category()).count() == 1

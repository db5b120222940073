"""Answering the survey on the progress page in a real browser (Playwright driving Debian's
Chromium) against a real ASGI server sharing PostgreSQL and Redis with the test, which acts
as the agent: the answer is recorded, a low rating opens its follow-up, and what we did then
reaches the open page live."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from playwright.sync_api import expect

from feedback.surveys.follow_ups import follow_up_outcome_publish
from feedback.surveys.models import SurveyFollowUp, TicketSurvey
from helpdesk.models import Status
from helpdesk.services.tickets import ticket_change_status

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def no_survey_delay(settings):
    settings.SURVEY_DELAY = timedelta(0)


def as_agent(service, **fields):
    """Run a service the way a request would: outside Playwright's event-loop thread."""

    def call():
        try:
            return service(**fields)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def test_a_customer_answers_the_survey_on_the_progress_page(
    browser_page, server, make_ticket_link, make_agent
):
    agent = as_agent(make_agent, username="grace").user
    ticket, token = as_agent(make_ticket_link)
    as_agent(ticket_change_status, ticket=ticket, status=Status.RESOLVED, actor=agent)
    requests: list[str] = []
    browser_page.on("request", lambda request: requests.append(request.url))
    browser_page.goto(f"{server.url}/status/t/{token}/")

    survey = browser_page.locator("#survey")
    expect(survey).to_contain_text("How satisfied are you with how we handled your request?")
    browser_page.check("#id_survey-csat_1")  # 2 of 5
    browser_page.check("#id_survey-ces_2")  # 3 of 7
    browser_page.fill("#id_survey-comment", "It took three emails to get an answer.")
    browser_page.click("text=Send my answer")

    expect(browser_page).to_have_url(re.compile(rf"/status/t/{token}/#survey$"))
    expect(browser_page.locator("#survey-thanks")).to_contain_text("Thank you for your answer")
    expect(browser_page.locator("#id_survey-csat_1")).to_be_checked()
    answer = TicketSurvey.objects.get(ticket=ticket)
    assert (answer.csat, answer.ces, answer.answered_via) == (2, 3, "page")
    follow_up = SurveyFollowUp.objects.get(ticket_survey=answer)

    expect(browser_page.locator("#live")).to_have_text("Live")
    as_agent(ticket_change_status, ticket=follow_up.ticket, status=Status.RESOLVED, actor=agent)
    as_agent(
        follow_up_outcome_publish,
        follow_up=follow_up,
        outcome="We called you and fixed the mail filter.",
        actor=agent,
    )
    latest = browser_page.locator("#timeline li").first
    expect(latest).to_contain_text("We followed up on your feedback")
    expect(latest).to_contain_text("We did: We called you and fixed the mail filter.")
    assert all(url.startswith(server.url) or url.startswith("ws://127.0.0.1") for url in requests)

"""The agents' workspace in a real browser (Playwright driving Debian's Chromium) against a real
ASGI server on the test's PostgreSQL database: an agent logs in through the admin's form, works
from a queue and opens a ticket. Screenshots go to $SCREENSHOTS_DIR when it is set."""

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Page, expect

from helpdesk.models import Calendar, Macro, Team
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.tickets import ticket_customer_reply, ticket_reply

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
QUEUE = "/admin/helpdesk/ticket/?queue=mine"


@pytest.fixture
def desk(make_agent, make_ticket, category, team):
    """Grace's queue on a calendar that never closes (so the clocks run whenever the test
    does): a ticket past its first response, one close to it, one fresh, and one of another
    team she must not see. Written outside Playwright's event-loop thread (services publish
    after commit), each ticket at its own instant in the past."""

    def write():
        try:
            Calendar.objects.filter(pk=team.calendar_id).update(
                weekly={str(day): [[0, 1440]] for day in range(7)}
            )
            grace = make_agent("grace")
            grace.user.set_password("a long test password")
            grace.user.save()
            other = Team.objects.create(
                name="Far away team", slug="far-away", calendar=team.calendar
            )
            Macro.objects.create(
                team=team, name="On it", body="Hello {requester_name}, {reference} is with {team}."
            )
            now = timezone.now()
            made = {}
            for subject, ago, priority in [
                ("Printer on fire", timedelta(hours=3), "high"),
                ("VPN drops every hour", timedelta(minutes=50), "high"),
                ("Typo on the pricing page", timedelta(minutes=5), "normal"),
            ]:
                with time_machine.travel(now - ago, tick=False):
                    made[subject] = make_ticket(subject=subject, priority=priority)
                    ticket_assign(ticket=made[subject], agent=grace, actor=None)
            fire = made["Printer on fire"]
            with time_machine.travel(now - timedelta(hours=2), tick=False):
                ticket_customer_reply(ticket=fire, body="It is still smoking.")
            with time_machine.travel(now - timedelta(minutes=90), tick=False):
                ticket_reply(
                    ticket=fire, body="Facilities are on their way.", public=True, author=grace.user
                )
                ticket_reply(
                    ticket=fire,
                    body="Second fire this month: ask for a new printer.",
                    public=False,
                    author=grace.user,
                )
            make_ticket(subject="Their secret invoice", team=other)
            return fire
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(write).result()


def log_in(page: Page, base_url: str, next_path: str) -> None:
    page.goto(f"{base_url}/admin/login/?next={quote(next_path, safe='')}")
    page.fill("#id_username", "grace")
    page.fill("#id_password", "a long test password")
    page.click("input[type=submit]")


def shot(page: Page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / name, full_page=True)


def test_an_agent_works_her_queue_and_a_ticket(browser_page, server, desk, tmp_path):
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})

    log_in(page, server.url, QUEUE)

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)  # hers; never the other team's
    # Most urgent first: the first response due in minutes; the fire's came too late.
    expect(rows.nth(0)).to_contain_text("VPN drops every hour")
    expect(rows.nth(0).locator(".sla-warning").first).to_contain_text("left")
    fire = rows.filter(has_text="Printer on fire")
    expect(fire.locator(".sla-breached").first).to_contain_text("missed by 30m")
    expect(page.get_by_text("Their secret invoice")).to_have_count(0)
    expect(page.get_by_role("link", name="My tickets (3)")).to_have_count(1)
    shot(page, "workspace-queue.png", tmp_path)

    fire.get_by_role("link", name=desk.reference).click()

    expect(page.locator(".ticket-badges .sla-breached").first).to_contain_text("missed by 30m")
    timeline = page.locator("ol.timeline")
    note = timeline.locator("li.entry-internal_note")
    expect(note).to_contain_text("Internal note · not visible to the customer")
    expect(note).to_contain_text("ask for a new printer")
    expect(timeline.locator("li.entry-public_reply")).to_contain_text(
        "Facilities are on their way."
    )
    expect(timeline.locator("li.entry-customer")).to_contain_text("It is still smoking.")
    expect(page.locator(".sla-panel")).to_contain_text("First response")
    expect(page.locator("input[value='Rotate link']")).to_be_visible()
    shot(page, "workspace-ticket.png", tmp_path)

"""The SLA report page in a real browser (Playwright driving Debian's Chromium) against a real
ASGI server on the test's PostgreSQL database, logged in through the admin's login form."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from playwright.sync_api import Page, expect

from tests.conftest import Clock
from tests.helpdesk.reports_support import REPORT_AT, build_history

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
REPORT = "/admin/helpdesk/slareport/?from=2026-03-01&to=2026-03-31&group_by=team"


@pytest.fixture
def month(tiers):
    """The hand-built month, written the way requests would: outside Playwright's event-loop
    thread (services publish after commit). The clock moves only while it is written."""

    def write():
        try:
            with time_machine.travel(REPORT_AT, tick=False) as traveller:
                return build_history(Clock(traveller))
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(write).result()


def log_in(page: Page, base_url: str, next_path: str) -> None:
    User.objects.create_superuser("boss", "boss@example.com", "a long test password")
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a long test password")
    page.click("input[type=submit]")


def test_report_renders_its_charts_without_external_requests(browser_page, server, month, tmp_path):
    requests: list[str] = []
    browser_page.on("request", lambda request: requests.append(request.url))
    browser_page.set_viewport_size({"width": 1400, "height": 1000})

    log_in(browser_page, server.url, quote(REPORT, safe=""))

    expect(browser_page.locator("h1")).to_have_text("SLA compliance report")
    expect(browser_page.locator("svg.report-chart")).to_have_count(3)
    for chart in ("#chart-over-time", "#chart-teams", "#chart-heatmap"):
        box = browser_page.locator(f"{chart} svg").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150
    # Weeks 10 and 11 decided targets; week 11 had no public update cycle.
    expect(browser_page.locator("#chart-over-time circle")).to_have_count(5)
    expect(browser_page.locator("#chart-teams rect title")).to_have_count(6)
    summary = browser_page.locator("#summary")
    expect(summary).to_contain_text("Tickets19")
    expect(summary).to_contain_text("Breaches now open3")
    frontline = browser_page.locator('table[data-section="Compliance"] tbody tr').first
    expect(frontline.locator("th")).to_have_text("Frontline")
    expect(frontline.locator('td[data-col="first_response_compliance"]')).to_have_text("64.3%")
    expect(browser_page.locator("#audit-tickets tbody tr")).to_have_count(2)

    browser_page.screenshot(path=tmp_path / "sla-report.png", full_page=True)
    assert (tmp_path / "sla-report.png").stat().st_size > 20_000
    assert requests and all(url.startswith(server.url) for url in requests)

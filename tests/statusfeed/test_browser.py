"""The progress page in a real browser (Playwright driving Debian's Chromium) against a real
ASGI server sharing PostgreSQL and Redis with the test, which acts as the agent."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from helpdesk.models import Status
from helpdesk.services.tickets import ticket_change_status, ticket_reply

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture
def agent(make_agent):
    return make_agent("grace").user


def as_agent(service, **fields):
    """Run a service the way a request would: outside Playwright's event-loop thread."""

    def call():
        try:
            return service(**fields)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def watch(page: Page, url: str) -> list[str]:
    """Open the page and record every request it makes."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    page.goto(url)
    return requests


def test_page_updates_live_without_reload(browser_page, server, make_ticket_link, agent):
    ticket, token = as_agent(make_ticket_link)
    requests = watch(browser_page, f"{server.url}/status/t/{token}/")
    expect(browser_page.locator("#live")).to_have_text("Live")

    as_agent(ticket_change_status, ticket=ticket, status=Status.OPEN, actor=agent)
    expect(browser_page.locator("#status")).to_have_text("We are working on it")
    as_agent(ticket_reply, ticket=ticket, body="We found the cause.", public=True, author=agent)
    expect(browser_page.locator("#timeline li").first).to_contain_text("We found the cause.")

    assert browser_page.evaluate("performance.navigation.type") == 0  # never reloaded
    assert all(url.startswith(server.url) or url.startswith("ws://127.0.0.1") for url in requests)


def test_page_catches_up_after_the_socket_drops(browser_page, server, make_ticket_link, agent):
    ticket, token = as_agent(make_ticket_link)
    watch(browser_page, f"{server.url}/status/t/{token}/")
    expect(browser_page.locator("#live")).to_have_text("Live")

    server.stop()
    expect(browser_page.locator("#live")).to_have_text("Reconnecting…")
    as_agent(ticket_reply, ticket=ticket, body="Missed while offline", public=True, author=agent)
    as_agent(ticket_change_status, ticket=ticket, status=Status.PENDING, actor=agent)
    server.start()

    expect(browser_page.locator("#live")).to_have_text("Live", timeout=20_000)
    expect(browser_page.locator("#status")).to_have_text("Waiting for your reply")
    expect(browser_page.locator("#timeline")).to_contain_text("Missed while offline")
    seqs = browser_page.locator("#timeline li").evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert sorted(seqs, reverse=True) == seqs == list(range(len(seqs), 0, -1))


def test_page_works_without_javascript(no_js_page, server, make_ticket_link):
    ticket, token = as_agent(make_ticket_link)
    no_js_page.goto(f"{server.url}/status/t/{token}/")
    expect(no_js_page.locator("#status")).to_have_text("Received: we will reply soon")

    no_js_page.fill("#id_message", "Sent without JavaScript")
    no_js_page.click("text=Send")

    expect(no_js_page).to_have_url(re.compile(rf"/status/t/{token}/"))
    expect(no_js_page.locator("#timeline li").first).to_contain_text("Sent without JavaScript")
    assert ticket.messages.get().body == "Sent without JavaScript"


def test_hostile_text_stays_inert_in_the_browser(browser_page, server, make_ticket_link, agent):
    ticket, token = as_agent(make_ticket_link, subject=XSS)
    as_agent(ticket_reply, ticket=ticket, body=XSS, public=True, author=agent)
    watch(browser_page, f"{server.url}/status/t/{token}/")
    expect(browser_page.locator("#live")).to_have_text("Live")

    # This one arrives through the socket.
    as_agent(ticket_reply, ticket=ticket, body="live " + XSS, public=True, author=agent)
    expect(browser_page.locator("#timeline li").first).to_contain_text("live <img src=x")

    expect(browser_page.locator("h1")).to_contain_text("<script>window.__xss=2</script>")
    assert browser_page.evaluate("window.__xss") is None
    assert browser_page.locator("#timeline img").count() == 0

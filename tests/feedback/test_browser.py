"""The form without JavaScript and the widget with it, in Debian's Chromium (Playwright),
against a real ASGI server sharing PostgreSQL with the test."""

import json
import re
from importlib import import_module

import pytest
from django.apps import apps
from playwright.sync_api import expect

from helpdesk.models import Attachment, Category, Channel, Ticket
from tests.feedback.conftest import PNG
from tests.live import AsgiServer, server_env

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def install_defaults():
    """The categories, teams, tiers and intake rules a fresh install seeds.

    serialized_rollback normally restores them after another test's flush, but not once
    Playwright runs: its greenlets give this thread a fresh connection object, which lacks
    the serialized copy Django restores from.
    """
    if not Category.objects.exists():
        for migration in ("helpdesk.migrations.0002_defaults", "feedback.migrations.0002_defaults"):
            import_module(migration).seed(apps, None)


@pytest.fixture
def server(tmp_path):
    server = AsgiServer(
        server_env(
            CACHE_DIR=str(tmp_path / "cache"),
            MEDIA_ROOT=str(tmp_path / "media"),
            FEEDBACK_THROTTLE_RATE="1000/minute",
        )
    )
    server.start()
    yield server
    server.stop()


def fill_form(page) -> None:
    page.fill("#id_subject", "Checkout page is broken")
    page.fill("#id_message", "The pay button does nothing.")
    page.fill("#id_email", "ada@example.com")


def test_the_form_works_without_javascript(no_js_page, server, tmp_path):
    bad, good = tmp_path / "tool.exe", tmp_path / "screen.png"
    bad.write_bytes(b"MZ\x90\x00")
    good.write_bytes(PNG)
    no_js_page.goto(f"{server.url}/feedback/")
    fill_form(no_js_page)
    no_js_page.set_input_files("#id_files", str(bad))
    no_js_page.click("text=Send feedback")

    expect(no_js_page.locator("#id_files-error")).to_contain_text("tool.exe: this type of file")
    expect(no_js_page.locator("#id_subject")).to_have_value("Checkout page is broken")
    assert not Ticket.objects.exists()

    no_js_page.set_input_files("#id_files", str(good))
    no_js_page.click("text=Send feedback")

    ticket = Ticket.objects.get()
    expect(no_js_page.locator("#reference")).to_have_text(ticket.reference)
    no_js_page.click("#progress-link")
    expect(no_js_page).to_have_url(re.compile(r"/status/t/[^/]+/$"))
    assert ticket.channel == Channel.WEB
    assert Attachment.objects.get().filename == "screen.png"


def test_the_widget_posts_to_the_api_and_shows_the_reference(browser_page, server):
    posts = []
    browser_page.on(
        "request", lambda request: posts.append(request) if request.method == "POST" else None
    )
    browser_page.goto(f"{server.url}/feedback/widget/")

    browser_page.get_by_role("button", name="Feedback", exact=True).click()
    browser_page.fill("#hf-subject", "Search is slow")
    browser_page.fill("#hf-message", "Results take forever to load.")
    browser_page.fill("#hf-email", "ada@example.com")
    browser_page.get_by_role("button", name="Send", exact=True).click()

    ticket_reference = browser_page.locator(".reference")
    expect(ticket_reference).to_have_text(re.compile(r"HD-\d{6}"))
    [request] = posts
    assert request.url == f"{server.url}/api/v1/feedback/"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"]
    assert json.loads(request.post_data) == {
        "subject": "Search is slow",
        "message": "Results take forever to load.",
        "email": "ada@example.com",
        "channel": "widget",
        "audience": "customer",
        "touchpoint": "website_visit",
    }
    ticket = Ticket.objects.get()
    assert ticket_reference.inner_text() == ticket.reference
    assert (ticket.channel, ticket.category.slug) == (Channel.WIDGET, "performance")


def test_the_widget_shows_field_errors_from_the_api(browser_page, server):
    browser_page.goto(f"{server.url}/feedback/widget/")

    browser_page.get_by_role("button", name="Feedback", exact=True).click()
    browser_page.fill("#hf-subject", "Hello")
    browser_page.fill("#hf-message", "Hi")
    browser_page.fill("#hf-email", "not-an-email")
    browser_page.get_by_role("button", name="Send", exact=True).click()

    expect(browser_page.locator("#hf-email-error")).to_contain_text("valid email")
    assert not Ticket.objects.exists()

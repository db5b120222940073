"""Shared fixtures, and the rule that CI (REQUIRE_SERVICES=1) never skips a service test."""

import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User

from helpdesk.models import Agent, Calendar, Category, Contact, SlaPolicy, Team
from helpdesk.models.calendars import forget_business_calendars
from helpdesk.services.tickets import ticket_create

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_sessionstart(session):
    if not REQUIRE_SERVICES:
        return
    from django.conf import settings

    problems = []
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL is not set")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis at REDIS_URL does not answer: {exc}")
    if problems:
        pytest.exit("REQUIRE_SERVICES=1 but " + "; ".join(problems), returncode=3)


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    # Browser tests are the slowest and most fragile: run them last.
    items.sort(key=lambda item: "browser" in item.keywords)

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    for item in items:
        # A transactional test's flush re-creates content types unless it restores the
        # serialized database; then the next restoring test collides with them. So all do.
        marker = item.get_closest_marker("django_db")
        restores = marker and "serialized_rollback" in marker.kwargs
        if marker and marker.kwargs.get("transaction") and not restores:
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL=postgres://…"))
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="needs REDIS_URL=redis://…"))


@pytest.fixture(autouse=True)
def _fresh_business_calendars():
    # SQLite hands a rolled-back id out again, so a calendar of an earlier test could share
    # the (id, version) key of this test's calendar with different holidays.
    forget_business_calendars()


@pytest.fixture(autouse=True)
def _isolated_cache(settings, tmp_path):
    if not settings.REDIS_URL:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }


class Clock:
    """A frozen clock tests move by hand."""

    def __init__(self, traveller):
        self._traveller = traveller

    def set(self, instant: datetime) -> None:
        self._traveller.move_to(instant)

    def now(self) -> datetime:
        from django.utils import timezone

        return timezone.now()


@pytest.fixture
def clock():
    # Monday 2 March 2026, 09:00 UTC: the start of a business day.
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def office(db):
    """Monday to Friday, 09:00–17:00 UTC."""
    return Calendar.objects.create(
        name="Test office", timezone="UTC", weekly={str(d): [[540, 1020]] for d in range(5)}
    )


@pytest.fixture
def team(office):
    return Team.objects.create(name="Test team", slug="test-team", calendar=office)


@pytest.fixture
def category(team):
    return Category.objects.create(slug="test", name="Test", team=team, default_priority="normal")


@pytest.fixture
def tiers(db):
    """Known base targets for the normal and high tiers, on business hours."""
    for priority, first_response, update, resolution in [
        ("normal", timedelta(hours=4), timedelta(hours=24), timedelta(hours=24)),
        ("high", timedelta(hours=1), timedelta(hours=4), timedelta(hours=8)),
    ]:
        SlaPolicy.objects.update_or_create(
            priority=priority,
            category=None,
            contact=None,
            defaults={
                "first_response": first_response,
                "update_interval": update,
                "resolution": resolution,
            },
        )


@pytest.fixture
def make_agent(team):
    def make(username: str, *, capacity: int = 20, teams=None, available: bool = True) -> Agent:
        user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
        agent = Agent.objects.create(user=user, capacity=capacity, is_available=available)
        agent.teams.set(teams or [team])
        return agent

    return make


@pytest.fixture
def requester(db):
    return Contact.objects.create(email="ada@example.com", name="Ada")


@pytest.fixture
def make_ticket(category, requester, tiers):
    def make(**overrides):
        fields = {
            "subject": "Printer on fire",
            "description": "It is on fire.",
            "category": category,
            "requester": requester,
            "auto_assign": False,
        }
        fields.update(overrides)
        ticket, _token = ticket_create(**fields)
        return ticket

    return make


@pytest.fixture
def make_ticket_link(category, requester, tiers):
    """A ticket and the raw token of its public progress link."""

    def make(**overrides):
        fields = {
            "subject": "Printer on fire",
            "description": "It is on fire.",
            "category": category,
            "requester": requester,
            "auto_assign": False,
        }
        fields.update(overrides)
        return ticket_create(**fields)

    return make


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server():
    """A real ASGI server (daphne, in a process of its own) on the test's database."""
    from tests.live import AsgiServer, server_env

    server = AsgiServer(server_env())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium(django_db_setup, django_db_blocker):
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the
    # tests make beside it are still plain synchronous calls (Django's documented switch).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    path = shutil.which("chromium")
    if path is None:
        if REQUIRE_SERVICES:
            pytest.fail("Chromium is missing: apt-get install -y chromium")
        pytest.skip("needs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def no_js_page(chromium):
    context = chromium.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()

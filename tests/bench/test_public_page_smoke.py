"""The public page benchmark writes a ticket with a long history and times its surfaces."""

import pytest

from bench.public_page import main
from statusfeed.models import PublicEvent
from tests.live import shared_database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_every_surface_shows_the_whole_history(settings, monkeypatch):
    database_url = shared_database_url()
    # The benchmark points its process at the database it measures; put the variables back after.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", settings.REDIS_URL)
    monkeypatch.setenv("EMAIL_BACKEND", settings.EMAIL_BACKEND)

    results = main(["--history", "40", "--runs", "2", "--database-url", database_url, "--json"])

    assert [r.name for r in results] == ["page", "json", "ws snapshot"]
    assert all(r.status == 200 and r.p50_ms > 0 for r in results)
    assert PublicEvent.objects.filter(seq=40).count() == 1
    page = next(r for r in results if r.name == "page")
    assert page.queries <= 4  # however long the history

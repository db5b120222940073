"""Fixtures of the intake tests. The categories, teams and SLA tiers are the ones a fresh
install seeds (helpdesk 0002_defaults), with the intake rules of feedback 0002_defaults."""

import pytest
from django.core.cache import cache
from django_q.conf import Conf
from rest_framework.test import APIClient

from helpdesk.models import Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fresh_throttle():
    # Throttle counts live in the cache, which is shared between tests when it is Redis.
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def tasks_run_inline(monkeypatch):
    """django-q2 runs queued tasks at once, in this process (its documented `sync` mode)."""
    monkeypatch.setattr(Conf, "SYNC", True)


def feedback(**overrides) -> dict:
    body = {
        "subject": "Cannot export my report",
        "message": "The export button does nothing.",
        "email": "ada@example.com",
    }
    body.update(overrides)
    return body


def post(api, body: dict, **headers):
    return api.post("/api/v1/feedback/", body, format="json", headers=headers)


def ticket_of(response) -> Ticket:
    return Ticket.objects.get(pk=Ticket.pk_from_reference(response.json()["reference"]))

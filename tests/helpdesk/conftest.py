from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from helpdesk.models import Agent, Calendar, Category, Contact, SlaPolicy, Team
from helpdesk.services.tickets import ticket_create


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

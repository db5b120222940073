"""Helpers the agent API tests share: token clients, a second team, URLs."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk.access import MANAGERS_GROUP
from helpdesk.models import Calendar, Category, Team, Ticket


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    """Test users need no slow password hashing (import this fixture into a test module)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token_client(user: User) -> APIClient:
    """A client that authenticates the way scripts do: `Authorization: Token <key>`."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def second_team(calendar: Calendar) -> tuple[Team, Category]:
    # Names no fresh install seeds, so the same tests run with or without migrations.
    team = Team.objects.create(name="Second line", slug="second-line", calendar=calendar)
    category = Category.objects.create(slug="second-line-kit", name="Kit", team=team)
    return team, category


def make_manager(username: str, *, is_staff: bool = True) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=is_staff)
    user.groups.add(Group.objects.get_or_create(name=MANAGERS_GROUP)[0])
    return user


def ticket_url(ticket: Ticket, action: str = "") -> str:
    return f"/api/v1/tickets/{ticket.reference}/{action + '/' if action else ''}"

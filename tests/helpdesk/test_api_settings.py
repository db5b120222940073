"""Teams, agents, categories, calendars and SLA policies: read by agents, written by admins."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from helpdesk.models import Agent, Calendar, Category, SlaPolicy, Team
from tests.helpdesk.api_support import (
    fast_passwords,  # noqa: F401
    make_manager,
    token_client,
)

COLLECTIONS = ["teams", "agents", "categories", "calendars", "sla-policies"]


@pytest.fixture
def grace(make_agent):
    return make_agent("grace")


@pytest.fixture
def agent_api(grace):
    return token_client(grace.user)


@pytest.fixture
def admin_api(db):
    return token_client(make_manager("root"))


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_agents_read_every_settings_list(agent_api, tiers, category, collection):
    response = agent_api.get(f"/api/v1/{collection}/")

    assert response.status_code == 200
    assert response.json()


def test_team_list_shows_slugs_and_lead(agent_api, team, office):
    team.lead = User.objects.create_user("lena")
    team.save()

    row = next(t for t in agent_api.get("/api/v1/teams/").json() if t["slug"] == "test-team")

    assert row == {
        "id": team.pk,
        "name": "Test team",
        "slug": "test-team",
        "calendar": office.pk,
        "lead": "lena",
        "assignment_strategy": "least_loaded",
    }


def test_agent_list_shows_teams_by_slug(agent_api, grace):
    row = next(a for a in agent_api.get("/api/v1/agents/").json() if a["id"] == grace.pk)

    assert row["user"] == "grace"
    assert row["teams"] == ["test-team"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/teams/", {"name": "X", "slug": "x", "calendar": 1}),
        ("patch", "/api/v1/teams/{team}/", {"name": "Renamed"}),
        ("delete", "/api/v1/teams/{team}/", None),
        ("post", "/api/v1/categories/", {"slug": "x", "name": "X", "team": "test-team"}),
        ("patch", "/api/v1/calendars/{calendar}/", {"timezone": "Europe/Prague"}),
        ("patch", "/api/v1/agents/{agent}/", {"capacity": 1}),
        ("patch", "/api/v1/sla-policies/{policy}/", {"resolution": "PT1H"}),
    ],
)
def test_agents_may_not_change_settings(agent_api, grace, team, office, tiers, method, url, body):
    policy = SlaPolicy.objects.filter(priority="normal", category=None, contact=None).get()
    url = url.format(team=team.pk, calendar=office.pk, agent=grace.pk, policy=policy.pk)

    response = getattr(agent_api, method)(url, body, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only administrators (staff managers) may change settings."
    }


def test_a_manager_without_staff_status_may_not_change_settings(team):
    client = token_client(make_manager("mona", is_staff=False))

    response = client.patch(f"/api/v1/teams/{team.pk}/", {"name": "Renamed"}, format="json")

    assert response.status_code == 403


def test_admin_creates_a_team(admin_api, office):
    response = admin_api.post(
        "/api/v1/teams/",
        {"name": "Night shift", "slug": "night-shift", "calendar": office.pk, "lead": None},
        format="json",
    )

    assert response.status_code == 201
    assert Team.objects.get(slug="night-shift").calendar == office


def test_team_slugs_are_unique(admin_api, team, office):
    response = admin_api.post(
        "/api/v1/teams/",
        {"name": "Other", "slug": "test-team", "calendar": office.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["slug"] == ["team with this slug already exists."]


def test_admin_creates_an_agent_for_a_user(admin_api, team):
    User.objects.create_user("newbie")

    response = admin_api.post(
        "/api/v1/agents/",
        {"user": "newbie", "teams": ["test-team"], "capacity": 5},
        format="json",
    )

    assert response.status_code == 201
    agent = Agent.objects.get(user__username="newbie")
    assert (list(agent.teams.all()), agent.capacity) == ([team], 5)


def test_an_agents_user_cannot_change(admin_api, grace):
    User.objects.create_user("someone")

    response = admin_api.patch(f"/api/v1/agents/{grace.pk}/", {"user": "someone"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"user": ["An agent's user cannot change."]}


def test_agent_teams_must_be_a_list(admin_api, grace):
    response = admin_api.patch(
        f"/api/v1/agents/{grace.pk}/", {"teams": {"test-team": 1}}, format="json"
    )

    assert response.status_code == 400


def test_agents_are_not_deleted_through_the_api(admin_api, grace):
    assert admin_api.delete(f"/api/v1/agents/{grace.pk}/").status_code == 405


def test_admin_creates_a_category(admin_api, team):
    response = admin_api.post(
        "/api/v1/categories/",
        {"slug": "printers", "name": "Printers", "team": "test-team", "default_priority": "high"},
        format="json",
    )

    assert response.status_code == 201
    assert Category.objects.get(slug="printers").default_priority == "high"


def test_deleting_a_category_in_use_is_409(admin_api, clock, make_ticket, category):
    make_ticket()

    response = admin_api.delete(f"/api/v1/categories/{category.pk}/")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail.startswith("Still in use by ")
    assert "tickets" in detail


def test_deleting_a_team_in_use_is_409(admin_api, category, team):
    response = admin_api.delete(f"/api/v1/teams/{team.pk}/")

    assert response.status_code == 409
    assert "Still in use by categories" in response.json()["detail"]


def test_deleting_an_unused_calendar_works(admin_api, db):
    calendar = Calendar.objects.create(name="Spare", timezone="UTC")

    assert admin_api.delete(f"/api/v1/calendars/{calendar.pk}/").status_code == 204
    assert not Calendar.objects.filter(pk=calendar.pk).exists()


def test_admin_creates_a_calendar(admin_api):
    response = admin_api.post(
        "/api/v1/calendars/",
        {
            "name": "Prague office",
            "timezone": "Europe/Prague",
            "weekly": {"0": [[540, 720], [780, 1020]], "4": [[540, 900]]},
            "holiday_country": "CZ",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["weekly"] == {"0": [[540, 720], [780, 1020]], "4": [[540, 900]]}
    calendar = Calendar.objects.get(name="Prague office")
    assert calendar.business_calendar().is_open(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # 9:00 CET


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weekly", {"7": [[540, 1020]]}),
        ("weekly", {"0": [[1020, 540]]}),
        ("weekly", {"0": [[540, 1441]]}),
        ("weekly", {"0": [["540", 1020]]}),
        ("weekly", {"0": [[540, 1020, 1]]}),
        ("weekly", {"0": []}),
        ("weekly", [[540, 1020]]),
        ("timezone", "Mars/Olympus"),
        ("timezone", 1),
        ("holiday_country", "XX"),
    ],
)
def test_calendar_refuses_bad_values(admin_api, office, field, value):
    response = admin_api.patch(f"/api/v1/calendars/{office.pk}/", {field: value}, format="json")

    assert response.status_code == 400, response.json()
    office.refresh_from_db()
    assert office.timezone == "UTC"


def test_sla_policy_edit_recomputes_open_tickets(admin_api, clock, make_ticket):
    ticket = make_ticket()
    policy = SlaPolicy.objects.get(priority="normal", category=None, contact=None)

    response = admin_api.patch(
        f"/api/v1/sla-policies/{policy.pk}/", {"resolution": "PT8H"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["resolution"] == "P0DT08H00M00S"
    assert response.json()["version"] == policy.version + 1
    ticket.refresh_from_db()
    assert ticket.resolution_due == ticket.created_at + timedelta(hours=8)
    assert ticket.events.filter(
        kind="sla_policy_applied", data__reason__startswith="policy"
    ).exists()


def test_sla_policy_for_a_category(admin_api, tiers, category):
    response = admin_api.post(
        "/api/v1/sla-policies/",
        {"category": category.slug, "first_response": "PT30M"},
        format="json",
    )

    assert response.status_code == 201
    policy = SlaPolicy.objects.get(category=category)
    assert (policy.priority, policy.first_response) == ("", timedelta(minutes=30))


def test_sla_policy_model_rules_are_a_400(admin_api, tiers):
    response = admin_api.post(
        "/api/v1/sla-policies/", {"priority": "normal", "first_response": "PT1H"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) >= {"update_interval", "resolution"}


@pytest.mark.parametrize("value", [3600, "-PT1H", "P1000D", "soon", True])
def test_sla_durations_are_strict(admin_api, tiers, value):
    policy = SlaPolicy.objects.get(priority="normal", category=None, contact=None)

    response = admin_api.patch(
        f"/api/v1/sla-policies/{policy.pk}/", {"resolution": value}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["resolution"]


def test_sla_policies_are_not_deleted_through_the_api(admin_api, tiers):
    policy = SlaPolicy.objects.first()

    assert admin_api.delete(f"/api/v1/sla-policies/{policy.pk}/").status_code == 405


def test_unknown_setting_is_404(agent_api):
    assert agent_api.get("/api/v1/teams/999999/").status_code == 404
    assert agent_api.get("/api/v1/teams/abc/").json() == {"detail": "Not found."}


def test_unknown_api_path_is_a_json_404(agent_api):
    response = agent_api.get("/api/v1/nothing/here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such API endpoint."}


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PUT", "HEAD"])
def test_undocumented_methods_are_405_with_an_allow_header(admin_api, team, method):
    response = admin_api.generic(method, f"/api/v1/teams/{team.pk}/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, PATCH, DELETE"

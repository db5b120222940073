"""The API against its own OpenAPI schema: served docs, and a schemathesis run that must find
no 5xx and no response that breaks the schema.

Bounded for `make test` (the examples and fuzzing phases, a few cases per operation). A long
run is one flag away, and adds schemathesis' coverage phase (boundary values, wrong types,
undeclared methods for every parameter), which alone takes longer than the whole quick run:
    SCHEMATHESIS_EXAMPLES=500 .venv/bin/python -m pytest tests/helpdesk/test_api_schema.py
"""

import os
import re

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from helpdesk.models import Category, SlaPolicy, Team
from helpdesk.services.assignment import ticket_assign
from statusfeed.services import public_issue_create
from tests.helpdesk.api_support import fast_passwords, make_manager  # noqa: F401

LONG_RUN = "SCHEMATHESIS_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))

# Answers to schema-valid input that are still right: a well-formed value can name a team that
# does not exist (400), a transition the workflow forbids (409) or a stale version (412).
VALID_INPUT_STATUSES = ["2xx", "400", "401", "403", "404", "409", "412", "429"]


# Read once at collection, through the app itself (schemathesis' fixture-based loader does not
# run on pytest 9); each test below then gets its own database world.
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json",
    get_wsgi_application(),
    config=schemathesis.config.SchemathesisConfig.from_dict(
        {
            "generation": {"database": "none"},
            "phases": {"coverage": {"enabled": LONG_RUN}},
            "checks": {"positive_data_acceptance": {"expected-statuses": VALID_INPUT_STATUSES}},
        }
    ),
)
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # One world per operation, shared by its examples: they pile up as an API's data would.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SETTINGS_WRITES = {
    "path_regex": "^/api/v1/(teams|agents|categories|calendars|sla-policies)/",
    "method": ["POST", "PATCH", "DELETE"],
}


def test_schema_is_served_as_openapi_3(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/tickets/{reference}/" in document["paths"]


def test_every_operation_documents_its_error_answers(client, db):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if {} not in operation.get("security", [{}]):  # needs credentials
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= codes, (method, path)


def test_docs_page_uses_only_local_assets(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r"""(?:src|href)=["'](?:https?:)?//[^"']+""", html)
    assert external == []
    assert "cdn" not in html.lower()
    for asset in re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", html):
        assert client.get(asset).status_code == 200, asset


@pytest.fixture
def app_on_test_connection():
    """Run the app in-process on the test's own database connection.

    Django closes "old" connections when a request starts and ends, which would close the
    connection holding the test's transaction; its test client avoids that the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, make_ticket, make_agent, team, category, office):
    """A helpdesk with something behind every path the fuzzer may take."""
    agent = make_agent("fuzzer")
    make_agent("colleague")
    ticket = make_ticket()
    ticket_assign(ticket=ticket, agent=agent, actor=None)
    other = Team.objects.create(name="Elsewhere", slug="elsewhere", calendar=office)
    Category.objects.create(slug="elsewhere", name="Elsewhere", team=other)
    issue = public_issue_create(
        title="Outage", kind="incident", status="investigating", body="Looking.", author=None
    )
    return {
        "auth": token_header(agent.user),
        "reference": ticket.reference,
        "ids": {
            "teams": team.pk,
            "agents": agent.pk,
            "categories": category.pk,
            "calendars": office.pk,
            "sla-policies": SlaPolicy.objects.order_by("pk").first().pk,
            "public-issues": issue.pk,
        },
    }


@pytest.fixture
def administrator_auth(db) -> dict:
    return token_header(make_manager("root"))


def aim_at_the_world(case, world: dict) -> None:
    """Point path parameters at objects that exist, so the fuzzer works on real tickets and
    settings (unknown references and ids have tests of their own)."""
    collection = case.operation.path.removeprefix("/api/v1/").split("/")[0]
    if "reference" in case.path_parameters:
        case.path_parameters["reference"] = world["reference"]
    if "id" in case.path_parameters and collection in world["ids"]:
        case.path_parameters["id"] = world["ids"][collection]


def token_header(user: User) -> dict:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


# Settings writes are only refused for an agent (tested elsewhere); an administrator fuzzes them.
@schema.exclude(**SETTINGS_WRITES).parametrize()
@FUZZ_SETTINGS
def test_api_as_an_agent(case, world, app_on_test_connection):
    aim_at_the_world(case, world)
    case.call_and_validate(headers=world["auth"])


@schema.include(**SETTINGS_WRITES).parametrize()
@FUZZ_SETTINGS
def test_settings_writes_as_an_administrator(
    case, world, administrator_auth, app_on_test_connection
):
    aim_at_the_world(case, world)
    case.call_and_validate(headers=administrator_auth)

"""POST /api/v1/feedback/: the public intake API (CONTRACT.md)."""

import time
from datetime import datetime

import pytest

from feedback.models import Acknowledgement, TicketTriage
from helpdesk.models import Channel, Contact, Ticket
from tests.feedback.conftest import feedback, post, ticket_of

pytestmark = pytest.mark.django_db


def test_it_answers_201_with_the_contract_shape(api):
    response = post(api, feedback(category="billing"))

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"reference", "status_url", "category", "priority", "sla"}
    assert body["reference"].startswith("HD-")
    assert body["status_url"].startswith("http://testserver/status/t/")
    assert (body["category"], body["priority"]) == ("billing", "high")
    assert set(body["sla"]) == {"first_response_due", "next_update_due", "resolution_due"}
    for due in body["sla"].values():
        assert datetime.fromisoformat(due).tzinfo is not None


def test_the_status_url_opens_the_tickets_progress_page(api, client):
    body = post(api, feedback()).json()

    page = client.get(body["status_url"].removeprefix("http://testserver"))

    assert page.status_code == 200
    assert body["reference"] in page.content.decode()


def test_it_records_the_channel_touchpoint_and_audience(api):
    response = post(api, feedback(channel="phone", touchpoint="checkout", audience="candidate"))

    ticket = ticket_of(response)
    assert (ticket.channel, ticket.audience) == (Channel.PHONE, "candidate")
    assert ticket.triage.touchpoint == "checkout"
    assert ticket.requester.email == "ada@example.com"


def test_the_channel_defaults_to_api(api):
    assert ticket_of(post(api, feedback())).channel == Channel.API


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", 42),
        ("subject", ""),
        ("subject", None),
        ("subject", "x" * 201),
        ("message", ["a list"]),
        ("message", {"an": "object"}),
        ("email", "not-an-email"),
        ("email", 5),
        ("name", True),
        ("category", "no-such-category"),
        ("category", 3),
        ("channel", "fax"),
        ("channel", 1),
        ("touchpoint", "the moon"),
        ("audience", "alien"),
        ("anonymous", "yes"),
        ("anonymous", 1),
        ("priority", "critical"),  # not a field: the intake decides the tier
    ],
)
def test_a_bad_field_is_a_400_naming_it(api, field, value):
    response = post(api, feedback(**{field: value}))

    assert response.status_code == 400
    assert field in response.json()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("missing", ["subject", "message", "email"])
def test_a_missing_field_is_a_400_naming_it(api, missing):
    body = feedback()
    del body[missing]

    response = post(api, body)

    assert response.status_code == 400
    assert missing in response.json()


@pytest.mark.parametrize("body", [[], "text", 7, None])
def test_a_body_that_is_not_an_object_is_a_400(api, body):
    response = api.post("/api/v1/feedback/", body, format="json")

    assert response.status_code == 400


def test_malformed_json_is_a_400(api):
    response = api.post("/api/v1/feedback/", "{", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_only_employees_may_be_anonymous(api):
    response = post(api, feedback(anonymous=True, audience="customer"))

    assert response.status_code == 400
    assert "anonymous" in response.json()


def test_anonymous_employee_feedback_keeps_no_identity(api):
    response = post(
        api,
        feedback(audience="employee", anonymous=True, email="bob@corp.example", name="Bob"),
    )

    assert response.status_code == 201
    ticket = ticket_of(response)
    assert ticket.requester is None
    assert ticket.triage.anonymous
    assert not Contact.objects.exists()
    assert not Acknowledgement.objects.exists()
    assert "bob" not in str(Ticket.objects.values().get()).lower()


def test_anonymous_feedback_needs_no_email(api):
    body = feedback(audience="employee", anonymous=True)
    del body["email"]

    assert post(api, body).status_code == 201


def test_it_is_throttled_with_retry_after(api, settings):
    settings.FEEDBACK_THROTTLE_RATE = "2/minute"
    for _ in range(2):
        assert post(api, feedback(subject=f"Try {_}", email=f"u{_}@example.com")).status_code == 201

    response = post(api, feedback(subject="One too many"))

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert Ticket.objects.count() == 2


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(api, settings):
    settings.FEEDBACK_THROTTLE_RATE = "2/minute"
    statuses = [
        post(
            api,
            feedback(subject=f"Try {n}", email=f"u{n}@example.com"),
            **{"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(3)
    ]

    assert statuses == [201, 201, 429]


def test_other_sites_may_post_to_it(api):
    preflight = api.options(
        "/api/v1/feedback/",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    response = post(api, feedback(), Origin="https://shop.example")

    assert preflight.status_code == 204
    assert "Idempotency-Key" in preflight["Access-Control-Allow-Headers"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_logged_in_session_is_not_needed_nor_used(api, django_user_model):
    user = django_user_model.objects.create_user("agent", password="pw")
    api.force_login(user)
    api.enforce_csrf_checks = True

    assert post(api, feedback()).status_code == 201


def test_routing_happens_within_a_second(api):
    started = time.perf_counter()
    response = post(api, feedback(subject="The app crashes when I save"))
    elapsed = time.perf_counter() - started

    ticket = ticket_of(response)
    assert (ticket.category.slug, ticket.team.slug) == ("bug-report", "engineering")
    assert TicketTriage.objects.filter(ticket=ticket).exists()
    assert elapsed < 1.0, f"routing took {elapsed:.3f} s"

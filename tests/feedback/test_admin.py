"""Intake settings in the admin: rules are edited there; intake records are read-only."""

import pytest
from django.urls import reverse

from feedback.models import ClassificationRule, RoutingRule, TicketTriage
from tests.feedback.conftest import feedback, post

pytestmark = pytest.mark.django_db

MODELS = [
    "classificationrule",
    "routingrule",
    "tickettriage",
    "messagesentiment",
    "mailmessage",
    "acknowledgement",
    "idempotencykey",
]


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_intake_list_opens(admin_client, api, model):
    post(api, feedback(), **{"Idempotency-Key": "k"})

    assert admin_client.get(reverse(f"admin:feedback_{model}_changelist")).status_code == 200


def test_a_routing_rule_is_edited_in_the_admin(admin_client):
    rule = RoutingRule.objects.get()
    url = reverse("admin:feedback_routingrule_change", args=[rule.pk])

    response = admin_client.post(
        url,
        {"name": rule.name, "position": 5, "is_active": "on", "sentiment_at_most": "-0.8",
         "priority": "critical", "tags": "angry"},
    )  # fmt: skip

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.position, rule.sentiment_at_most) == (5, -0.8)


def test_a_routing_rule_must_do_something(admin_client):
    response = admin_client.post(
        reverse("admin:feedback_routingrule_add"), {"name": "Nothing", "position": 1}
    )

    assert response.status_code == 200
    assert "A rule must set a team, a tier or tags." in response.content.decode()


def test_triage_records_cannot_be_edited(admin_client, api):
    post(api, feedback())
    triage = TicketTriage.objects.get()

    response = admin_client.get(reverse("admin:feedback_tickettriage_change", args=[triage.pk]))

    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_classification_rules_list_their_keywords(admin_client):
    html = admin_client.get(reverse("admin:feedback_classificationrule_changelist")).content
    assert ClassificationRule.objects.count() == 7
    assert b"invoice" in html

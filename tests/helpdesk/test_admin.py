"""The settings side of the admin: SLA policies are saved through their service."""

from datetime import timedelta

import pytest
from django.urls import reverse

from helpdesk.models import SlaPolicy

pytestmark = pytest.mark.django_db


def test_saving_an_sla_policy_bumps_its_version(admin_client, tiers):
    policy = SlaPolicy.objects.get(priority="normal", category=None, contact=None)
    data = {
        "priority": "normal",
        "category": "",
        "contact": "",
        "first_response": "04:00:00",
        "update_interval": "1 00:00:00",
        "resolution": "16:00:00",
    }

    response = admin_client.post(reverse("admin:helpdesk_slapolicy_change", args=[policy.pk]), data)

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.version == 2
    assert policy.resolution == timedelta(hours=16)


def test_saving_an_sla_policy_recomputes_open_tickets(admin_client, clock, make_ticket):
    ticket = make_ticket()
    policy = SlaPolicy.objects.get(priority="normal", category=None, contact=None)
    url = reverse("admin:helpdesk_slapolicy_change", args=[policy.pk])

    admin_client.post(
        url,
        {
            "priority": "normal",
            "category": "",
            "contact": "",
            "first_response": "04:00:00",
            "update_interval": "1 00:00:00",
            "resolution": "16:00:00",
        },
    )

    before = ticket.resolution_due
    ticket.refresh_from_db()
    assert ticket.resolution_due == before - timedelta(days=1)  # 8 business hours sooner


def test_a_base_sla_policy_cannot_be_deleted(admin_client, tiers):
    policy = SlaPolicy.objects.get(priority="normal", category=None, contact=None)

    response = admin_client.post(
        reverse("admin:helpdesk_slapolicy_delete", args=[policy.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()

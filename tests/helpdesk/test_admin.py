"""The settings side of the admin: SLA policies are saved through their service."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django_q.tasks import async_task

from helpdesk.models import SlaPolicy
from helpdesk.tasks import reapply_calendar

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


def test_a_holiday_added_in_the_admin_recomputes_open_tickets_in_a_task(
    admin_client, clock, make_ticket, office, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    before = ticket.first_response_due
    data = {
        "name": office.name,
        "timezone": office.timezone,
        "weekly": json.dumps(office.weekly),
        "holiday_country": "",
        "holiday_subdivision": "",
        "holidays-TOTAL_FORMS": "1",
        "holidays-INITIAL_FORMS": "0",
        "holidays-0-date": ticket.created_at.date().isoformat(),
        "holidays-0-name": "Declared late",
    }

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse("admin:helpdesk_calendar_change", args=[office.pk]), data
        )
    assert response.status_code == 302
    queued = [c for c in callbacks if getattr(c, "func", None) is async_task]
    assert [c.args for c in queued] == [("helpdesk.tasks.reapply_calendar", office.pk)]
    reapply_calendar(*queued[0].args[1:])  # what the cluster's worker runs

    ticket.refresh_from_db()
    assert ticket.first_response_due > before

"""Management commands: seed_demo and sla_sweep."""

import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from helpdesk.models import Agent, Status, Ticket
from helpdesk.selectors import ticket_by_public_token

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_seed_demo_creates_tickets_in_every_status():
    run("seed_demo", tickets=40)

    assert Ticket.objects.count() == 40
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert Ticket.objects.values("category").distinct().count() == 8


def test_seed_demo_prints_a_working_progress_link(client):
    output = run("seed_demo", tickets=40)

    link = re.search(r"http://127\.0\.0\.1:8000(/status/t/([\w-]+)/)", output)
    assert ticket_by_public_token(link.group(2)) is not None
    assert client.get(link.group(1)).status_code == 200
    assert "http://127.0.0.1:8000/admin/" in output
    assert "admin / admin" in output


def test_seed_demo_uses_the_port_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORT", "8123")

    output = run("seed_demo", tickets=1)

    assert "http://127.0.0.1:8123/status/" in output


def test_seed_demo_run_twice_adds_tickets_but_not_staff():
    run("seed_demo", tickets=5)
    users, agents = User.objects.count(), Agent.objects.count()

    run("seed_demo", tickets=5)

    assert Ticket.objects.count() == 10
    assert (User.objects.count(), Agent.objects.count()) == (users, agents)


def test_seed_demo_staff_can_use_the_admin(client):
    run("seed_demo", tickets=1)

    assert client.login(username="lukas.weber", password="demo")
    assert client.get("/admin/helpdesk/ticket/").status_code == 200


def test_sla_sweep_prints_warnings_and_breaches(clock, make_ticket):
    ticket = make_ticket(priority="high")  # first response within 1 business hour
    clock.set(datetime(2026, 3, 2, 10, 30, tzinfo=UTC))

    output = run("sla_sweep")

    assert output.splitlines() == [
        f"{ticket.reference} first_response warning 75%",
        f"{ticket.reference} first_response warning 90%",
        f"{ticket.reference} first_response breached",
        "Examined 1 ticket(s): 2 warning(s), 1 breach(es).",
    ]


def test_sla_sweep_with_nothing_due_says_so(clock, make_ticket):
    make_ticket()

    output = run("sla_sweep")

    assert output == "Examined 0 ticket(s): 0 warning(s), 0 breach(es).\n"

"""Escalation steps fired by the SLA sweep, with a frozen and advanced clock."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django_q.conf import Conf

from helpdesk.models import (
    EscalationPolicy,
    EscalationStep,
    Holiday,
    Notification,
    Status,
    Team,
    TicketEvent,
)
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import ticket_change_status, ticket_customer_reply, ticket_reply
from statusfeed.models import PublicEvent, ticket_stream
from tests.helpdesk.sla_ops_support import default_escalation_policy
from tests.mailserver import SmtpServer

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def escalations(ticket) -> list[tuple[str, int]]:
    events = TicketEvent.objects.filter(ticket=ticket, kind="escalated").order_by("at", "id")
    return [(e.data["clock"], e.data["at_percent"]) for e in events]


def marks(ticket, clock: str) -> list[float]:
    events = TicketEvent.objects.filter(
        ticket=ticket, kind__in=["sla_warned", "sla_breached"], data__clock=clock
    ).order_by("id")
    return [e.data["threshold"] for e in events]


def public_kinds(ticket) -> list[str]:
    events = PublicEvent.objects.filter(stream=ticket_stream(ticket.pk)).order_by("seq")
    return list(events.values_list("kind", flat=True))


@pytest.fixture(autouse=True)
def _default_policy(db):
    default_escalation_policy()


@pytest.fixture
def grace(make_agent):
    return make_agent("grace")


@pytest.fixture
def lead(team, make_agent):
    agent = make_agent("lena")
    team.lead = agent.user
    team.save()
    return agent.user


@pytest.fixture
def escalation_team(office, make_agent):
    team = Team.objects.create(name="Escalations", slug="escalations", calendar=office)
    make_agent("sam", teams=[team])
    return team


def policy(team=None, priority="", **options) -> EscalationPolicy:
    policy, _ = EscalationPolicy.objects.update_or_create(
        team=team, priority=priority, defaults=options
    )
    return policy


def test_warning_then_breach_are_recorded_once_and_escalate_once(clock, make_ticket, grace, lead):
    ticket = make_ticket(priority="high")  # first response within 1 business hour
    ticket_assign(ticket=ticket, agent=grace, actor=None)

    clock.set(at(2, 9, 46))
    sla_sweep()
    sla_sweep()
    assert marks(ticket, "first_response") == [0.75]
    assert escalations(ticket) == [("first_response", 75)]

    clock.set(at(2, 10, 30))
    sla_sweep()
    sla_sweep()

    assert marks(ticket, "first_response") == [0.75, 0.9, 1.0]
    assert escalations(ticket) == [
        ("first_response", 75),
        ("first_response", 90),
        ("first_response", 100),
    ]
    sent = Notification.objects.exclude(kind="public_update").order_by("pk")
    assert [(n.kind, n.email) for n in sent if n.kind != "assigned"] == [
        ("sla_warning", "grace@example.com"),
        ("sla_warning", "grace@example.com"),
        ("sla_breach", "grace@example.com"),
        ("sla_breach", "lena@example.com"),
    ]


def test_a_late_sweep_fires_every_step_in_order(clock, make_ticket, grace, lead):
    ticket = make_ticket(priority="high")
    ticket_assign(ticket=ticket, agent=grace, actor=None)
    clock.set(at(2, 14))

    result = sla_sweep()

    assert escalations(ticket) == [
        ("first_response", 75),
        ("first_response", 90),
        ("first_response", 100),
    ]
    assert [e.step.at_percent for _, e in result.escalations] == [75, 90, 100]


def test_an_unowned_ticket_warns_the_team_lead(clock, make_ticket, lead):
    ticket = make_ticket(priority="high")
    clock.set(at(2, 9, 46))

    sla_sweep()

    [warning] = Notification.objects.filter(ticket=ticket, kind="sla_warning")
    assert warning.email == "lena@example.com"


def test_breach_raises_the_priority_and_moves_to_the_escalation_team(
    clock, make_ticket, grace, lead, team, escalation_team
):
    steps = policy(team=team)
    EscalationStep.objects.create(
        policy=steps,
        at_percent=100,
        notify_assignee=False,
        notify_team_lead=True,
        raise_priority=True,
        reassign_to=escalation_team,
    )
    ticket = make_ticket()  # normal: first response within 4 business hours
    ticket_assign(ticket=ticket, agent=grace, actor=None)
    clock.set(at(2, 13, 1))

    sla_sweep()

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.team, ticket.assignee.user.username) == (
        "high",
        escalation_team,
        "sam",
    )
    [escalated] = TicketEvent.objects.filter(ticket=ticket, kind="escalated")
    assert escalated.data["priority"] == ["normal", "high"]
    assert escalated.data["team"] == ["test-team", "escalations"]
    assert escalated.data["notified"] == [lead.pk]
    applied = TicketEvent.objects.filter(ticket=ticket, kind="sla_policy_applied").last()
    assert applied.data["reason"] == "escalated"
    assert applied.data["priority"] == "high"


def test_breach_publishes_a_revised_eta_from_the_new_targets(clock, make_ticket, team):
    EscalationStep.objects.create(
        policy=policy(team=team), at_percent=100, notify_assignee=False, raise_priority=True
    )
    ticket = make_ticket()  # normal: resolution within 24 business hours
    assert ticket.resolution_due == at(4, 17)
    clock.set(at(2, 13, 1))

    sla_sweep()

    ticket.refresh_from_db()
    assert ticket.resolution_due == at(2, 17)  # high: 8 business hours from the start
    revised = PublicEvent.objects.get(stream=ticket_stream(ticket.pk), kind="eta_revised")
    assert revised.payload["eta"] == at(2, 17).isoformat()
    assert "escalated" in revised.payload["message"]


def test_a_warning_publishes_nothing(clock, make_ticket, grace):
    ticket = make_ticket(priority="high")
    ticket_assign(ticket=ticket, agent=grace, actor=None)
    clock.set(at(2, 9, 46))

    sla_sweep()

    assert public_kinds(ticket) == ["created"]


def test_the_most_specific_policy_wins(clock, make_ticket, grace, team):
    EscalationStep.objects.create(policy=policy(team=team), at_percent=90)
    EscalationStep.objects.create(policy=policy(team=team, priority="high"), at_percent=50)
    EscalationStep.objects.create(policy=policy(priority="high"), at_percent=60)
    ticket = make_ticket(priority="high")
    ticket_assign(ticket=ticket, agent=grace, actor=None)
    clock.set(at(2, 10, 30))

    sla_sweep()

    assert escalations(ticket) == [("first_response", 50)]


def test_a_paused_ticket_never_breaches_resolution_while_paused(clock, make_ticket, grace):
    ticket = make_ticket()  # resolution: 24 business hours, due Wed 17:00
    ticket_assign(ticket=ticket, agent=grace, actor=None)
    clock.set(at(2, 10))
    ticket_reply(ticket=ticket, body="Please send your logs.", public=True, author=grace.user)
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=grace.user)

    for day in (4, 9, 16, 23):
        clock.set(at(day, 12))
        sla_sweep()

    assert marks(ticket, "resolution") == []
    assert ("resolution", 100) not in escalations(ticket)

    ticket_customer_reply(ticket=ticket, body="Here they are.")  # Mon 23rd 12:00, 23 h left
    clock.set(at(26, 10, 59))
    sla_sweep()
    assert marks(ticket, "resolution") == [0.75, 0.9]
    clock.set(at(26, 11, 1))
    sla_sweep()
    assert marks(ticket, "resolution") == [0.75, 0.9, 1.0]


def test_a_holiday_delays_the_breach(clock, make_ticket, grace, office):
    Holiday.objects.create(calendar=office, date=datetime(2026, 3, 3).date(), name="Test day")
    ticket = make_ticket()  # 24 business hours: Mon, (holiday), Wed, Thu
    ticket_assign(ticket=ticket, agent=grace, actor=None)

    clock.set(at(4, 17, 1))  # when it would be due without the holiday
    sla_sweep()
    assert 1.0 not in marks(ticket, "resolution")

    clock.set(at(5, 17, 1))
    sla_sweep()
    assert marks(ticket, "resolution")[-1] == 1.0
    [breach] = TicketEvent.objects.filter(
        ticket=ticket, kind="sla_breached", data__clock="resolution"
    )
    assert breach.data["reached_at"] == at(5, 17).isoformat()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_and_notify_each_ticket_once(
    clock, make_ticket, grace, lead, settings, monkeypatch
):
    smtp = SmtpServer()
    smtp.start()
    smtp.configure(settings)
    monkeypatch.setattr(Conf, "SYNC", True)  # each sweep sends its emails once it commits
    tickets = [make_ticket(priority="high") for _ in range(24)]
    for ticket in tickets:
        ticket_assign(ticket=ticket, agent=grace, actor=None)
    now = at(2, 10, 30)
    clock.set(now)
    start = threading.Barrier(2)
    results = []

    def sweep() -> None:
        try:
            start.wait()
            results.append(sla_sweep(now=now, batch_size=4))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        smtp.stop()

    assert sum(r.tickets for r in results) == len(tickets)
    assert all(r.tickets for r in results)  # both sweeps took part
    fired = [(ref, e.step.at_percent) for r in results for ref, e in r.escalations]
    assert len(fired) == len(set(fired)) == 3 * len(tickets)
    for ticket in tickets:
        assert escalations(ticket) == [
            ("first_response", 75),
            ("first_response", 90),
            ("first_response", 100),
        ]
    about_sla = [m for m in smtp.messages if "Assigned to you" not in m["Subject"]]
    assert len([m for m in about_sla if m["To"] == "grace@example.com"]) == 3 * len(tickets)
    assert len([m for m in about_sla if m["To"] == "lena@example.com"]) == len(tickets)
    assert len({(m["To"], m["Subject"]) for m in about_sla}) == len(about_sla)
    assert Notification.objects.filter(kind__in=["sla_warning", "sla_breach"]).count() == 4 * len(
        tickets
    )


def test_policies_are_edited_in_the_admin(admin_client, team):
    response = admin_client.post(
        "/admin/helpdesk/escalationpolicy/add/",
        {
            "team": team.pk,
            "priority": "high",
            "holding_updates": "on",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-at_percent": "100",
            "steps-0-notify_team_lead": "on",
            "steps-0-raise_priority": "on",
        },
    )

    assert response.status_code == 302
    policy = EscalationPolicy.objects.get(team=team, priority="high")
    assert policy.holding_updates
    [step] = policy.steps.all()
    assert (step.at_percent, step.notify_assignee, step.raise_priority) == (100, False, True)
    assert admin_client.get("/admin/helpdesk/escalationpolicy/").status_code == 200

"""Who gets a ticket: manual, "take it", round robin and least loaded."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from helpdesk.models import AssignmentStrategy, Status, Ticket
from helpdesk.services.assignment import AssignmentError, ticket_assign, ticket_take
from helpdesk.services.tickets import ticket_change_status, ticket_create


def test_manual_assignment_records_the_timeline(db, make_ticket, make_agent):
    agent = make_agent("grace")
    ticket = make_ticket()

    ticket = ticket_assign(ticket=ticket, agent=agent, actor=None)

    assert ticket.assignee == agent
    assert ticket.events.filter(kind="assigned", data__agent=agent.pk).exists()


def test_assigning_outside_the_team_is_refused(db, make_ticket, make_agent, office):
    from helpdesk.models import Team

    other = Team.objects.create(name="Other", slug="other-team", calendar=office)
    outsider = make_agent("mallory", teams=[other])
    ticket = make_ticket()

    with pytest.raises(AssignmentError):
        ticket_assign(ticket=ticket, agent=outsider, actor=None)


def test_take_it_claims_an_unassigned_ticket(db, make_ticket, make_agent):
    agent = make_agent("grace")
    ticket = make_ticket()

    assert ticket_take(ticket=ticket, agent=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_taking_a_ticket_makes_an_open_form_of_it_stale(db, make_ticket, make_agent):
    agent = make_agent("grace")
    ticket = make_ticket()
    seen = ticket.version

    ticket_take(ticket=ticket, agent=agent)

    ticket.refresh_from_db()
    assert ticket.version == seen + 1
    assert ticket.report_outcome.agent_id == agent.pk  # the report's agent row follows it


def test_take_it_loses_to_an_earlier_taker(db, make_ticket, make_agent):
    first, second = make_agent("grace"), make_agent("linus")
    ticket = make_ticket()

    assert ticket_take(ticket=ticket, agent=first)
    assert not ticket_take(ticket=ticket, agent=second)
    ticket.refresh_from_db()
    assert ticket.assignee == first


def test_least_loaded_balances_by_capacity(db, make_ticket, make_agent):
    small, big = make_agent("small", capacity=1), make_agent("big", capacity=3)

    owners = [make_ticket(auto_assign=True).assignee for _ in range(4)]

    assert owners.count(small) == 1
    assert owners.count(big) == 3


def test_nobody_gets_a_ticket_when_everyone_is_full(db, make_ticket, make_agent):
    make_agent("small", capacity=1)
    make_ticket(auto_assign=True)

    assert make_ticket(auto_assign=True).assignee is None


def test_unavailable_agents_get_nothing(db, make_ticket, make_agent):
    make_agent("away", available=False)
    here = make_agent("here")

    assert make_ticket(auto_assign=True).assignee == here


def test_resolved_tickets_free_capacity(db, make_ticket, make_agent):
    agent = make_agent("solo", capacity=1)
    first = make_ticket(auto_assign=True)
    ticket_change_status(ticket=first, status=Status.RESOLVED, actor=None)

    assert make_ticket(auto_assign=True).assignee == agent


def test_round_robin_takes_turns(db, make_ticket, make_agent, team):
    team.assignment_strategy = AssignmentStrategy.ROUND_ROBIN
    team.save()
    a, b, c = make_agent("a"), make_agent("b"), make_agent("c")

    owners = [make_ticket(auto_assign=True).assignee for _ in range(5)]

    assert owners == [a, b, c, a, b]


def test_manual_teams_leave_tickets_unassigned(db, make_ticket, make_agent, team):
    team.assignment_strategy = AssignmentStrategy.MANUAL
    team.save()
    make_agent("a")

    assert make_ticket(auto_assign=True).assignee is None


def _in_thread(fn):
    """Run fn on its own database connection, closing it afterwards."""

    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_agents_taking_one_ticket_make_one_winner(make_ticket, make_agent):
    agents = [make_agent(f"agent{i}") for i in range(20)]
    ticket = make_ticket()
    barrier = threading.Barrier(20)

    @_in_thread
    def take(agent):
        barrier.wait()
        return ticket_take(ticket=ticket, agent=agent)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(take, agents))

    assert results.count(True) == 1
    ticket.refresh_from_db()
    assert ticket.assignee == agents[results.index(True)]
    assert ticket.events.filter(kind="assigned").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_auto_assignment_fills_agents_by_capacity(
    category, requester, tiers, make_agent
):
    capacities = {"a": 10, "b": 30, "c": 60}
    agents = {name: make_agent(name, capacity=cap) for name, cap in capacities.items()}

    @_in_thread
    def create(i):
        ticket, _ = ticket_create(
            subject=f"Ticket {i}", description="…", category=category, requester=requester
        )
        return ticket.assignee_id

    with ThreadPoolExecutor(max_workers=10) as pool:
        owners = list(pool.map(create, range(100)))

    assert None not in owners
    for name, agent in agents.items():
        assert owners.count(agent.pk) == capacities[name]
        assert Ticket.objects.filter(assignee=agent).count() == capacities[name]

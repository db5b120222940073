"""The SLA sweep in batches: constant queries per batch, every due ticket once, the same
stored clocks a replay gives (bench/sweep.py times it on a million tickets)."""

import gc
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from helpdesk import tasks
from helpdesk.models import Notification, Status, Ticket, TicketEvent
from helpdesk.reports.models import SlaMeasure, TicketOutcome
from helpdesk.reports.services import report_rows_sync
from helpdesk.services import sla_sweep as sla_sweep_module
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.sla_checks import sla_check_of
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import ticket_change_status
from helpdesk.services.timeline import SLA_COLUMNS, sla_columns, sla_state
from statusfeed.models import PublicEvent, ticket_stream
from tests.helpdesk.sla_ops_support import default_escalation_policy

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _default_policy(db):
    default_escalation_policy()


@pytest.fixture
def lead(team, make_agent):
    agent = make_agent("lena")
    team.lead = agent.user
    team.save()
    return agent.user


@pytest.fixture
def make_owned_tickets(make_ticket, make_agent, lead):
    """High-tier tickets created together (one instant), each owned by an agent of the team."""
    grace = make_agent("grace")

    def make(count: int) -> list[Ticket]:
        tickets = [make_ticket(priority="high") for _ in range(count)]
        for ticket in tickets:
            ticket_assign(ticket=ticket, agent=grace, actor=None)
        return tickets

    return make


def sweep_queries(now: datetime) -> int:
    with CaptureQueriesContext(connection) as captured:
        sla_sweep(now=now)
    return len(captured)


def test_the_queries_of_a_sweep_do_not_grow_with_the_tickets_due(clock, make_owned_tickets):
    now = at(2, 10, 30)  # each ticket's first response at 75%, 90% and breached at once
    make_owned_tickets(2)
    few = sweep_queries(now)
    make_owned_tickets(10)

    many = sweep_queries(now)

    assert few == many
    assert Notification.objects.filter(kind="sla_breach").count() == 2 * 12  # owner and lead


def test_every_due_ticket_is_swept_once_across_batches(clock, make_owned_tickets):
    tickets = make_owned_tickets(7)  # created at one instant: their checks are due together
    clock.set(at(2, 9, 46))

    result = sla_sweep(batch_size=3)

    assert sorted(reference for reference, _ in result.warnings) == sorted(
        ticket.reference for ticket in tickets
    )
    assert result.tickets == 7
    assert TicketEvent.objects.filter(kind="sla_warned").count() == 7
    assert TicketEvent.objects.filter(kind="escalated").count() == 7


def test_a_swept_tickets_sla_columns_are_its_replayed_timeline(clock, make_owned_tickets):
    tickets = make_owned_tickets(3)
    clock.set(at(2, 10, 30))

    sla_sweep()

    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]).select_related(
        "team__calendar"
    ):
        stored = {column: getattr(ticket, column) for column in SLA_COLUMNS}
        replayed = sla_state(ticket, now=clock.now())
        assert stored == sla_columns(replayed)
        assert sla_check_of(ticket.pk) == replayed.next_check_at
        assert ticket.sla_breached


def test_a_breach_numbers_the_revised_eta_and_batches_it_for_the_requester(
    clock, make_owned_tickets
):
    waiting, changed = make_owned_tickets(2)
    clock.set(at(2, 10, 29, 30))
    ticket_change_status(ticket=changed, status=Status.OPEN, actor=None)  # opens a batch
    clock.set(at(2, 10, 30))

    sla_sweep()

    for ticket, kinds in [
        (waiting, ["created", "eta_revised"]),
        (changed, ["created", "status_changed", "eta_revised"]),
    ]:
        events = PublicEvent.objects.filter(stream=ticket_stream(ticket.pk)).order_by("seq")
        assert [(e.seq, e.kind) for e in events] == list(enumerate(kinds, start=1))
        emailed = [e.pk for e in events if e.kind != "created"]
        batch = Notification.objects.get(ticket=ticket, kind="public_update")
        assert batch.public_events == emailed  # one email for events within a minute


def report_rows(ticket: Ticket) -> tuple:
    outcome = TicketOutcome.objects.filter(ticket=ticket).values().get()
    measures = list(SlaMeasure.objects.filter(ticket=ticket).order_by("clock", "cycle").values())
    return outcome, [{k: v for k, v in m.items() if k != "id"} for m in measures]


def test_a_swept_tickets_report_rows_are_what_its_replay_gives(clock, make_owned_tickets):
    tickets = make_owned_tickets(2)
    clock.set(at(2, 10, 30))  # first response breached: a target missed while running

    sla_sweep()

    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]).select_related(
        "team__calendar"
    ):
        swept = report_rows(ticket)
        assert swept[0]["breached"]
        assert [(m["clock"], m["met"], m["ended_by"]) for m in swept[1]] == [
            ("first_response", False, "")
        ]
        report_rows_sync(ticket=ticket, state=sla_state(ticket, now=clock.now()))
        assert report_rows(ticket) == swept


def test_a_ticket_stored_before_states_kept_their_marks_is_swept_by_replay(
    clock, make_owned_tickets
):
    ticket = make_owned_tickets(1)[0]
    stored = dict(ticket.sla_state)
    del stored["pending"]
    Ticket.objects.filter(pk=ticket.pk).update(sla_state=stored)
    clock.set(at(2, 10, 30))

    result = sla_sweep()

    assert [(m.clock, m.threshold) for _, m in result.breaches] == [("first_response", 1.0)]
    ticket.refresh_from_db()
    assert ticket.sla_state == sla_columns(sla_state(ticket, now=clock.now()))["sla_state"]
    assert ticket.sla_state["pending"]  # the resolution's marks, kept from now on


def queued_tasks() -> list[str]:
    """The functions of the tasks waiting in the cluster's broker (ORM or Redis), taken off."""
    broker = get_broker()
    funcs = []
    while broker.queue_size():
        for _, payload in broker.dequeue() or []:
            funcs.append(SignedPackage.loads(payload)["func"])
    return funcs


@pytest.mark.parametrize("due, helpers", [(3, 0), (4, 2)])
def test_a_sweep_with_a_backlog_asks_the_other_workers_to_sweep_alongside(
    due, helpers, clock, make_owned_tickets, monkeypatch, settings
):
    """More due than a batch (here 3): two more workers of three join in; fewer: none."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 3}
    monkeypatch.setattr("helpdesk.services.sla_sweep.SWEEP_BATCH", 3)
    get_broker().purge_queue()
    make_owned_tickets(due)
    clock.set(at(2, 9, 46))

    summary = tasks.sweep_sla()

    assert summary.startswith(f"{due} tickets, {due} warnings")  # the asking worker sweeps too
    clock.set(at(2, 9, 47))  # the ORM broker hands out tasks queued before now
    assert queued_tasks().count("helpdesk.tasks.sweep_sla_alongside") == helpers


def test_a_sweep_collects_cycles_less_often_and_puts_the_threshold_back(
    clock, make_owned_tickets, monkeypatch
):
    make_owned_tickets(3)
    clock.set(at(2, 12))
    seen = []
    sweep = sla_sweep_module._sweep
    monkeypatch.setattr(
        sla_sweep_module,
        "_sweep",
        lambda now, batch_size: seen.append(gc.get_threshold()[0]) or sweep(now, batch_size),
    )
    before = gc.get_threshold()

    assert sla_sweep().tickets == 3
    assert seen == [50_000] and gc.get_threshold() == before


def test_overlapping_sweeps_put_the_threshold_back_when_the_last_ends():
    before = gc.get_threshold()
    first, second = (sla_sweep_module._fewer_collections() for _ in range(2))

    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first to start ends first
    during = gc.get_threshold()
    second.__exit__(None, None, None)

    assert during[0] == 50_000 and gc.get_threshold() == before

"""Report rows in the database follow each ticket: ticket_sla_refresh keeps them current."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.models import Status
from helpdesk.reports.models import ReportDirtyDay, SlaMeasure, SlaPause, TicketOutcome
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import (
    ticket_change_priority,
    ticket_change_status,
    ticket_customer_reply,
    ticket_reply,
)

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def measures(ticket) -> dict[str, tuple]:
    return {
        f"{m.clock}#{m.cycle}": (m.met, m.business_seconds, m.missed_by_seconds)
        for m in SlaMeasure.objects.filter(ticket=ticket)
    }


@pytest.fixture
def agent(make_agent):
    return make_agent("grace")


def test_a_new_ticket_has_an_outcome_and_no_decided_targets(clock, make_ticket):
    ticket = make_ticket(channel="email")

    outcome = TicketOutcome.objects.get(ticket=ticket)
    assert (outcome.is_open, outcome.breached, outcome.channel) == (True, False, "email")
    assert outcome.created_at == ticket.created_at
    assert measures(ticket) == {}


def test_reopening_takes_back_the_resolution_outcome_until_resolved_again(
    clock, make_ticket, agent
):
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent.user)
    assert measures(ticket)["resolution#0"] == (True, 3600, None)

    clock.set(at(3, 9))
    ticket_customer_reply(ticket=ticket, body="Still broken.")
    assert "resolution#0" not in measures(ticket)
    assert TicketOutcome.objects.get(ticket=ticket).reopened

    clock.set(at(3, 11))
    ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent.user)
    assert measures(ticket)["resolution#0"] == (True, 3 * 3600, None)
    assert SlaMeasure.objects.get(ticket=ticket, clock="resolution").paused_seconds == 7 * 3600


def test_a_breach_is_missed_before_the_clock_stops(clock, make_ticket, agent):
    ticket = make_ticket(priority="high")
    clock.set(at(2, 10, 30))
    sla_sweep()

    assert measures(ticket) == {"first_response#0": (False, None, None)}
    assert TicketOutcome.objects.get(ticket=ticket).breached

    clock.set(at(2, 11))
    ticket_reply(ticket=ticket, body="Sorry.", public=True, author=agent.user)
    assert measures(ticket) == {"first_response#0": (False, 2 * 3600, 3600)}


def test_a_longer_target_takes_back_a_miss(clock, make_ticket, agent):
    ticket = make_ticket(priority="high")
    clock.set(at(2, 10, 30))
    sla_sweep()

    ticket_change_priority(ticket=ticket, priority="normal", actor=agent.user)

    assert measures(ticket) == {}


def test_rows_follow_the_ticket_to_its_new_owner(clock, make_ticket, agent, make_agent):
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent.user)

    other = make_agent("linus")
    ticket_assign(ticket=ticket, agent=other, actor=None)

    assert TicketOutcome.objects.get(ticket=ticket).agent == other
    assert set(SlaMeasure.objects.filter(ticket=ticket).values_list("agent", flat=True)) == {
        other.pk
    }


def test_pauses_are_recorded_with_who_paused_and_how_soon(clock, make_ticket, agent):
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent.user)
    clock.set(at(2, 11))
    ticket_customer_reply(ticket=ticket, body="Here you are.")
    clock.set(at(2, 11, 3))
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent.user)

    assert list(
        SlaPause.objects.order_by("at").values_list(
            "actor", "ordinal", "after_customer_reply_seconds"
        )
    ) == [(agent.user.pk, 1, None), (agent.user.pk, 2, 180)]


def test_a_refresh_that_changes_nothing_reported_writes_no_report_rows(clock, make_ticket, agent):
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_reply(ticket=ticket, body="Looking.", public=True, author=agent.user)
    clock.set(at(2, 11))

    with CaptureQueriesContext(connection) as queries:
        ticket_reply(ticket=ticket, body="Internal.", public=False, author=agent.user)

    report_tables = (
        "helpdesk_ticketoutcome",
        "helpdesk_slameasure",
        "helpdesk_slapause",
        "helpdesk_reportdirtyday",
    )
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if any(table in q["sql"] for table in report_tables) and not q["sql"].startswith("SELECT")
    ]
    assert writes == []


def test_a_change_marks_the_day_the_ticket_was_created_for_its_rollups(clock, make_ticket, agent):
    ticket = make_ticket()
    ReportDirtyDay.objects.all().delete()
    clock.set(at(4, 10))

    ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent.user)

    assert list(ReportDirtyDay.objects.values_list("day", flat=True)) == [ticket.created_at.date()]


def test_the_day_is_that_of_the_time_zone_setting(clock, make_ticket, settings):
    settings.TIME_ZONE = "Pacific/Honolulu"  # 2 March 09:00 UTC is 1 March 23:00 there
    ticket = make_ticket()

    assert ticket.created_at == at(2, 9)
    assert list(ReportDirtyDay.objects.values_list("day", flat=True)) == [date(2026, 3, 1)]

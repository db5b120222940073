"""SLA clocks on real tickets: pauses, holidays, re-targeting, reopening, warnings."""

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.models import Holiday, SlaPolicy, Status, Ticket, TicketEvent
from helpdesk.services.sla_checks import sla_check_of
from helpdesk.services.sla_policies import calendar_reapply, sla_policy_save
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import (
    ticket_change_priority,
    ticket_change_status,
    ticket_customer_reply,
    ticket_reply,
)
from helpdesk.services.timeline import sla_columns, sla_state

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in March 2026 (2 March is a Monday)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.values_list("kind", flat=True))


def test_new_ticket_gets_due_times_on_business_hours(clock, make_ticket):
    ticket = make_ticket()

    assert ticket.first_response_due == at(2, 13)
    assert ticket.next_update_due == at(2, 13)
    assert ticket.resolution_due == at(4, 17)  # 24 business hours: Mon, Tue, Wed


def test_waiting_on_customer_pauses_resolution_not_first_response(clock, make_ticket):
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket = ticket_change_status(ticket=ticket, status=Status.PENDING, actor=None)

    assert ticket.resolution_paused
    assert ticket.resolution_due is None
    assert ticket.first_response_due == at(2, 13)
    assert ticket.sla_state["clocks"]["resolution"]["remaining"] == 23 * 3600


def test_resuming_adds_the_paused_business_time_to_the_deadline(clock, make_ticket):
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=None)
    clock.set(at(3, 10))
    ticket_customer_reply(ticket=ticket, body="Here are the logs.")
    ticket.refresh_from_db()

    assert ticket.status == Status.OPEN
    assert not ticket.resolution_paused
    # Paused Mon 10–17 and Tue 9–10: 8 business hours on top of 24.
    assert ticket.resolution_due == at(5, 17)
    assert {"sla_paused", "sla_resumed"} <= set(kinds(ticket))


def test_a_holiday_inside_a_pause_adds_no_paused_time(clock, make_ticket, office):
    Holiday.objects.create(calendar=office, date=at(3, 0).date(), name="Tuesday off")
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=None)
    clock.set(at(4, 10))
    ticket_customer_reply(ticket=ticket, body="Back from the holiday.")
    ticket.refresh_from_db()

    # Paused Mon 10–17 and Wed 9–10 (Tue is no business time): 32 hours from Monday 09:00
    # on Mon, Wed, Thu, Fri.
    assert ticket.sla_state["clocks"]["resolution"]["paused"] == 8 * 3600
    assert ticket.resolution_due == at(6, 17)


def test_raising_priority_retargets_from_the_start(clock, make_ticket):
    ticket = make_ticket()
    clock.set(at(2, 11))
    ticket = ticket_change_priority(ticket=ticket, priority="high", actor=None)

    assert ticket.resolution_due == at(2, 17)  # 8 business hours from Monday 09:00
    assert ticket.first_response_due == at(2, 10)


def test_priority_change_while_paused_counts_paused_time(clock, make_ticket):
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=None)
    clock.set(at(2, 12))
    ticket = ticket_change_priority(ticket=ticket, priority="high", actor=None)

    assert ticket.resolution_due is None
    assert ticket.sla_state["clocks"]["resolution"]["remaining"] == 7 * 3600

    clock.set(at(2, 14))
    ticket = ticket_change_status(ticket=ticket, status=Status.OPEN, actor=None)
    # start + 8 h (high) + 4 h paused = Tuesday 13:00.
    assert ticket.resolution_due == at(3, 13)


def test_policy_edit_recomputes_open_tickets_only(clock, make_ticket):
    first, second, done = make_ticket(), make_ticket(), make_ticket()
    clock.set(at(2, 9, 30))
    ticket_change_status(ticket=done, status=Status.RESOLVED, actor=None)
    policy = SlaPolicy.objects.get(priority="normal", category=None, contact=None)
    clock.set(at(2, 10))

    policy.resolution = timedelta(hours=16)
    changed = sla_policy_save(policy=policy)

    assert changed == 2
    assert policy.version == 2
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.resolution_due == at(3, 17)
    assert done.events.filter(kind="sla_policy_applied").count() == 1


def test_policy_edit_is_replayable(clock, make_ticket):
    ticket = make_ticket()
    policy = SlaPolicy.objects.get(priority="normal", category=None, contact=None)
    clock.set(at(2, 10))
    policy.first_response = timedelta(hours=2)
    sla_policy_save(policy=policy)
    ticket.refresh_from_db()

    replayed = sla_state(ticket, now=clock.now())
    assert replayed.clocks["first_response"].due_at == ticket.first_response_due == at(2, 11)


def test_category_override_beats_the_tier(clock, make_ticket, category):
    SlaPolicy.objects.create(category=category, resolution=timedelta(hours=2))
    ticket = make_ticket()

    assert ticket.resolution_due == at(2, 11)
    assert ticket.first_response_due == at(2, 13)  # still the tier's


def test_customer_override_beats_the_category(clock, make_ticket, category, requester):
    SlaPolicy.objects.create(category=category, resolution=timedelta(hours=2))
    SlaPolicy.objects.create(contact=requester, resolution=timedelta(hours=1))
    ticket = make_ticket()

    assert ticket.resolution_due == at(2, 10)


def test_reopening_resumes_instead_of_breaching(clock, make_ticket):
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=None)
    clock.set(at(16, 9))  # two weeks later
    ticket_customer_reply(ticket=ticket, body="It is broken again.")
    ticket.refresh_from_db()

    assert ticket.status == Status.OPEN
    assert not ticket.sla_breached
    assert ticket.sla_state["clocks"]["resolution"]["remaining"] == 23 * 3600
    assert ticket.resolution_due == at(18, 16)  # 23 h from Monday 09:00
    assert sla_sweep().breaches == []


def test_first_public_reply_meets_first_response(clock, make_ticket, make_agent):
    agent = make_agent("grace")
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_reply(ticket=ticket, body="Looking into it.", public=True, author=agent.user)
    ticket.refresh_from_db()

    assert ticket.status == Status.OPEN
    assert ticket.first_responded_at == at(2, 10)
    assert ticket.sla_state["clocks"]["first_response"]["state"] == "met"
    assert ticket.next_update_due == at(5, 10)  # cadence: 24 business hours later
    assert "sla_met" in kinds(ticket)


def test_internal_note_does_not_meet_first_response(clock, make_ticket, make_agent):
    agent = make_agent("grace")
    ticket = make_ticket()
    clock.set(at(2, 10))
    ticket_reply(ticket=ticket, body="Customer seems upset.", public=False, author=agent.user)
    ticket.refresh_from_db()

    assert ticket.first_responded_at is None
    assert ticket.sla_state["clocks"]["first_response"]["state"] == "running"


def test_late_public_updates_are_counted_late(clock, make_ticket, make_agent):
    agent = make_agent("grace")
    ticket = make_ticket(priority="high")  # updates every 4 business hours
    clock.set(at(2, 9, 30))
    ticket_reply(ticket=ticket, body="On it.", public=True, author=agent.user)
    clock.set(at(2, 13))
    ticket_reply(ticket=ticket, body="Found it.", public=True, author=agent.user)
    clock.set(at(3, 10))  # 5 business hours after 13:00
    ticket_reply(ticket=ticket, body="Fixed soon.", public=True, author=agent.user)
    ticket.refresh_from_db()

    assert ticket.sla_state["updates_on_time"] == 1
    assert ticket.sla_state["updates_late"] == 1


def test_warnings_and_breach_are_recorded_once(clock, make_ticket):
    ticket = make_ticket(priority="high")  # first response within 1 business hour

    clock.set(at(2, 9, 46))
    first = sla_sweep()
    again = sla_sweep()
    clock.set(at(2, 10, 30))
    later = sla_sweep()
    last = sla_sweep()

    assert [(m.clock, m.threshold) for _, m in first.warnings] == [("first_response", 0.75)]
    assert again.warnings == again.breaches == []
    assert [(m.clock, m.threshold) for _, m in later.warnings] == [("first_response", 0.9)]
    assert [(m.clock, m.threshold) for _, m in later.breaches] == [("first_response", 1.0)]
    assert last.warnings == last.breaches == []
    events = TicketEvent.objects.filter(ticket=ticket, kind__in=["sla_warned", "sla_breached"])
    assert events.count() == 3
    ticket.refresh_from_db()
    assert ticket.sla_breached
    assert ticket.sla_state["clocks"]["first_response"]["missed_by"] == 30 * 60


def test_a_paused_ticket_never_breaches_resolution(clock, make_ticket, make_agent):
    agent = make_agent("grace")
    ticket = make_ticket()
    ticket_reply(ticket=ticket, body="Need your logs.", public=True, author=agent.user)
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=agent.user)
    clock.set(at(30, 9))

    result = sla_sweep()

    assert [m.clock for _, m in result.breaches] == []
    ticket.refresh_from_db()
    assert not ticket.sla_breached


def test_sweep_skips_tickets_not_due(clock, make_ticket, django_assert_max_num_queries):
    make_ticket()
    clock.set(at(2, 9, 30))
    with django_assert_max_num_queries(3):
        result = sla_sweep()
    assert result.tickets == 0


def test_a_holiday_added_later_moves_open_tickets_deadlines_and_warnings(
    clock, make_ticket, office
):
    ticket, done = make_ticket(), make_ticket()
    ticket_change_status(ticket=done, status=Status.RESOLVED, actor=None)
    due, warning_at = ticket.first_response_due, sla_check_of(ticket.pk)
    clock.set(at(2, 9, 10))
    Holiday.objects.create(calendar=office, date=at(2, 0).date())  # today, declared late

    moved = calendar_reapply(calendar_id=office.pk)

    ticket.refresh_from_db()
    assert moved == 1  # the resolved ticket keeps its history
    assert ticket.first_response_due > due and sla_check_of(ticket.pk) > warning_at
    assert ticket.sla_state == sla_columns(sla_state(ticket, now=clock.now()))["sla_state"]
    clock.set(warning_at + timedelta(minutes=1))
    assert sla_sweep().warnings == []  # the old instant is not acted on

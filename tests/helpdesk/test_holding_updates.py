"""Holding updates: posted by the sweep when the public update cadence would be missed."""

from datetime import UTC, datetime

import pytest
from django_q.conf import Conf

from helpdesk.models import EscalationPolicy, Message, Status, TicketEvent
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import ticket_change_status, ticket_reply
from helpdesk.tasks import deliver_due
from statusfeed.models import PublicEvent, ticket_stream
from tests.mailserver import SmtpServer, text_of

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def grace(make_agent):
    return make_agent("grace")


@pytest.fixture
def answered(clock, make_ticket, grace):
    """A high-tier ticket first answered at 09:30: the next update is due by 13:30 (4 h),
    its last warning (90%) comes at 13:06."""
    ticket = make_ticket(priority="high")
    clock.set(at(2, 9, 30))
    ticket_reply(ticket=ticket, body="Looking into it.", public=True, author=grace.user)
    return ticket


@pytest.fixture
def enabled(team):
    return EscalationPolicy.objects.create(team=team, holding_updates=True)


def holding_updates(ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind="public_reply", data__holding=True))


def test_a_holding_update_is_posted_at_the_last_warning(clock, answered, enabled):
    clock.set(at(2, 12, 31))  # 75%: not yet
    sla_sweep()
    assert holding_updates(answered) == []

    clock.set(at(2, 13, 7))
    result = sla_sweep()

    assert result.holding_updates == [answered.reference]
    message = Message.objects.filter(ticket=answered).latest("pk")
    assert message.author is None
    assert message.kind == Message.Kind.PUBLIC_REPLY
    assert message.body == "Still working on it; next update by Tue 3 Mar, 09:07 UTC."
    answered.refresh_from_db()
    assert answered.next_update_due == at(3, 9, 7)  # 4 business hours after 13:07


def test_a_holding_update_reaches_the_progress_page(clock, answered, enabled):
    clock.set(at(2, 13, 7))
    sla_sweep()

    event = PublicEvent.objects.filter(stream=ticket_stream(answered.pk)).latest("seq")
    assert event.kind == "sla_warning"
    assert event.payload["message"].startswith("Still working on it")
    assert event.payload["next_update_due"] == at(3, 9, 7).isoformat()


def test_a_timely_holding_update_counts_on_time(clock, answered, enabled):
    clock.set(at(2, 13, 7))
    sla_sweep()

    [update] = holding_updates(answered)
    assert update.data["on_time"] is True
    assert update.data["due_at"] == at(2, 13, 30).isoformat()
    answered.refresh_from_db()
    assert (answered.sla_state["updates_on_time"], answered.sla_state["updates_late"]) == (1, 0)
    assert not answered.sla_breached


def test_a_late_sweep_posts_the_update_late_and_counts_it_late(clock, answered, enabled):
    clock.set(at(2, 14))  # past the 13:30 promise

    sla_sweep()

    [update] = holding_updates(answered)
    assert update.data["on_time"] is False
    answered.refresh_from_db()
    assert (answered.sla_state["updates_on_time"], answered.sla_state["updates_late"]) == (0, 1)
    assert answered.sla_breached
    kinds = PublicEvent.objects.filter(stream=ticket_stream(answered.pk)).order_by("seq")
    assert list(kinds.values_list("kind", flat=True))[-2:] == ["sla_warning", "eta_revised"]


def test_no_holding_update_unless_the_team_enables_it(clock, answered):
    clock.set(at(2, 13, 7))

    result = sla_sweep()

    assert result.holding_updates == []
    assert holding_updates(answered) == []


def test_no_holding_update_while_waiting_on_the_customer(clock, answered, enabled, grace):
    ticket_change_status(ticket=answered, status=Status.PENDING, actor=grace.user)
    clock.set(at(2, 13, 7))

    sla_sweep()

    assert holding_updates(answered) == []


def test_holding_updates_keep_the_cadence_while_nobody_answers(clock, answered, enabled):
    clock.set(at(2, 13, 7))
    sla_sweep()
    clock.set(at(2, 16, 44))  # 90% of the next 4 business hours from 13:07
    sla_sweep()

    assert [u.at for u in holding_updates(answered)] == [at(2, 13, 7), at(2, 16, 44)]


def test_the_requester_is_emailed_the_holding_update(
    clock, answered, enabled, settings, monkeypatch
):
    smtp = SmtpServer()
    smtp.start()
    smtp.configure(settings)
    monkeypatch.setattr(Conf, "SYNC", True)
    try:
        clock.set(at(2, 9, 31, 1))
        deliver_due()  # the earlier news
        clock.set(at(2, 13, 7))
        sla_sweep()
        clock.set(at(2, 13, 8, 1))
        deliver_due()
    finally:
        smtp.stop()

    latest = smtp.to("ada@example.com")[-1]
    assert latest["Subject"] == f"[{answered.reference}] Still working on it"
    assert "Still working on it; next update by Tue 3 Mar, 09:07 UTC." in text_of(latest)

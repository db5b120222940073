import pytest

from helpdesk.models import Status
from helpdesk.services.tickets import ticket_change_status, ticket_customer_reply
from helpdesk.workflow import InvalidTransition, check_transition


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("new", "open"),
        ("open", "pending"),
        ("pending", "open"),
        ("resolved", "open"),
        ("on_hold", "resolved"),
    ],
)
def test_allowed_transitions_pass(current, new):
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("closed", "open"),
        ("resolved", "pending"),
        ("open", "new"),
        ("open", "open"),
        ("open", "bogus"),
    ],
)
def test_forbidden_transitions_raise(current, new):
    with pytest.raises(InvalidTransition):
        check_transition(current, new)


def test_an_invalid_change_leaves_the_ticket_untouched(clock, make_ticket):
    ticket = make_ticket()
    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)

    with pytest.raises(InvalidTransition):
        ticket_change_status(ticket=ticket, status=Status.OPEN, actor=None)

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.events.filter(kind="status_changed").count() == 1


def test_a_customer_reply_reopens_a_resolved_ticket(clock, make_ticket):
    ticket = make_ticket()
    ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=None)

    ticket_customer_reply(ticket=ticket, body="Still broken")

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_closed_ticket_takes_no_customer_reply(clock, make_ticket):
    ticket = make_ticket()
    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)

    with pytest.raises(ValueError, match="closed"):
        ticket_customer_reply(ticket=ticket, body="Hello?")


def test_the_timeline_is_append_only(clock, make_ticket):
    event = make_ticket().events.first()
    event.data = {"tampered": True}

    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()

"""The admin: ticket lists stay cheap, and every change an agent makes goes through a service."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from helpdesk.models import Agent, SlaPolicy, Status, Team, Ticket, TicketEvent
from helpdesk.services.tickets import ticket_change_status, ticket_reply

pytestmark = pytest.mark.django_db


def changelist_url() -> str:
    return reverse("admin:helpdesk_ticket_changelist")


def change_url(ticket: Ticket) -> str:
    return reverse("admin:helpdesk_ticket_change", args=[ticket.pk])


def unchanged_form(response) -> dict:
    """What the change page posts back when nothing is edited."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        data[name] = "" if value is None else value
        if field.show_hidden_initial:
            data[f"initial-{name}"] = data[name]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def post_change(client, ticket: Ticket, **changes):
    data = unchanged_form(client.get(change_url(ticket)))
    data.update(changes)
    return client.post(change_url(ticket), data)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_agent(admin_user, team) -> Agent:
    agent = Agent.objects.create(user=admin_user, is_available=False)
    agent.teams.add(team)
    return agent


def test_ticket_changelist_queries_do_not_grow_with_tickets(
    admin_client, clock, make_ticket, make_agent, django_assert_max_num_queries
):
    make_agent("grace", capacity=30)
    make_agent("linus", capacity=30)
    for _ in range(3):
        make_ticket(auto_assign=True)
    admin_client.get(changelist_url())  # warm per-process caches (content types, ...)

    def count() -> int:
        with django_assert_max_num_queries(15) as queries:
            response = admin_client.get(changelist_url())
        assert response.status_code == 200
        return len(queries)

    few = count()
    for _ in range(27):
        make_ticket(auto_assign=True)
    many = count()

    assert few == many
    assert Ticket.objects.filter(assignee__isnull=False).count() == 30


def test_ticket_changelist_shows_the_sla_state(admin_client, clock, make_ticket):
    ticket = make_ticket()
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=None)

    response = admin_client.get(changelist_url())

    assert ticket.reference in response.text
    assert "paused" in response.text


def test_ticket_change_page_renders(admin_client, clock, make_ticket):
    ticket = make_ticket()

    response = admin_client.get(change_url(ticket))

    assert response.status_code == 200
    assert ticket.reference in response.text
    assert "Printer on fire" in response.text


def test_changing_status_in_the_admin_records_it_on_the_timeline(
    admin_client, admin_user, clock, make_ticket
):
    ticket = make_ticket()

    response = post_change(admin_client, ticket, status=Status.PENDING)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.resolution_paused
    event = ticket.events.get(kind=TicketEvent.Kind.STATUS_CHANGED)
    assert event.data == {"from": "new", "to": "pending"}
    assert event.actor == admin_user


def test_changing_priority_in_the_admin_retargets_the_sla(admin_client, clock, make_ticket):
    ticket = make_ticket()
    normal_due = ticket.resolution_due

    post_change(admin_client, ticket, priority="high")

    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert ticket.resolution_due < normal_due
    assert ticket.events.filter(kind=TicketEvent.Kind.PRIORITY_CHANGED).exists()


def test_an_invalid_transition_is_a_form_error(admin_client, clock, make_ticket):
    ticket = make_ticket()
    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)

    response = post_change(admin_client, ticket, status=Status.OPEN)

    assert response.status_code == 200
    assert "cannot go from closed to open" in response.text
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_saving_the_form_keeps_a_change_made_meanwhile(admin_client, clock, make_ticket):
    ticket = make_ticket()
    data = unchanged_form(admin_client.get(change_url(ticket)))
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=None)  # someone else

    data["priority"] = "high"
    admin_client.post(change_url(ticket), data)

    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.priority == "high"


def test_assigning_outside_the_team_is_a_form_error(
    admin_client, clock, make_ticket, make_agent, office
):
    other = Team.objects.create(name="Other", slug="other-team", calendar=office)
    outsider = make_agent("mallory", teams=[other])
    ticket = make_ticket()

    response = post_change(admin_client, ticket, assignee=outsider.pk)

    assert response.status_code == 200
    assert "is not in the Test team team" in response.text
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_adding_a_ticket_opens_it_through_the_service(admin_client, clock, category, tiers):
    response = admin_client.post(
        reverse("admin:helpdesk_ticket_add"),
        {
            "subject": "Caller cannot log in",
            "description": "Phoned in at 9:00.",
            "category": category.pk,
            "priority": "",
            "team": "",
            "requester": "",
            "audience": "customer",
            "channel": "phone",
        },
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.team == category.team
    assert ticket.priority == category.default_priority
    assert ticket.resolution_due is not None
    assert ticket.events.filter(kind=TicketEvent.Kind.CREATED).exists()
    assert any("/status/t/" in message for message in messages_of(response))


def test_take_it_assigns_the_ticket_to_the_agent(admin_client, admin_agent, clock, make_ticket):
    ticket = make_ticket()

    response = admin_client.post(
        changelist_url(), {"action": "take", "_selected_action": [ticket.pk]}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == admin_agent


def test_take_it_reports_a_ticket_that_already_has_an_owner(
    admin_client, admin_agent, clock, make_ticket, make_agent
):
    owner = make_agent("grace")
    ticket = make_ticket()
    post_change(admin_client, ticket, assignee=owner.pk)

    response = admin_client.post(
        changelist_url(), {"action": "take", "_selected_action": [ticket.pk]}, follow=True
    )

    assert f"{ticket.reference} has an owner or is done." in messages_of(response)
    ticket.refresh_from_db()
    assert ticket.assignee == owner


def test_mark_resolved_reports_tickets_it_cannot_resolve(admin_client, clock, make_ticket):
    open_ticket, closed = make_ticket(), make_ticket()
    ticket_change_status(ticket=closed, status=Status.CLOSED, actor=None)

    response = admin_client.post(
        changelist_url(),
        {"action": "mark_resolved", "_selected_action": [open_ticket.pk, closed.pk]},
        follow=True,
    )

    assert response.status_code == 200
    open_ticket.refresh_from_db()
    assert open_ticket.status == Status.RESOLVED
    assert any(
        message.startswith(f"{closed.reference}: A ticket cannot go from closed")
        for message in messages_of(response)
    )


def test_searching_by_reference_finds_the_ticket(admin_client, clock, make_ticket):
    wanted, other = make_ticket(subject="Wanted"), make_ticket(subject="Other")

    response = admin_client.get(changelist_url(), {"q": wanted.reference})

    assert list(response.context["cl"].result_list) == [wanted]
    assert other.reference not in response.text


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

    response = admin_client.post(
        reverse("admin:helpdesk_slapolicy_change", args=[policy.pk]), data
    )

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


def test_ticket_change_page_queries_do_not_grow_with_the_timeline(
    admin_client, clock, make_ticket, make_agent, django_assert_max_num_queries
):
    agent = make_agent("grace")
    ticket = make_ticket()
    admin_client.get(change_url(ticket))  # warm per-process caches

    def count() -> int:
        with django_assert_max_num_queries(20) as queries:
            response = admin_client.get(change_url(ticket))
        assert response.status_code == 200
        return len(queries)

    few = count()
    for number in range(10):
        ticket_reply(ticket=ticket, body=f"Update {number}", public=True, author=agent.user)
    many = count()

    assert few == many

"""The agents' workspace in the admin: queues, actions, macros, the ticket page, collisions
and the permission boundary between teams."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpdesk.models import Attachment, Macro, Status, Team, Ticket, TicketEvent
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.attachments import attachment_check
from helpdesk.services.tickets import ticket_change_status, ticket_customer_reply, ticket_reply
from statusfeed.models import PublicIssue, PublicIssueLink
from statusfeed.services import public_issue_create

pytestmark = pytest.mark.django_db


def changelist_url() -> str:
    return reverse("admin:helpdesk_ticket_changelist")


def change_url(ticket: Ticket) -> str:
    return reverse("admin:helpdesk_ticket_change", args=[ticket.pk])


def unchanged_form(response) -> dict:
    """What the change page posts back when nothing is edited."""
    form = response.context["adminform"].form
    return {
        name: ("" if form[name].value() is None else form[name].value()) for name in form.fields
    }


def post_change(client, ticket: Ticket, **changes):
    data = unchanged_form(client.get(change_url(ticket)))
    data.update(changes)
    return client.post(change_url(ticket), data)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed(response) -> list[Ticket]:
    return list(response.context["cl"].result_list)


def act(client, action: str, tickets, *, query: str = "", **fields):
    data = {"action": action, "_selected_action": [t.pk for t in tickets], **fields}
    return client.post(changelist_url() + query, data, follow=True)


@pytest.fixture
def other_team(office):
    return Team.objects.create(name="Other team", slug="other-team", calendar=office)


@pytest.fixture
def grace(make_agent):
    return make_agent("grace")


@pytest.fixture
def agent_client(client, grace):
    client.force_login(grace.user)
    return client


@pytest.fixture
def their_ticket(make_ticket, other_team):
    return make_ticket(team=other_team, subject="Their secret")


# --- queues ------------------------------------------------------------------------------


def test_my_tickets_lists_only_mine_most_urgent_first(agent_client, clock, grace, make_ticket):
    later = make_ticket(subject="later")
    sooner = make_ticket(subject="sooner", priority="high")
    make_ticket(subject="unassigned")
    for ticket in (later, sooner):
        ticket_assign(ticket=ticket, agent=grace, actor=None)

    response = agent_client.get(changelist_url(), {"queue": "mine"})

    assert [t.subject for t in listed(response)] == ["sooner", "later"]
    assert "My tickets (2)" in response.text


def test_unassigned_lists_open_tickets_without_owner(agent_client, clock, grace, make_ticket):
    free = make_ticket(subject="free")
    ticket_assign(ticket=make_ticket(subject="owned"), agent=grace, actor=None)
    ticket_change_status(ticket=make_ticket(subject="done"), status=Status.RESOLVED, actor=None)

    response = agent_client.get(changelist_url(), {"queue": "unassigned"})

    assert listed(response) == [free]


def test_breaching_soon_and_breached_follow_the_sla_clock(agent_client, clock, make_ticket):
    from helpdesk.services.sla_sweep import sla_sweep

    urgent = make_ticket(priority="high")  # first response due in 1 business hour
    relaxed = make_ticket()  # first response due in 4 business hours

    clock.set(clock.now() + timedelta(minutes=30))
    soon = agent_client.get(changelist_url(), {"queue": "breaching"})
    clock.set(clock.now() + timedelta(hours=1))
    sla_sweep()
    breached = agent_client.get(changelist_url(), {"queue": "breached"})

    assert listed(soon) == [urgent]
    assert listed(breached) == [urgent]
    assert relaxed not in listed(breached)
    assert "missed by 30m" in breached.text


def test_waiting_on_customer_shows_paused_tickets(agent_client, clock, make_ticket):
    waiting = make_ticket()
    ticket_change_status(ticket=waiting, status=Status.PENDING, actor=None)
    make_ticket()

    response = agent_client.get(changelist_url(), {"queue": "waiting"})

    assert listed(response) == [waiting]
    assert "paused" in response.text


def test_team_queue_offers_only_my_teams(agent_client, clock, make_ticket, team, other_team):
    mine = make_ticket()

    response = agent_client.get(changelist_url(), {"team": team.pk})

    assert listed(response) == [mine]
    assert other_team.name not in response.text


def test_done_tickets_leave_the_queue_unless_asked_for(agent_client, clock, make_ticket):
    done = make_ticket()
    ticket_change_status(ticket=done, status=Status.RESOLVED, actor=None)
    open_ticket = make_ticket()

    assert listed(agent_client.get(changelist_url())) == [open_ticket]
    assert listed(agent_client.get(changelist_url(), {"status__exact": "resolved"})) == [done]


def test_default_order_is_the_next_sla_due(agent_client, clock, make_ticket):
    normal = make_ticket()
    high = make_ticket(priority="high")

    assert listed(agent_client.get(changelist_url())) == [high, normal]


# --- actions -----------------------------------------------------------------------------


def test_take_it_assigns_the_ticket_to_me(agent_client, clock, grace, make_ticket):
    ticket = make_ticket()

    act(agent_client, "take", [ticket])

    ticket.refresh_from_db()
    assert ticket.assignee == grace


def test_take_it_reports_a_ticket_that_already_has_an_owner(
    agent_client, clock, make_ticket, make_agent
):
    owner = make_agent("linus")
    ticket = make_ticket()
    ticket_assign(ticket=ticket, agent=owner, actor=None)

    response = act(agent_client, "take", [ticket])

    assert f"{ticket.reference}: it has an owner or is done" in messages_of(response)
    ticket.refresh_from_db()
    assert ticket.assignee == owner


def test_assign_to_a_chosen_agent_in_bulk(agent_client, clock, make_ticket, make_agent):
    linus = make_agent("linus")
    tickets = [make_ticket(), make_ticket()]

    act(agent_client, "assign_to", tickets, agent=linus.pk)

    assert {t.assignee_id for t in Ticket.objects.all()} == {linus.pk}
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 2


def test_change_status_in_bulk_reports_what_it_cannot_do(agent_client, clock, make_ticket):
    open_ticket, closed = make_ticket(), make_ticket()
    ticket_change_status(ticket=closed, status=Status.CLOSED, actor=None)

    # A search shows done tickets too, so both can be selected.
    response = act(
        agent_client, "change_status", [open_ticket, closed], query="?q=Printer", status="resolved"
    )

    open_ticket.refresh_from_db()
    assert open_ticket.status == Status.RESOLVED
    assert any(
        m.startswith(f"{closed.reference}: A ticket cannot go") for m in messages_of(response)
    )


def test_an_action_without_its_choice_says_what_is_missing(agent_client, clock, make_ticket):
    ticket = make_ticket()

    response = act(agent_client, "change_priority", [ticket])

    assert "Choose a priority next to the action first." in messages_of(response)
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_change_priority_in_bulk_retargets_the_sla(agent_client, clock, make_ticket):
    ticket = make_ticket()
    before = ticket.resolution_due

    act(agent_client, "change_priority", [ticket], priority="high")

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.resolution_due < before) == ("high", True)


def test_link_to_a_public_issue_in_bulk(agent_client, clock, make_ticket):
    issue = public_issue_create(
        title="Login outage", kind="incident", status="investigating", body="", author=None
    )
    tickets = [make_ticket(), make_ticket()]

    act(agent_client, "link_public_issue", tickets, public_issue=issue.pk)

    assert PublicIssueLink.objects.filter(issue=issue).count() == 2


def test_merge_closes_the_newer_tickets_into_the_oldest(agent_client, clock, make_ticket):
    oldest = make_ticket(subject="first report")
    clock.set(clock.now() + timedelta(minutes=5))
    duplicate = make_ticket(subject="same thing")

    act(agent_client, "merge", [duplicate, oldest])

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.CLOSED, oldest)
    assert oldest.messages.get().body.startswith(f"Merged {duplicate.reference}")
    assert oldest.events.filter(kind=TicketEvent.Kind.MERGED).exists()


# --- the ticket page ---------------------------------------------------------------------


def test_the_page_tells_internal_notes_from_public_replies(agent_client, clock, grace, make_ticket):
    ticket = make_ticket()
    ticket_reply(ticket=ticket, body="Visible answer", public=True, author=grace.user)
    ticket_reply(ticket=ticket, body="Between us", public=False, author=grace.user)

    html = agent_client.get(change_url(ticket)).text

    assert 'class="entry-public_reply"' in html
    assert 'class="entry-internal_note"' in html
    assert "Internal note · not visible to the customer" in html
    assert html.index("Between us") < html.index("Visible answer")  # newest first


def test_reply_form_posts_a_public_reply_or_an_internal_note(agent_client, clock, make_ticket):
    ticket = make_ticket()
    url = reverse("admin:helpdesk_ticket_reply", args=[ticket.pk])

    agent_client.post(url, {"body": "On it", "visibility": "public"})
    agent_client.post(url, {"body": "Check logs", "visibility": "internal"})

    kinds = list(ticket.messages.order_by("pk").values_list("kind", "body"))
    assert kinds == [("public_reply", "On it"), ("internal_note", "Check logs")]
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_reply_with_a_refused_file_keeps_the_text(agent_client, clock, make_ticket):
    ticket = make_ticket()
    url = reverse("admin:helpdesk_ticket_reply", args=[ticket.pk])

    response = agent_client.post(
        url,
        {
            "body": "Draft",
            "visibility": "public",
            "files": [SimpleUploadedFile("x.exe", b"MZ")],
        },
    )

    assert response.status_code == 200
    assert "this type of file is not accepted" in response.text
    assert "Draft" in response.text
    assert not ticket.messages.exists()


def test_a_macro_fills_its_placeholders(agent_client, clock, make_ticket, team):
    ticket = make_ticket()
    macro = Macro.objects.create(
        name="Looking", team=team, body="Hi {requester_name}, {reference} is with {team}. {odd}"
    )

    response = agent_client.get(change_url(ticket), {"macro": macro.pk})

    body = response.context["reply_form"].initial["body"]
    assert body == f"Hi Ada, {ticket.reference} is with Test team. {{odd}}"


def test_another_teams_macro_is_not_offered(agent_client, clock, make_ticket, other_team):
    ticket = make_ticket()
    Macro.objects.create(name="Billing only", team=other_team, body="x")
    Macro.objects.create(name="Everyone", team=None, body="y")

    response = agent_client.get(change_url(ticket))

    assert [m.name for m in response.context["macros"]] == ["Everyone"]


def test_rotate_link_issues_a_new_one(agent_client, clock, make_ticket_link):
    ticket, token = make_ticket_link()

    response = agent_client.post(
        reverse("admin:helpdesk_ticket_rotate_link", args=[ticket.pk]), follow=True
    )

    assert agent_client.get(f"/status/t/{token}/").status_code == 404
    new = next(m for m in messages_of(response) if "/status/t/" in m)
    assert (
        agent_client.get(new[new.index("/status/t/") :].split()[0].rstrip(".")).status_code == 200
    )


def test_the_requesters_other_tickets_are_listed(agent_client, clock, make_ticket, their_ticket):
    ticket, _ = make_ticket(), make_ticket(subject="Earlier problem")

    html = agent_client.get(change_url(ticket)).text

    assert "Earlier problem" in html
    assert "Their secret" not in html  # same requester, but another team's ticket


def test_saving_a_ticket_changed_meanwhile_is_refused(agent_client, clock, make_ticket):
    ticket = make_ticket()
    data = unchanged_form(agent_client.get(change_url(ticket)))
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=None)  # someone else

    data["priority"] = "high"
    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert "was changed by someone else since you opened it" in response.text
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.PENDING, "normal")


def test_saving_an_unchanged_version_applies_the_change(agent_client, clock, make_ticket):
    ticket = make_ticket()

    response = post_change(agent_client, ticket, status=Status.PENDING)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.events.get(kind=TicketEvent.Kind.STATUS_CHANGED).data == {
        "from": "new",
        "to": "pending",
    }


def test_an_invalid_transition_is_a_form_error(agent_client, clock, make_ticket):
    ticket = make_ticket()
    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)

    response = post_change(agent_client, ticket, status=Status.OPEN)

    assert "cannot go from closed to open" in response.text


def test_adding_a_ticket_opens_it_through_the_service(agent_client, clock, category):
    response = agent_client.post(
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
        follow=True,
    )

    ticket = Ticket.objects.get()
    assert ticket.team == category.team and ticket.resolution_due is not None
    assert any("/status/t/" in message for message in messages_of(response))


def test_searching_by_reference_finds_the_ticket(agent_client, clock, make_ticket):
    wanted, _ = make_ticket(subject="Wanted"), make_ticket(subject="Other")

    assert listed(agent_client.get(changelist_url(), {"q": wanted.reference})) == [wanted]


# --- the boundary between teams ----------------------------------------------------------


def test_another_teams_ticket_is_not_listed(agent_client, clock, make_ticket, their_ticket):
    mine = make_ticket()

    assert listed(agent_client.get(changelist_url())) == [mine]


def test_another_teams_ticket_page_is_404(agent_client, clock, their_ticket):
    assert agent_client.get(change_url(their_ticket)).status_code == 404
    assert agent_client.post(change_url(their_ticket), {"status": "closed"}).status_code == 404


@pytest.mark.parametrize("name", ["helpdesk_ticket_reply", "helpdesk_ticket_rotate_link"])
def test_another_teams_ticket_actions_are_404(agent_client, clock, their_ticket, name):
    response = agent_client.post(reverse(f"admin:{name}", args=[their_ticket.pk]), {"body": "x"})

    assert response.status_code == 404
    assert not their_ticket.messages.exists()


def test_another_teams_attachment_is_404(agent_client, clock, their_ticket, make_agent, other_team):
    note = ticket_reply(ticket=their_ticket, body="f", public=False, author=None)
    attachment = Attachment.objects.create(
        message=note, file="attachments/x", filename="a.txt", content_type="text/plain", size=1
    )
    url = reverse("admin:helpdesk_ticket_attachment", args=[their_ticket.pk, attachment.pk])

    assert agent_client.get(url).status_code == 404


def test_bulk_actions_skip_another_teams_ticket(agent_client, clock, their_ticket):
    act(agent_client, "change_status", [their_ticket], status="closed")

    their_ticket.refresh_from_db()
    assert their_ticket.status == Status.NEW


@pytest.mark.parametrize("key", ["team", "team__id__exact"])
def test_filtering_by_another_team_finds_nothing(
    agent_client, clock, their_ticket, other_team, key
):
    response = agent_client.get(changelist_url(), {key: other_team.pk})

    assert listed(response) == []


@pytest.mark.parametrize(
    "params",
    [
        {"assignee__user__password__startswith": "pbkdf2"},
        {"requester__tickets__team__id__exact": "1"},
    ],
)
def test_crafted_filter_keys_are_refused(agent_client, clock, make_ticket, params):
    make_ticket()

    response = agent_client.get(changelist_url(), params)

    assert response.status_code in (302, 400)  # the admin's error redirect, or Bad Request
    assert "pbkdf2" not in response.text


def test_crafted_sort_keys_are_ignored(agent_client, clock, make_ticket):
    make_ticket()

    response = agent_client.get(changelist_url(), {"o": "assignee__user__password"})

    assert response.status_code in (200, 302)
    assert "pbkdf2" not in response.text


def test_a_user_who_is_no_agent_sees_no_tickets(client, clock, make_ticket, django_user_model):
    make_ticket()
    user = django_user_model.objects.create_user("visitor", password="pw", is_staff=True)
    client.force_login(user)

    assert client.get(changelist_url()).status_code == 403


# --- queries stay constant ---------------------------------------------------------------


def test_queue_queries_do_not_grow_with_tickets(
    agent_client, clock, make_ticket, grace, django_assert_max_num_queries
):
    def count() -> int:
        with django_assert_max_num_queries(10) as queries:
            response = agent_client.get(changelist_url())
        assert response.status_code == 200
        return len(queries)

    make_ticket()
    agent_client.get(changelist_url())  # warm per-process caches (content types, calendars)
    few = count()
    for _ in range(30):
        ticket_assign(ticket=make_ticket(), agent=grace, actor=None)
    many = count()

    assert few == many


def test_ticket_page_queries_do_not_grow_with_the_timeline(
    agent_client, clock, grace, make_ticket, django_assert_max_num_queries, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket()
    screenshot = attachment_check(SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n..."))
    ticket_customer_reply(ticket=ticket, body="with a file", files=[screenshot])
    agent_client.get(change_url(ticket))

    def count() -> int:
        with django_assert_max_num_queries(10) as queries:
            response = agent_client.get(change_url(ticket))
        assert response.status_code == 200
        return len(queries)

    few = count()
    for number in range(10):
        ticket_reply(
            ticket=ticket, body=f"Update {number}", public=number % 2 == 0, author=grace.user
        )
        make_ticket(subject=f"other {number}")
    many = count()

    assert few == many


def test_public_issue_choices_exclude_resolved_ones(agent_client, clock, make_ticket):
    open_issue = public_issue_create(
        title="Open", kind="incident", status="investigating", body="", author=None
    )
    public_issue_create(title="Old", kind="incident", status="resolved", body="", author=None)

    form = agent_client.get(changelist_url()).context["action_form"]

    assert list(form.fields["public_issue"].queryset) == [open_issue]
    assert PublicIssue.objects.count() == 2


def test_timeline_details_read_as_durations_and_percentages(agent_client, clock, make_ticket):
    ticket = make_ticket(priority="high")

    page = agent_client.get(change_url(ticket)).text

    # The targets the tier set (1 h, 4 h, 8 h in the test tiers), not seconds or policy ids.
    for detail in ("first response: 1h 00m", "update: 4h 00m", "resolution: 8h 00m"):
        assert detail in page  # in the order the database keeps the keys (PostgreSQL sorts)
    assert "clock: first response</span>" in page
    assert "policies:" not in page and "warn at" not in page and "24x7" not in page

"""One ticket through the agent API: read it, change it through the services, reply, assign."""

import pytest

from helpdesk.models import Message, Priority, Status, Ticket, TicketEvent
from helpdesk.services.tickets import ticket_change_status
from statusfeed.models import PublicEvent, PublicIssue, ticket_stream
from statusfeed.services import public_issue_create
from tests.helpdesk.api_support import (
    fast_passwords,  # noqa: F401
    make_manager,
    second_team,
    ticket_url,
    token_client,
)


@pytest.fixture
def grace(make_agent):
    return make_agent("grace")


@pytest.fixture
def api(grace):
    return token_client(grace.user)


@pytest.fixture
def ticket(clock, make_ticket):
    return make_ticket()


def public_kinds(ticket: Ticket) -> list[str]:
    return list(
        PublicEvent.objects.filter(stream=ticket_stream(ticket.pk))
        .order_by("seq")
        .values_list("kind", flat=True)
    )


def test_detail_shows_the_ticket_with_its_etag(api, ticket):
    response = api.get(ticket_url(ticket))

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == ticket.reference
    assert body["description"] == "It is on fire."
    assert body["team"] == "test-team"
    assert body["requester"] == {"email": "ada@example.com", "name": "Ada"}
    assert body["resolution_due"] is not None
    assert response["ETag"] == f'"{body["version"]}"'


def test_reference_is_case_insensitive(api, ticket):
    assert api.get(ticket_url(ticket).lower()).status_code == 200


@pytest.mark.parametrize("reference", ["HD-999999", "HD-", "HD-²", "HD-١٢", "nope", "HD-1e3"])
def test_unknown_or_malformed_reference_is_a_json_404(api, ticket, reference):
    response = api.get(f"/api/v1/tickets/{reference}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such ticket."}


def test_patch_status_goes_through_the_service(api, ticket, grace):
    response = api.patch(ticket_url(ticket), {"status": "pending"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    event = ticket.events.get(kind=TicketEvent.Kind.STATUS_CHANGED)
    assert event.actor == grace.user
    assert event.data == {"from": "new", "to": "pending"}
    assert public_kinds(ticket)[-1] == "status_changed"
    assert response.json()["resolution_paused"] is True


def test_patch_priority_retargets_the_sla(api, ticket):
    before = api.get(ticket_url(ticket)).json()["resolution_due"]

    response = api.patch(ticket_url(ticket), {"priority": "high"}, format="json")

    assert response.status_code == 200
    assert response.json()["priority"] == Priority.HIGH
    assert response.json()["resolution_due"] < before
    assert ticket.events.filter(kind="priority_changed").exists()


def test_patch_applies_several_fields_in_one_request(api, ticket, grace):
    response = api.patch(
        ticket_url(ticket), {"assignee": grace.pk, "status": "open"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["assignee"] == grace.pk
    assert response.json()["assignee_username"] == "grace"
    assert response.json()["status"] == "open"


def test_patch_with_current_values_changes_nothing(api, ticket):
    version = api.get(ticket_url(ticket)).json()["version"]

    response = api.patch(ticket_url(ticket), {"status": "new", "priority": "normal"}, format="json")

    assert response.status_code == 200
    assert response.json()["version"] == version


def test_patch_to_another_team_answers_with_the_moved_ticket(api, ticket, office):
    second_team(office)

    response = api.patch(ticket_url(ticket), {"team": "second-line"}, format="json")

    assert response.status_code == 200
    assert response.json()["team"] == "second-line"
    assert api.get(ticket_url(ticket)).status_code == 404  # now out of grace's sight


def test_patch_category_by_slug(api, ticket, team):
    from helpdesk.models import Category

    Category.objects.create(slug="printers", name="Printers", team=team)

    response = api.patch(ticket_url(ticket), {"category": "printers"}, format="json")

    assert response.status_code == 200
    assert response.json()["category"] == "printers"


def test_patch_refuses_an_assignee_outside_the_team(api, ticket, office, make_agent):
    other, _ = second_team(office)
    outsider = make_agent("mallory", teams=[other])

    response = api.patch(ticket_url(ticket), {"assignee": outsider.pk}, format="json")

    assert response.status_code == 400
    assert "not in the Test team team" in response.json()["assignee"][0]


def test_patch_refuses_a_forbidden_transition_with_409(api, ticket):
    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)

    response = api.patch(ticket_url(ticket), {"status": "open"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "A ticket cannot go from closed to open (allowed: none)."}


def test_a_failed_patch_applies_nothing(api, ticket):
    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)
    version = Ticket.objects.get(pk=ticket.pk).version

    response = api.patch(ticket_url(ticket), {"priority": "high", "status": "open"}, format="json")

    assert response.status_code == 409
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.version) == ("normal", version)


@pytest.mark.parametrize(
    "body",
    [
        {"status": 1},
        {"status": "Open"},
        {"priority": ["high"]},
        {"assignee": "1"},
        {"assignee": ""},
        {"assignee": True},
        {"team": 1},
        {"team": ""},
        {"category": None},
        {"subject": "New subject"},
    ],
)
def test_patch_refuses_wrong_types_and_unknown_fields(api, ticket, body):
    response = api.patch(ticket_url(ticket), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == set(body)


def test_patch_refuses_a_non_object_body(api, ticket):
    response = api.patch(ticket_url(ticket), ["status"], format="json")

    assert response.status_code == 400
    assert "Expected a dictionary" in response.json()["non_field_errors"][0]


def test_stale_if_match_is_412_and_changes_nothing(api, ticket):
    stale = api.get(ticket_url(ticket))["ETag"]
    api.patch(ticket_url(ticket), {"priority": "high"}, format="json")

    response = api.patch(ticket_url(ticket), {"status": "open"}, format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert "changed since you read it" in response.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_current_if_match_is_honoured(api, ticket):
    current = api.get(ticket_url(ticket))["ETag"]

    response = api.patch(
        ticket_url(ticket), {"status": "open"}, format="json", HTTP_IF_MATCH=current
    )

    assert response.status_code == 200
    assert response["ETag"] != current


@pytest.mark.parametrize("header", ["*", '"0", "{version}"'])
def test_if_match_accepts_a_wildcard_or_a_list(api, ticket, header):
    current = api.get(ticket_url(ticket)).json()["version"]
    header = header.format(version=current)

    response = api.patch(
        ticket_url(ticket), {"status": "open"}, format="json", HTTP_IF_MATCH=header
    )

    assert response.status_code == 200


@pytest.mark.parametrize("header", ["7", "", '"7" junk'])
def test_a_malformed_if_match_is_400(api, ticket, header):
    response = api.patch(
        ticket_url(ticket), {"status": "open"}, format="json", HTTP_IF_MATCH=header
    )

    assert response.status_code == 400
    assert response.json() == {"If-Match": ['Give "*" or ETags as sent, such as "7".']}


def test_if_match_guards_replies_too(api, ticket):
    response = api.post(
        ticket_url(ticket, "replies"),
        {"body": "Hi", "public": True},
        format="json",
        HTTP_IF_MATCH='"0"',
    )

    assert response.status_code == 412
    assert not ticket.messages.exists()


def test_public_reply_answers_the_customer(api, ticket, grace):
    response = api.post(
        ticket_url(ticket, "replies"), {"body": "On our way.", "public": True}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "public_reply"
    assert response.json()["author"] == "grace"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.first_responded_at is not None
    assert public_kinds(ticket)[-1] == "public_reply"


def test_internal_note_stays_private(api, ticket):
    response = api.post(
        ticket_url(ticket, "replies"), {"body": "Call Bob.", "public": False}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "internal_note"
    assert response.json()["public"] is False
    assert "public_reply" not in public_kinds(ticket)
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is None


@pytest.mark.parametrize(
    "body",
    [
        {"body": "Hi", "public": "true"},
        {"body": "Hi", "public": 1},
        {"body": 12, "public": True},
        {"body": "   ", "public": True},
        {"body": "Hi"},
        {"body": "Hi\x00", "public": True},
    ],
)
def test_reply_refuses_bad_input(api, ticket, body):
    response = api.post(ticket_url(ticket, "replies"), body, format="json")

    assert response.status_code == 400
    assert not Message.objects.filter(ticket=ticket).exists()


def test_reply_to_a_closed_ticket_is_409(api, ticket):
    ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=None)

    response = api.post(
        ticket_url(ticket, "replies"), {"body": "Hi", "public": True}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "A closed ticket takes no more replies."}


def test_reply_body_must_be_json(api, ticket):
    response = api.post(ticket_url(ticket, "replies"), {"body": "Hi", "public": "true"})

    assert response.status_code == 415


def test_malformed_json_is_400(api, ticket):
    response = api.generic(
        "POST", ticket_url(ticket, "replies"), "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_messages_lists_the_conversation(api, ticket):
    api.post(ticket_url(ticket, "replies"), {"body": "Note", "public": False}, format="json")
    api.post(ticket_url(ticket, "replies"), {"body": "Reply", "public": True}, format="json")

    response = api.get(ticket_url(ticket, "messages"))

    assert response.status_code == 200
    assert [m["body"] for m in response.json()] == ["Note", "Reply"]


def test_assign_gives_the_ticket_to_a_team_agent(api, ticket, make_agent):
    linus = make_agent("linus")

    response = api.post(ticket_url(ticket, "assign"), {"assignee": linus.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["assignee"] == linus.pk
    assert ticket.events.filter(kind="assigned", data__agent=linus.pk).exists()


def test_assign_null_unassigns(api, ticket, grace):
    api.post(ticket_url(ticket, "assign"), {"assignee": grace.pk}, format="json")

    response = api.post(ticket_url(ticket, "assign"), {"assignee": None}, format="json")

    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert ticket.events.filter(kind="unassigned").exists()


def test_assign_requires_an_assignee(api, ticket):
    response = api.post(ticket_url(ticket, "assign"), {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"assignee": ["This field is required."]}


def test_assign_to_an_unknown_agent_is_400(api, ticket):
    response = api.post(ticket_url(ticket, "assign"), {"assignee": 10**12}, format="json")

    assert response.status_code == 400
    assert "Invalid pk" in response.json()["assignee"][0]


def test_take_claims_the_ticket_for_the_caller(api, ticket, grace):
    response = api.post(ticket_url(ticket, "take"))

    assert response.status_code == 200
    assert response.json()["assignee"] == grace.pk
    assert ticket.events.filter(kind="assigned", data__how="took").exists()


def test_take_of_an_owned_ticket_is_409(api, ticket, make_agent):
    token_client(make_agent("linus").user).post(ticket_url(ticket, "take"))

    response = api.post(ticket_url(ticket, "take"))

    assert response.status_code == 409
    assert response.json() == {"detail": f"{ticket.reference} already has an owner or is done."}


def test_take_needs_an_agent(ticket):
    response = token_client(make_manager("mona")).post(ticket_url(ticket, "take"))

    assert response.status_code == 403
    assert response.json() == {"detail": "Only agents can take tickets."}


def test_link_to_a_public_issue_tells_the_progress_page(api, ticket, grace):
    issue = public_issue_create(
        title="Printers down", kind="incident", status="investigating", body="Looking.", author=None
    )

    response = api.post(ticket_url(ticket, "public-issue"), {"issue": issue.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["public_issue"] == issue.pk
    assert public_kinds(ticket)[-1] == "public_issue_linked"


def test_link_to_an_unknown_issue_is_400(api, ticket):
    assert not PublicIssue.objects.exists()

    response = api.post(ticket_url(ticket, "public-issue"), {"issue": 1}, format="json")

    assert response.status_code == 400


def test_timeline_lists_events_in_order(api, ticket):
    api.patch(ticket_url(ticket), {"status": "open"}, format="json")

    response = api.get(ticket_url(ticket, "timeline"))

    assert response.status_code == 200
    kinds = [event["kind"] for event in response.json()]
    assert kinds[0] == "created"
    assert "status_changed" in kinds
    status_change = next(e for e in response.json() if e["kind"] == "status_changed")
    assert status_change["actor"] == "grace"


def test_sla_shows_the_clocks_now(api, ticket, clock):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))

    response = api.get(ticket_url(ticket, "sla"))

    assert response.status_code == 200
    body = response.json()
    assert set(body["clocks"]) == {"first_response", "update", "resolution"}
    first_response = body["clocks"]["first_response"]
    assert first_response["state"] == "running"
    assert first_response["elapsed"] == 3600
    assert first_response["target"] == 4 * 3600
    assert body["breached"] is False

"""The ticket list: filters, the ordering allow-list, keyset pages and a constant query count."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from helpdesk.models import Channel, Status, Ticket
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.tickets import ticket_change_priority, ticket_change_status
from tests.helpdesk.api_support import fast_passwords, token_client  # noqa: F401

LIST = "/api/v1/tickets/"


@pytest.fixture
def grace(make_agent):
    return make_agent("grace")


@pytest.fixture
def api(grace):
    return token_client(grace.user)


def references(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["reference"] for row in response.json()["results"]]


def walk(api, url: str) -> list[str]:
    """Every reference, following next links to the end."""
    seen: list[str] = []
    while url:
        response = api.get(url)
        seen += references(response)
        url = response.json()["next"]
    return seen


def test_list_is_newest_first_by_default(api, clock, make_ticket):
    first = make_ticket()
    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    second = make_ticket()

    assert references(api.get(LIST)) == [second.reference, first.reference]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["open"]),
        ("status=open&status=new", ["new", "open", "high", "email", "employee", "breached"]),
        ("priority=high", ["high"]),
        ("channel=email", ["email"]),
        ("audience=employee", ["employee"]),
        ("breached=true", ["breached"]),
        ("breached=false", ["new", "open", "high", "email", "employee"]),
    ],
)
def test_filters_narrow_the_list(api, clock, make_ticket, query, expected):
    tickets = {
        "new": make_ticket(),
        "open": make_ticket(),
        "high": make_ticket(priority="high"),
        "email": make_ticket(channel=Channel.EMAIL),
        "employee": make_ticket(audience="employee"),
        "breached": make_ticket(),
    }
    ticket_change_status(ticket=tickets["open"], status=Status.OPEN, actor=None)
    Ticket.objects.filter(pk=tickets["breached"].pk).update(sla_breached=True)

    found = set(references(api.get(f"{LIST}?{query}")))

    assert found == {tickets[name].reference for name in expected}


def test_filter_by_assignee_me_none_and_id(api, clock, make_ticket, make_agent, grace):
    linus = make_agent("linus")
    mine, theirs, nobodys = make_ticket(), make_ticket(), make_ticket()
    ticket_assign(ticket=mine, agent=grace, actor=None)
    ticket_assign(ticket=theirs, agent=linus, actor=None)

    assert references(api.get(f"{LIST}?assignee=me")) == [mine.reference]
    assert references(api.get(f"{LIST}?assignee=none")) == [nobodys.reference]
    assert references(api.get(f"{LIST}?assignee={linus.pk}")) == [theirs.reference]


def test_filter_by_team_and_category_slug(api, clock, make_ticket, category):
    ticket = make_ticket()

    assert references(api.get(f"{LIST}?team=test-team")) == [ticket.reference]
    assert references(api.get(f"{LIST}?category={category.slug}")) == [ticket.reference]


def test_filter_by_resolution_due_window(api, clock, make_ticket):
    normal, high = make_ticket(), make_ticket(priority="high")
    cut = (high.resolution_due + timedelta(minutes=1)).isoformat()

    assert references(api.get(LIST, {"due_before": cut})) == [high.reference]
    assert references(api.get(LIST, {"due_after": cut})) == [normal.reference]


def test_text_search_matches_subject_or_reference(api, clock, make_ticket):
    printer = make_ticket(subject="Printer on fire")
    invoice = make_ticket(subject="Wrong invoice total")

    assert references(api.get(LIST, {"q": "INVOICE"})) == [invoice.reference]
    assert references(api.get(LIST, {"q": printer.reference})) == [printer.reference]


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "priority=1",
        "breached=maybe",
        "assignee=grace",
        "team=no-such-team",
        "category=%00",
        "due_before=tomorrow",
        "due_after=0001-01-01T00:00:00%2B14:00",
        "q=%00",
        "page_size=0",
        "page_size=1000",
        "page_size=%C2%B2",
        "cursor=garbage",
        "ordering=subject",
    ],
)
def test_a_filter_value_that_does_not_parse_is_400(api, clock, make_ticket, query):
    make_ticket()

    response = api.get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert set(response.json()) == {query.split("=")[0]}


@pytest.mark.parametrize("key", ["assignee__password", "-assignee__user__password", "team__lead"])
def test_relational_ordering_keys_are_rejected(api, clock, make_ticket, key):
    make_ticket()

    response = api.get(LIST, {"ordering": key})

    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert message.startswith(f"Unknown sort key {key!r}; use one of created_at, updated_at")


def test_only_one_ordering_key_is_taken(api, clock, make_ticket):
    response = api.get(f"{LIST}?ordering=created_at&ordering=priority")

    assert response.status_code == 400
    assert response.json() == {"ordering": ["Give one sort key."]}


def spread_tickets(clock, make_ticket) -> list[Ticket]:
    """Tickets with ties and nulls in every sort key."""
    tickets = []
    for hour, priority in enumerate(["low", "normal", "high", "normal", "critical", "high", "low"]):
        clock.set(datetime(2026, 3, 2, 9 + hour % 3, 0, tzinfo=UTC))
        ticket = make_ticket()
        if priority != "normal":
            ticket = ticket_change_priority(ticket=ticket, priority=priority, actor=None)
        tickets.append(ticket)
    for ticket in tickets[::3]:
        ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=None)
    return list(Ticket.objects.order_by("pk"))


RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}
KEYS = {
    "created_at": lambda t: (t.created_at is None, t.created_at),
    "updated_at": lambda t: (t.updated_at is None, t.updated_at),
    "first_response_due": lambda t: (t.first_response_due is None, t.first_response_due),
    "next_update_due": lambda t: (t.next_update_due is None, t.next_update_due),
    "resolution_due": lambda t: (t.resolution_due is None, t.resolution_due),
    "priority": lambda t: (False, RANK[t.priority]),
    "reference": lambda t: (False, t.pk),
}


@pytest.fixture
def critical_tier(tiers):
    from helpdesk.models import SlaPolicy

    for priority in ("critical", "low"):
        SlaPolicy.objects.update_or_create(
            priority=priority,
            category=None,
            contact=None,
            defaults={
                "first_response": timedelta(minutes=30),
                "update_interval": timedelta(hours=1),
                "resolution": timedelta(hours=4),
            },
        )


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("key", list(KEYS))
def test_pages_follow_the_ordering_with_ties_and_nulls(
    api, clock, make_ticket, critical_tier, key, descending
):
    tickets = spread_tickets(clock, make_ticket)

    def sort_key(ticket):
        is_null, value = KEYS[key](ticket)
        # Nulls last ascending; descending is the exact reverse.
        return (is_null, value if value is not None else 0, ticket.pk)

    expected = [t.reference for t in sorted(tickets, key=sort_key, reverse=descending)]
    ordering = f"-{key}" if descending else key

    assert walk(api, f"{LIST}?ordering={ordering}&page_size=2") == expected


def test_previous_links_walk_back_the_same_pages(api, clock, make_ticket, critical_tier):
    spread_tickets(clock, make_ticket)
    first = api.get(f"{LIST}?ordering=resolution_due&page_size=3")
    second = api.get(first.json()["next"])
    third = api.get(second.json()["next"])

    back_to_second = api.get(third.json()["previous"])
    back_to_first = api.get(back_to_second.json()["previous"])

    assert references(back_to_second) == references(second)
    assert references(back_to_first) == references(first)
    assert back_to_first.json()["previous"] is None
    assert first.json()["previous"] is None


def test_a_cursor_of_another_ordering_is_refused(api, clock, make_ticket):
    for _ in range(3):
        make_ticket()
    next_url = api.get(f"{LIST}?ordering=priority&page_size=1").json()["next"]
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]

    response = api.get(LIST, {"ordering": "created_at", "cursor": cursor})

    assert response.status_code == 400
    assert response.json() == {"cursor": ["This cursor belongs to another ordering."]}


def test_list_query_count_does_not_grow_with_tickets(
    api, clock, make_ticket, make_agent, django_assert_max_num_queries
):
    make_agent("linus")

    def count() -> int:
        with django_assert_max_num_queries(6) as queries:
            response = api.get(f"{LIST}?ordering=priority")
        assert response.status_code == 200
        return len(queries)

    for _ in range(3):
        make_ticket(auto_assign=True)
    few = count()
    for _ in range(27):
        make_ticket(auto_assign=True)
    many = count()

    assert few == many
    assert len(api.get(LIST).json()["results"]) == 30


@pytest.mark.parametrize("name", ["status", "team", "due_before", "breached", "assignee", "q"])
def test_a_filter_given_without_a_value_is_400(api, clock, make_ticket, name):
    response = api.get(f"{LIST}?{name}=")

    assert response.status_code == 400
    assert list(response.json()) == [name]

"""The workspace draws its pages faster than Django's admin would, and draws the same thing:
the queue's rows, the selects, the checkboxes and the timeline's dates are held to what Django
itself writes; the shortcuts taken to get there (the viewer's agent id, a timeline cut in the
database, the app list built only when read) keep the pages' meaning."""

from datetime import UTC, datetime, timedelta

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_list
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.models import Agent, Status, Ticket
from helpdesk.services.assignment import ticket_assign
from helpdesk.services.sla_sweep import sla_sweep
from helpdesk.services.tickets import ticket_change_status, ticket_reply
from helpdesk.workspace.forms import ListedModelChoiceField
from helpdesk.workspace.rows import result_table
from helpdesk.workspace.timeline import short_local_format, ticket_timeline
from helpdesk.workspace.widgets import FastHiddenInput, FastSelect, row_checkbox

pytestmark = pytest.mark.django_db


def changelist_url() -> str:
    return reverse("admin:helpdesk_ticket_changelist")


@pytest.fixture
def grace(make_agent):
    agent = make_agent("grace")
    agent.user.first_name, agent.user.last_name = "Grace", "O'Hara & <Co>"
    agent.user.save()
    return agent


@pytest.fixture
def agent_client(client, grace):
    client.force_login(grace.user)
    return client


@pytest.fixture
def busy_queue(clock, grace, make_ticket):
    """Tickets that exercise every column: markup in a subject, no requester, an owner with
    markup in their name, a breached clock."""
    marked = make_ticket(subject='<b>Fish & "chips"</b>', priority="high")
    make_ticket(subject="Nobody asked", requester=None)
    ticket_assign(ticket=marked, agent=grace, actor=None)
    ticket_change_status(ticket=make_ticket(subject="Waiting"), status=Status.PENDING, actor=None)
    clock.set(clock.now() + timedelta(hours=2))
    sla_sweep()
    make_ticket(subject="Fresh")


# --- the queue's rows --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"queue": "mine"},
        {"queue": "unassigned", "o": "6.-1"},
        {"q": "Fish"},
        {"status__exact": "pending", "team": "TEAM"},
    ],
)
def test_queue_rows_are_the_rows_django_draws(agent_client, busy_queue, team, query):
    query = {key: str(team.pk) if value == "TEAM" else value for key, value in query.items()}
    cl = agent_client.get(changelist_url(), query).context["cl"]

    ours = render_to_string("admin/change_list_results.html", result_table(cl))
    djangos = render_to_string("admin/change_list_results.html", result_list(cl))

    assert ours == djangos
    assert ours.count('class="field-sla"') == len(cl.result_list)


def test_the_queue_page_shows_every_column(agent_client, busy_queue):
    html = agent_client.get(changelist_url()).text

    assert "&lt;b&gt;Fish &amp; &quot;chips&quot;&lt;/b&gt;" in html
    assert "Grace O&#x27;Hara &amp; &lt;Co&gt;" in html
    assert '<td class="field-requester nowrap">-</td>' in html
    assert "First response: missed by 1h 00m" in html


def test_a_rows_link_keeps_the_queue(agent_client, busy_queue):
    ticket = Ticket.objects.get(subject="Fresh")

    html = agent_client.get(changelist_url(), {"queue": "unassigned"}).text

    link = reverse("admin:helpdesk_ticket_change", args=[ticket.pk])
    assert f'<a href="{link}?_changelist_filters=queue%3Dunassigned">{ticket.reference}</a>' in html


def test_row_checkbox_is_the_admins_checkbox(clock, make_ticket):
    ticket = make_ticket(subject='Quotes " and <tags> & more')
    ticket_admin = admin.site._registry[Ticket]

    assert row_checkbox(ticket.pk, str(ticket)) == admin.ModelAdmin.action_checkbox(
        ticket_admin, ticket
    )


# --- selects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "choices, value, attrs",
    [
        ([("", "---------"), ("a", "A"), ("b", "B")], "b", {}),
        ([("", "---------"), ("a", "A")], None, {"id": "id_x", "required": True}),
        ([("x&y", 'Say "<hi>"'), ("z", "Z")], "x&y", {"data-x": 'q"', "disabled": False}),
        ([("a", "First"), ("a", "Second")], "a", {}),  # only the first match is selected
        ([], None, {"class": "select-across"}),
        ([("Group", [("a", "A")]), ("b", "B")], "a", {}),  # option groups: Django draws them
    ],
)
def test_fast_select_draws_what_djangos_select_draws(choices, value, attrs):
    ours = FastSelect(choices=choices).render("x", value, attrs)
    djangos = forms.Select(choices=choices).render("x", value, attrs)

    assert ours == djangos


@pytest.mark.parametrize(
    "value, attrs",
    [(0, {"class": "select-across"}), (None, {}), ('7"<', {"id": "id_seen", "required": True})],
)
def test_fast_hidden_input_draws_what_djangos_draws(value, attrs):
    ours = FastHiddenInput(attrs=attrs).render("seen", value)
    djangos = forms.HiddenInput(attrs=attrs).render("seen", value)

    assert ours == djangos


def test_fast_select_draws_model_choices_as_django_does(grace, make_agent):
    make_agent("linus")

    def choices():
        return ListedModelChoiceField(queryset=Agent.objects.select_related("user")).choices

    expected = forms.Select(choices=choices()).render("agent", grace.pk, {"required": True})
    with CaptureQueriesContext(connection) as queries:
        drawn = FastSelect(choices=choices()).render("agent", grace.pk, {"required": True})

    assert drawn == expected
    assert len(queries) == 1  # the choices as one list: no cursor, no COUNT


def test_the_ticket_page_offers_no_shortcuts_to_settings(agent_client, clock, make_ticket):
    ticket = make_ticket()

    html = agent_client.get(reverse("admin:helpdesk_ticket_change", args=[ticket.pk])).text

    assert 'class="related-widget-wrapper"' in html
    assert "related-widget-wrapper-link" not in html


# --- "My tickets" ------------------------------------------------------------------------


def test_my_tickets_is_empty_for_a_manager_who_is_no_agent(
    client, clock, make_ticket, django_user_model
):
    make_ticket()
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.com", "pw"))

    response = client.get(changelist_url(), {"queue": "mine"})

    assert list(response.context["cl"].result_list) == []
    assert "My tickets (0)" in response.text
    assert "Unassigned (1)" in response.text


# --- the app list --------------------------------------------------------------------------


def test_the_queue_page_reads_no_permissions_for_an_app_list_it_does_not_show(
    agent_client, clock, make_ticket
):
    make_ticket()
    agent_client.get(changelist_url())

    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(changelist_url())

    assert response.status_code == 200
    assert not [q for q in queries if "auth_permission" in q["sql"]]


def test_the_app_list_is_there_when_a_template_reads_it(agent_client, clock):
    apps = agent_client.get(changelist_url()).context["available_apps"]

    assert "Ticket" in [model["object_name"] for app in apps for model in app["models"]]


# --- the timeline ----------------------------------------------------------------------------


def test_a_cut_timeline_is_the_newest_part_of_the_whole(clock, grace, make_ticket):
    ticket = make_ticket()
    for number in range(8):
        ticket_reply(ticket=ticket, body=f"Reply {number}", public=number % 2 == 0, author=None)
        status = Status.PENDING if number % 2 == 0 else Status.OPEN
        ticket_change_status(ticket=ticket, status=status, actor=grace.user)
        if number % 3 == 0:  # several entries share an instant: the order breaks the tie
            clock.set(clock.now() + timedelta(minutes=7))
    whole = [(e.source, e.id, e.at_text) for e in ticket_timeline(ticket)]

    for limit in (1, 4, 9, len(whole) + 5):
        cut = [(e.source, e.id, e.at_text) for e in ticket_timeline(ticket, limit=limit)]
        assert cut == whole[:limit]


ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


@settings(max_examples=200, deadline=None, database=None)
@given(
    value=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    language=st.sampled_from(["en-gb", "fr", "de", "ja"]),
)
def test_timeline_dates_read_as_the_date_filter_writes_them(value, zone, language):
    with timezone.override(zone), translation.override(language):
        expected = date_filter(timezone.template_localtime(value), "D j M, H:i e")

        assert short_local_format()(value) == expected

"""The ticket page's forms and timeline are drawn in Python, and draw what Django's templates
draw: every template the workspace renderer writes itself, the page's form fields (clean and
with errors) and the timeline are held to the template engine's output."""

import operator
from copy import deepcopy
from datetime import UTC, datetime, timedelta

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import AdminForm
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorList
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from helpdesk.models import Category, Status, Ticket
from helpdesk.services.attachments import attachment_check
from helpdesk.services.tickets import ticket_change_status, ticket_customer_reply, ticket_reply
from helpdesk.workspace.fieldsets import fieldsets_html
from helpdesk.workspace.renderer import DRAWN, WorkspaceRenderer
from helpdesk.workspace.timeline import Entry, ticket_timeline, timeline_html
from statusfeed.forms import MultipleFileInput

OURS, DJANGOS = WorkspaceRenderer(), DjangoTemplates()
MARKUP = 'x" onclick="alert(1)" <b>&amp;'


def drawn_both_ways(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs, renderer=OURS),
        widget.render(name, value, attrs, renderer=DJANGOS),
    )


# --- widgets -----------------------------------------------------------------------------

WIDGETS = [
    (forms.TextInput(), "plain"),
    (forms.TextInput(attrs={"class": MARKUP, "disabled": True, "hidden": False}), MARKUP),
    (forms.TextInput(), None),
    (forms.NumberInput(), 7),
    (forms.EmailInput(attrs={"required": True}), "a@example.com"),
    (forms.HiddenInput(), 0),
    (forms.PasswordInput(render_value=True), MARKUP),
    (forms.DateInput(), datetime(2026, 3, 2).date()),
    (forms.FileInput(), None),
    (forms.ClearableFileInput(), None),
    (MultipleFileInput(attrs={"class": "files"}), None),
    (forms.Textarea(attrs={"rows": 6, "cols": 80}), ""),
    (forms.Textarea(), MARKUP + "\nsecond line"),
    (forms.Textarea(), mark_safe("<i>already safe</i>")),
    (forms.RadioSelect(choices=[("public", "Public"), ("internal", MARKUP)]), "internal"),
    (forms.RadioSelect(choices=[("a", "A"), ("b", "B")], attrs={"class": "inline"}), None),
    (forms.RadioSelect(choices=[("Group <1>", [("a", "A")]), ("b", "B")]), "a"),
    (forms.CheckboxSelectMultiple(choices=[("a", "A"), ("b", MARKUP)]), ["a", "b"]),
]


@pytest.mark.parametrize("widget, value", WIDGETS)
@pytest.mark.parametrize("attrs", [None, {"id": "id_field"}, {"id": MARKUP, "required": True}])
def test_widgets_draw_what_djangos_templates_draw(widget, value, attrs):
    ours, djangos = drawn_both_ways(widget, "field", value, attrs)

    assert ours == djangos


def test_numbers_are_written_as_the_engine_writes_them(settings):
    settings.USE_THOUSAND_SEPARATOR = True
    widget = forms.RadioSelect(choices=[(1, 12345), (2, 2.5), ("Group", [(3, 6789)])])

    ours, djangos = drawn_both_ways(widget, "n", 1, {"id": "id_n"})

    assert "12,345" in djangos
    assert ours == djangos


def test_every_template_the_renderer_draws_is_held_to_djangos():
    drawn = {widget.template_name for widget, _value in WIDGETS} | {
        "django/forms/label.html",
        "django/forms/errors/list/ul.html",
        "admin/widgets/related_widget_wrapper.html",
        "django/forms/widgets/input.html",
        "django/forms/widgets/multiple_input.html",
        "django/forms/widgets/url.html",
        "django/forms/widgets/datetime.html",
        "django/forms/widgets/time.html",
    }

    assert set(DRAWN) <= drawn


def test_a_file_already_uploaded_is_left_to_django():
    class Stored:
        url = "/media/a.txt"

        def __str__(self):
            return "a.txt"

    ours, djangos = drawn_both_ways(forms.ClearableFileInput(), "file", Stored())

    assert "a.txt</a>" in ours
    assert ours == djangos


class LabelForm(forms.Form):
    required_css_class = "required"
    plain = forms.CharField(label=MARKUP)
    optional = forms.CharField(required=False, label="Optional?")
    hidden = forms.CharField(widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)


@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize("name", ["plain", "optional", "hidden", "choice"])
@pytest.mark.parametrize(
    "kwargs", [{}, {"attrs": {"class": "inline"}}, {"label_suffix": ""}, {"tag": "legend"}]
)
def test_labels_draw_what_djangos_template_draws(auto_id, name, kwargs):
    # Copies: label_tag adds the required class to the attrs it is given.
    ours = LabelForm(auto_id=auto_id, renderer=OURS)[name].label_tag(**deepcopy(kwargs))
    djangos = LabelForm(auto_id=auto_id, renderer=DJANGOS)[name].label_tag(**deepcopy(kwargs))

    assert ours == djangos


@pytest.mark.parametrize("links", [False, True])
@pytest.mark.parametrize("limit", [{}, {"team__isnull": False}])
def test_the_related_widget_wrapper_draws_what_djangos_draws(db, links, limit):
    remote = Ticket._meta.get_field("category").remote_field
    remote_limit = remote.limit_choices_to
    remote.limit_choices_to = limit
    try:
        widget = RelatedFieldWidgetWrapper(
            forms.Select(choices=[("1", MARKUP)]),
            remote,
            admin.site,
            can_add_related=links,
            can_change_related=links,
            can_delete_related=False,
            can_view_related=links,
        )
        ours, djangos = drawn_both_ways(widget, "category", "1", {"id": "id_category"})
    finally:
        remote.limit_choices_to = remote_limit

    assert ours == djangos
    assert ("related-widget-wrapper-link" in ours) == links


@pytest.mark.parametrize(
    "errors, field_id",
    [([], None), (["Too <long>", mark_safe("<b>safe</b>")], None), (["One"], "id_body")],
)
def test_error_lists_draw_what_djangos_template_draws(errors, field_id):
    ours = ErrorList(errors, renderer=OURS, field_id=field_id).as_ul()
    djangos = ErrorList(errors, renderer=DJANGOS, field_id=field_id).as_ul()

    assert ours == djangos


def test_a_forms_error_dict_is_left_to_django():
    form = LabelForm(data={}, renderer=OURS)

    assert form.errors.as_ul() == LabelForm(data={}, renderer=DJANGOS).errors.as_ul()


# --- the ticket page's forms -------------------------------------------------------------

# Django's change form draws its fieldsets so (admin/change_form.html, block field_sets).
FIELD_SETS_TEMPLATE = Template(
    """
{% for fieldset in adminform %}
  {% include "admin/includes/fieldset.html" with heading_level=2 prefix="fieldset" id_prefix=0 id_suffix=forloop.counter0 %}
{% endfor %}
"""  # noqa: E501
)


def both_fieldsets(adminform: AdminForm) -> tuple[str, str]:
    adminform.form.renderer = OURS
    ours = fieldsets_html(adminform)
    adminform.form.renderer = DJANGOS
    return ours, FIELD_SETS_TEMPLATE.render(Context({"adminform": adminform}))


class EveryBranchForm(forms.ModelForm):
    """Lines of one and of several fields, read-only ones among them, a checkbox, a hidden
    field and help texts: what the ticket page does not show, the template still draws."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, help_text="<b>kept</b> as is")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "requester_subscribed", "channel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].help_text = "Pick <i>one</i>"
        self.fields["channel"].label = MARKUP


@pytest.mark.parametrize("data", [None, {"status": "bogus", "channel": "", "seen_version": "x"}])
@pytest.mark.parametrize("classes", [(), ("collapse", "wide")])
def test_every_kind_of_fieldset_is_drawn_as_django_draws_it(db, clock, make_ticket, data, classes):
    ticket = make_ticket(subject=MARKUP)
    adminform = AdminForm(
        EveryBranchForm(data, instance=ticket),
        [
            (
                "Work & <more>",
                {
                    "fields": [("status", "priority"), "requester_subscribed"],
                    "classes": classes,
                    "description": "<p>Read me</p>",
                },
            ),
            (None, {"fields": [("seen_version", "subject"), "channel", "reference", "team"]}),
        ],
        prepopulated_fields={},
        readonly_fields=("subject", "reference", "team"),
        model_admin=admin.site._registry[Ticket],
    )

    ours, djangos = both_fieldsets(adminform)

    assert ours == djangos
    assert ("errorlist" in ours) == bool(data)


@pytest.fixture
def agent_client(client, make_agent):
    client.force_login(make_agent("grace").user)
    return client


def drawn_fields(response, renderer) -> str:
    """The page's fieldsets and reply form drawn again with the given renderer."""
    adminform, reply = response.context["adminform"], response.context["reply_form"]
    reply = response.context.get("reply_form_bound") or reply
    adminform.form.renderer = reply.renderer = renderer
    fieldsets = "".join(
        render_to_string(
            "admin/includes/fieldset.html",
            {"fieldset": fieldset, "heading_level": 2, "prefix": "fieldset", "id_prefix": 0},
        )
        for fieldset in adminform
    )
    return fieldsets + "".join(
        str(part)
        for part in (
            reply.non_field_errors(),
            reply["body"].errors,
            reply["body"],
            reply["visibility"],
            reply["files"].label_tag(),
            reply["files"],
        )
    )


def test_the_ticket_forms_are_drawn_as_django_draws_them(agent_client, clock, make_ticket):
    ticket = make_ticket(subject=MARKUP, description=MARKUP)
    Category.objects.create(slug="markup-category", name=MARKUP, team=ticket.team)

    response = agent_client.get(reverse("admin:helpdesk_ticket_change", args=[ticket.pk]))

    assert isinstance(response.context["adminform"].form.renderer, WorkspaceRenderer)
    assert response.context["ticket_fieldsets"] == fieldsets_html(response.context["adminform"])
    assert drawn_fields(response, OURS) == drawn_fields(response, DJANGOS)
    assert operator.eq(*both_fieldsets(response.context["adminform"]))


def test_the_add_page_is_drawn_as_django_draws_it(agent_client, clock, category):
    response = agent_client.get(reverse("admin:helpdesk_ticket_add"))
    adminform = response.context["adminform"]

    assert "ticket_fieldsets" not in response.context  # Django's own fieldsets template
    adminform.form.renderer = OURS
    ours = FIELD_SETS_TEMPLATE.render(Context({"adminform": adminform}))
    adminform.form.renderer = DJANGOS
    assert ours == FIELD_SETS_TEMPLATE.render(Context({"adminform": adminform}))
    assert 'name="requester"' in ours


def test_a_refused_change_is_drawn_as_django_draws_it(agent_client, clock, make_ticket):
    ticket = make_ticket()
    url = reverse("admin:helpdesk_ticket_change", args=[ticket.pk])
    form = agent_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}

    response = agent_client.post(url, {**data, "status": Status.CLOSED, "seen_version": "x"})

    assert response.context["adminform"].form.errors
    assert drawn_fields(response, OURS) == drawn_fields(response, DJANGOS)
    assert operator.eq(*both_fieldsets(response.context["adminform"]))


def test_a_refused_reply_is_drawn_as_django_draws_it(agent_client, clock, make_ticket):
    ticket = make_ticket()

    response = agent_client.post(
        reverse("admin:helpdesk_ticket_reply", args=[ticket.pk]), {"visibility": MARKUP}
    )

    assert response.context["reply_form_bound"].errors
    assert 'class="errorlist' in drawn_fields(response, OURS)
    assert drawn_fields(response, OURS) == drawn_fields(response, DJANGOS)


# --- the timeline ------------------------------------------------------------------------

# The ticket page's timeline loop as its template wrote it.
TIMELINE_TEMPLATE = Template(
    """{% for entry in timeline %}
        {% if entry.source == "message" %}
        <li class="entry-{{ entry.kind }}">
          <span class="who">{% if entry.kind == "customer" %}{{ ticket.requester|default:"Requester" }}{% else %}{{ entry.who|default:"System" }}{% endif %}</span>
          <span class="tag">{% if entry.kind == "internal_note" %}Internal note · not visible to the customer{% elif entry.kind == "public_reply" %}Public reply{% else %}Customer{% endif %}</span>
          · <time datetime="{{ entry.at.isoformat }}">{{ entry.at_text }}</time>
          <div class="body">{{ entry.text }}</div>
          {% if entry.files %}<ul>{% for file in entry.files %}
            <li><a href="{% url 'admin:helpdesk_ticket_attachment' ticket.pk file.id %}">{{ file.name }}</a> ({{ file.size|filesizeformat }})</li>
          {% endfor %}</ul>{% endif %}
        </li>
        {% else %}
        <li class="entry-event">{{ entry.label }}{% if entry.who %} by {{ entry.who }}{% endif %}
          {% if entry.text %}<span class="details">{{ entry.text }}</span>{% endif %}
          · <time datetime="{{ entry.at.isoformat }}">{{ entry.at_text }}</time></li>
        {% endif %}
        {% endfor %}"""  # noqa: E501
)


def both_timelines(ticket: Ticket, timeline: list[Entry]) -> tuple[str, str]:
    ours = timeline_html(
        timeline,
        requester=ticket.requester,
        file_url=lambda file_id: reverse(
            "admin:helpdesk_ticket_attachment", args=[ticket.pk, file_id]
        ),
    )
    djangos = TIMELINE_TEMPLATE.render(Context({"timeline": timeline, "ticket": ticket}))
    return ours, djangos


def test_the_timeline_is_drawn_as_the_template_drew_it(
    clock, make_agent, make_ticket, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    grace = make_agent("grace")
    grace.user.username = MARKUP[:30]
    grace.user.save()
    ticket = make_ticket(subject=MARKUP)
    ticket_reply(ticket=ticket, body=MARKUP, public=True, author=grace.user)
    ticket_reply(ticket=ticket, body="Between us", public=False, author=None)
    screenshot = attachment_check(
        SimpleUploadedFile("<b>&.png", b"\x89PNG\r\n\x1a\n" + b"x" * 2048)
    )
    ticket_customer_reply(ticket=ticket, body="See attached", files=[screenshot])
    ticket_change_status(ticket=ticket, status=Status.PENDING, actor=grace.user)
    clock.set(clock.now() + timedelta(minutes=5))
    ticket_change_status(ticket=ticket, status=Status.OPEN, actor=None)
    timeline = ticket_timeline(ticket)

    ours, djangos = both_timelines(ticket, timeline)

    assert {e.source for e in timeline} == {"message", "event"}
    assert any(e.files for e in timeline)
    assert ours == djangos


@pytest.mark.parametrize("with_requester", [True, False])
def test_odd_entries_are_drawn_as_the_template_drew_them(db, with_requester, make_ticket, clock):
    ticket = make_ticket() if with_requester else make_ticket(requester=None)
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    timeline = [
        Entry("message", 1, "customer", at, None, MARKUP, "Mon 2 Mar, 09:30 UTC"),
        Entry("message", 2, "public_reply", at, "", "", MARKUP),
        Entry("message", 3, "unknown_kind", at, MARKUP, MARKUP),
        Entry("event", 4, "status_changed", at, None, ""),
        Entry("event", 5, MARKUP, at, MARKUP, MARKUP, MARKUP),
        Entry(
            "message",
            6,
            "customer",
            at,
            None,
            "files",
            files=[{"id": 1, "name": MARKUP, "size": 5_000_000}, {"id": 2, "name": "b", "size": 0}],
        ),
    ]

    ours, djangos = both_timelines(ticket, timeline)

    assert ours == djangos
    assert ours.count("<li") == len(timeline) + 2


def test_an_empty_timeline_draws_nothing(db, make_ticket, clock):
    ours, djangos = both_timelines(make_ticket(), [])

    assert ours == djangos == ""

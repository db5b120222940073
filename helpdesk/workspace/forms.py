"""Forms of the ticket admin: add, change (with the collision check), reply, bulk actions."""

from collections.abc import Iterable

from django import forms
from django.contrib.admin import helpers
from django.forms.models import ModelChoiceIterator

from helpdesk.models import Agent, Priority, Status, Ticket
from helpdesk.workflow import InvalidTransition, check_transition
from helpdesk.workspace.renderer import WorkspaceRenderer
from helpdesk.workspace.widgets import flatten_widgets
from statusfeed.forms import MultipleFileField
from statusfeed.models import PublicIssue

# One for every form of the workspace: it builds its template engine once.
RENDERER = WorkspaceRenderer()


class TicketAddForm(forms.ModelForm):
    """A ticket an agent takes down (a phone call, say); priority and team follow the category."""

    default_renderer = RENDERER

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        priority = self.fields["priority"]
        priority.required = False
        priority.choices = [("", "Category default"), *Priority.choices]
        self.initial["priority"] = ""
        self.fields["team"].required = False
        self.fields["team"].help_text = "Blank: the category's team."


class ListedChoices(ModelChoiceIterator):
    """A model choice field's choices read as one list: Django reads them through
    QuerySet.iterator(), which on PostgreSQL opens a server-side cursor (three round trips)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedChoices


def stale_message(ticket: Ticket) -> str:
    return (
        f"{ticket.reference} was changed by someone else since you opened it. Nothing was "
        "saved: reload the page to see their change, then make yours again."
    )


class TicketChangeForm(forms.ModelForm):
    """The fields an agent changes; each is applied through its service by the admin.

    `seen_version` is the ticket's version when the agent opened it: if anyone changed the
    ticket since, saving is refused instead of silently overwriting their change.
    """

    default_renderer = RENDERER
    seen_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        if "status" in self.changed_data and status != self.instance.status:
            try:
                check_transition(self.instance.status, status)
            except InvalidTransition as exc:
                raise forms.ValidationError(str(exc)) from exc
        return status

    def clean(self) -> dict:
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        current = Ticket.objects.filter(pk=self.instance.pk).values_list("version", flat=True)
        if seen is not None and current and current[0] != seen:
            raise forms.ValidationError(stale_message(self.instance), code="stale")
        assignee, team = cleaned.get("assignee"), cleaned.get("team")
        if (
            "assignee" in self.changed_data
            and assignee
            and team
            and not assignee.teams.filter(pk=team.pk).exists()
        ):
            self.add_error("assignee", f"{assignee} is not in the {team} team.")
        return cleaned


class ReplyForm(forms.Form):
    default_renderer = RENDERER
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        max_length=20_000,
        error_messages={"required": "Write the reply before sending it."},
    )
    visibility = forms.ChoiceField(
        choices=[("public", "Public reply (the customer sees it)"), ("internal", "Internal note")],
        widget=forms.RadioSelect,
        initial="public",
    )
    files = MultipleFileField(required=False, label="Attach files")

    @property
    def is_public(self) -> bool:
        return self.cleaned_data["visibility"] == "public"


class TicketActionForm(helpers.ActionForm):
    """The bulk action bar: the action, and what it needs (an agent, a status, …)."""

    default_renderer = RENDERER

    agent = forms.ModelChoiceField(
        queryset=Agent.objects.select_related("user").order_by("user__username"),
        required=False,
        label="Agent",
    )
    status = forms.ChoiceField(choices=[("", "Status…"), *Status.choices], required=False)
    priority = forms.ChoiceField(choices=[("", "Priority…"), *Priority.choices], required=False)
    public_issue = ListedModelChoiceField(
        queryset=PublicIssue.objects.exclude(status__in=PublicIssue.CLOSED_STATUSES).order_by(
            "title"
        ),
        required=False,
        label="Public issue",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        flatten_widgets(self.fields.values())

    def offer(self, *, agents: Iterable[Agent]) -> None:
        """Draw these agents, which the page has read already, instead of reading them again;
        choosing one is still checked against the field's queryset."""
        field = self.fields["agent"]
        field.widget.choices = [
            ("", field.empty_label),
            *((agent.pk, field.label_from_instance(agent)) for agent in agents),
        ]

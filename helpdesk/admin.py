"""A basic admin: settings (calendars, teams, agents, categories, SLA policies) and tickets.

Tickets are never saved by the admin itself: every change an agent makes in a form or an
action is applied by the service that owns it, so the timeline and SLA columns stay true.
"""

from copy import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from helpdesk.models import (
    Agent,
    Calendar,
    Category,
    Contact,
    Holiday,
    Message,
    Priority,
    SlaPolicy,
    Status,
    Team,
    Ticket,
    TicketEvent,
)
from helpdesk.services.assignment import AssignmentError, ticket_assign, ticket_take
from helpdesk.services.sla_policies import sla_policy_reapply, sla_policy_save
from helpdesk.services.tickets import (
    ticket_change_category,
    ticket_change_priority,
    ticket_change_status,
    ticket_change_team,
    ticket_create,
)
from helpdesk.workflow import InvalidTransition, check_transition


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "holiday_country", "holiday_subdivision", "version")
    readonly_fields = ("version",)
    inlines = [HolidayInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "calendar", "lead", "assignment_strategy")
    list_select_related = ("calendar", "lead")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("last_assigned_agent",)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "team_names", "capacity", "is_available")
    list_filter = ("is_available", "teams")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    raw_id_fields = ("user",)
    filter_horizontal = ("teams",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agent]:
        return super().get_queryset(request).prefetch_related("teams")

    @admin.display(description="Teams")
    def team_names(self, agent: Agent) -> str:
        return ", ".join(team.name for team in agent.teams.all())


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "created_at")
    search_fields = ("email", "name")
    show_full_result_count = False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "team", "default_priority")
    list_select_related = ("team",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "priority",
        "category",
        "contact",
        "first_response",
        "update_interval",
        "resolution",
        "version",
    )
    list_filter = ("priority", "category")
    list_select_related = ("category", "contact")
    autocomplete_fields = ("contact",)
    readonly_fields = ("version",)
    actions = None  # no bulk delete: each deletion re-targets the tickets it governed

    def has_delete_permission(self, request: HttpRequest, obj: SlaPolicy | None = None) -> bool:
        # Every tier needs its base policy, or new tickets of that tier cannot be created.
        return super().has_delete_permission(request, obj) and not (obj and obj.is_base)

    def save_model(self, request, obj: SlaPolicy, form, change: bool) -> None:
        changed = sla_policy_save(policy=obj)
        if changed:
            messages.info(request, f"Recomputed the SLA of {changed} open ticket(s).")

    def delete_model(self, request, obj: SlaPolicy) -> None:
        scope = copy(obj)
        obj.delete()
        changed = sla_policy_reapply(policy=scope)
        if changed:
            messages.info(request, f"Recomputed the SLA of {changed} open ticket(s).")


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("created_at", "kind", "author", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).select_related("author").order_by("created_at", "pk")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    verbose_name_plural = "timeline"
    fields = ("at", "kind", "actor", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketEvent]:
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TicketAddForm(forms.ModelForm):
    """A ticket an agent takes down (a phone call, say); priority and team follow the category."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        priority = self.fields["priority"]
        priority.required = False
        priority.choices = [("", "Category default"), *Priority.choices]
        self.initial["priority"] = ""
        self.fields["team"].required = False
        self.fields["team"].help_text = "Blank: the category's team."


class TicketChangeForm(forms.ModelForm):
    """The fields an agent changes; `TicketAdmin.save_model` applies each through its service."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # changed_data then compares with what the agent saw, so saving the form never
            # undoes a change someone else made to another field in the meantime.
            field.show_hidden_initial = True

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
        assignee, team = cleaned.get("assignee"), cleaned.get("team")
        if (
            "assignee" in self.changed_data
            and assignee
            and team
            and not assignee.teams.filter(pk=team.pk).exists()
        ):
            self.add_error("assignee", f"{assignee} is not in the {team} team.")
        return cleaned


class TicketChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # A queue row needs neither the ticket's text nor its replayed clock state.
        return super().get_queryset(request, exclude_parameters).defer("description", "sla_state")


TICKET_SLA_FIELDS = (
    "first_response_due",
    "first_responded_at",
    "next_update_due",
    "resolution_due",
    "resolution_paused",
    "resolved_at",
    "sla_breached",
    "sla_next_check_at",
)
TICKET_WORK_FIELDS = ("status", "priority", "category", "team", "assignee")
# Form field, the service that applies a change to it, and the service's argument. Team comes
# before assignee, since the new owner must be in the ticket's new team.
TICKET_CHANGES = (
    ("category", ticket_change_category, "category"),
    ("team", ticket_change_team, "team"),
    ("priority", ticket_change_priority, "priority"),
    ("assignee", ticket_assign, "agent"),
    ("status", ticket_change_status, "status"),
)
TICKET_STORY_FIELDS = (
    "reference",
    "subject",
    "description",
    "requester",
    "audience",
    "channel",
    "created_at",
    "updated_at",
)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("reference", "subject", "team", "assignee", "priority", "status", "sla")
    list_display_links = ("reference", "subject")
    list_select_related = ("team", "assignee__user")
    list_filter = ("status", "priority", "team")
    search_fields = ("subject", "requester__email")
    ordering = (F("resolution_due").asc(nulls_last=True), "pk")
    show_full_result_count = False
    autocomplete_fields = ("requester",)
    actions = ["take", "mark_resolved"]

    # The SLA columns are computed from the timeline; the story fields belong to the requester.
    change_readonly_fields = (*TICKET_STORY_FIELDS, *TICKET_SLA_FIELDS)

    @admin.display(description="Reference", ordering="pk")
    def reference(self, ticket: Ticket) -> str:
        return ticket.reference

    @admin.display(description="SLA", ordering="resolution_due")
    def sla(self, ticket: Ticket):
        if ticket.sla_breached:
            return "breached"
        if ticket.resolution_paused:
            return "paused"
        due = [d for d in (ticket.next_update_due, ticket.resolution_due) if d is not None]
        return min(due, default=None)

    def get_changelist(self, request, **kwargs):
        return TicketChangeList

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the timeline is the record; tickets are closed, not deleted

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = (
                "subject",
                "description",
                "category",
                "priority",
                "team",
                "requester",
                "audience",
                "channel",
            )
            return [(None, {"fields": fields})]
        return [
            (None, {"fields": TICKET_STORY_FIELDS}),
            ("Work", {"fields": TICKET_WORK_FIELDS}),
            ("SLA", {"fields": TICKET_SLA_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TicketChangeForm if obj else TicketAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request, obj):
        return [MessageInline, TicketEventInline] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = Agent.objects.select_related("user").order_by("user__username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.upper().startswith(Ticket.REFERENCE_PREFIX):
            return queryset.filter(pk=Ticket.pk_from_reference(term) or 0), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj: Ticket, form, change: bool) -> None:
        if not change:
            ticket, token = ticket_create(
                subject=obj.subject,
                description=obj.description,
                category=obj.category,
                requester=obj.requester,
                priority=obj.priority or None,
                team=obj.team if obj.team_id else None,
                audience=obj.audience,
                channel=obj.channel,
                actor=request.user,
            )
            obj.pk = ticket.pk
            link = request.build_absolute_uri(reverse("statusfeed:progress", args=[token]))
            messages.info(request, f"Progress link for the requester (shown only now): {link}")
            return
        stored = Ticket.objects.get(pk=obj.pk)
        for name, service, argument in TICKET_CHANGES:
            attname = Ticket._meta.get_field(name).attname
            if name not in form.changed_data or getattr(stored, attname) == getattr(obj, attname):
                continue
            try:
                service(ticket=obj, actor=request.user, **{argument: form.cleaned_data[name]})
            except ValueError as exc:  # InvalidTransition, AssignmentError: a change raced ours
                messages.error(request, f"{obj.reference}: {exc}")
                request._ticket_not_saved = True

    def log_change(self, request, obj, message):
        if not getattr(request, "_ticket_not_saved", False):
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request: HttpRequest, obj: Ticket) -> HttpResponse:
        if getattr(request, "_ticket_not_saved", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.action(description="Take it")
    def take(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        agent = Agent.objects.filter(user=request.user).first()
        if agent is None:
            messages.error(request, "Only agents can take tickets.")
            return
        taken = []
        for ticket in queryset.select_related("team"):
            try:
                if ticket_take(ticket=ticket, agent=agent):
                    taken.append(ticket.reference)
                else:
                    messages.warning(request, f"{ticket.reference} has an owner or is done.")
            except AssignmentError as exc:
                messages.error(request, f"{ticket.reference}: {exc}")
        if taken:
            messages.success(request, f"You took {', '.join(taken)}.")

    @admin.action(description="Mark resolved")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        resolved = []
        for ticket in queryset:
            try:
                ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=request.user)
            except InvalidTransition as exc:
                messages.error(request, f"{ticket.reference}: {exc}")
            else:
                resolved.append(ticket.reference)
        if resolved:
            messages.success(request, f"Resolved {', '.join(resolved)}.")

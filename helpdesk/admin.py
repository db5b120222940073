"""The admin: settings (calendars, teams, agents, categories, SLA policies, macros) and the
agents' ticket workspace (helpdesk.workspace.ticket_admin)."""

from copy import copy
from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django_q.tasks import async_task

from helpdesk import escalation_admin  # noqa: F401  (escalation, email and webhook admins)
from helpdesk.models import (
    Agent,
    Calendar,
    Category,
    Contact,
    Holiday,
    Macro,
    SlaPolicy,
    Team,
    Ticket,
)
from helpdesk.reports import admin as report_admin  # noqa: F401  (managers' SLA report)
from helpdesk.services.sla_policies import sla_policy_reapply, sla_policy_save
from helpdesk.workspace.ticket_admin import TicketAdmin


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "holiday_country", "holiday_subdivision", "version")
    readonly_fields = ("version",)
    inlines = [HolidayInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            # Open tickets on this calendar get their deadlines and warnings recomputed.
            calendar_id = form.instance.pk
            transaction.on_commit(
                partial(async_task, "helpdesk.tasks.reapply_calendar", calendar_id), robust=True
            )
            self.message_user(
                request, "Open tickets of the teams on this calendar are being recomputed."
            )


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


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "public")
    list_filter = ("team",)
    list_select_related = ("team",)
    search_fields = ("name", "body")


admin.site.register(Ticket, TicketAdmin)

"""Admin for the background SLA work: escalation policies, the email log and team webhooks.

The logs are read-only records of what was sent; the only action is "retry now".
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from helpdesk.models import (
    EscalationPolicy,
    EscalationStep,
    Notification,
    Ticket,
    WebhookDelivery,
    WebhookEndpoint,
)
from helpdesk.services.outbound import outbound_retry_now


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0
    fields = ("at_percent", "notify_assignee", "notify_team_lead", "raise_priority", "reassign_to")


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "team", "priority", "holding_updates", "step_summary")
    list_filter = ("priority", "holding_updates")
    list_select_related = ("team",)
    inlines = [EscalationStepInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EscalationPolicy]:
        return super().get_queryset(request).prefetch_related("steps")

    @admin.display(description="Steps")
    def step_summary(self, policy: EscalationPolicy) -> str:
        return ", ".join(f"{step.at_percent}%" for step in policy.steps.all())


class OutboundLogAdmin(admin.ModelAdmin):
    """A log: nothing is added or edited by hand."""

    actions = ["retry_now"]
    ordering = ("-pk",)
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Ticket", ordering="ticket_id")
    def ticket_reference(self, row) -> str:
        return Ticket(pk=row.ticket_id).reference if row.ticket_id else ""

    @admin.display(description="Last error")
    def error(self, row) -> str:
        return row.last_error[:120]

    @admin.action(description="Retry now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = outbound_retry_now(queryset)
        messages.info(request, f"{count} will be sent within a minute.")


@admin.register(Notification)
class NotificationAdmin(OutboundLogAdmin):
    list_display = (
        "created_at",
        "kind",
        "ticket_reference",
        "email",
        "status",
        "attempts",
        "sent_at",
        "error",
    )
    list_filter = ("status", "kind")
    search_fields = ("email",)
    date_hierarchy = "created_at"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "team", "is_active", "created_at")
    list_filter = ("is_active", "team")
    list_select_related = ("team",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OutboundLogAdmin):
    list_display = (
        "created_at",
        "event",
        "ticket_reference",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "sent_at",
        "error",
    )
    list_filter = ("status", "endpoint", "event")
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"

"""Intake settings (classification and routing rules) and read-only intake records."""

from django.contrib import admin

from feedback.models import (
    Acknowledgement,
    ClassificationRule,
    IdempotencyKey,
    MailMessage,
    MessageSentiment,
    RoutingRule,
    TicketTriage,
)
from feedback.surveys import admin as survey_admin  # noqa: F401  (surveys and the index)


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "category", "keywords", "is_active")
    list_display_links = ("category",)
    list_editable = ("position", "is_active")
    list_select_related = ("category",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "category", "channel", "audience", "team", "priority")
    list_display_links = ("name",)
    list_editable = ("position",)
    list_filter = ("is_active", "category", "team")
    list_select_related = ("category", "team")
    fieldsets = [
        (None, {"fields": ["name", "position", "is_active"]}),
        (
            "When all of these hold (blank: any)",
            {
                "fields": [
                    "category",
                    "channel",
                    "audience",
                    "touchpoint",
                    "keywords",
                    "sentiment_at_most",
                    "customer",
                ]
            },
        ),
        ("Then", {"fields": ["team", "priority", "tags"]}),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records intake wrote; changing them by hand would make them lie."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TicketTriage)
class TicketTriageAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "sentiment", "touchpoint", "classification", "tags", "anonymous")
    list_select_related = ("ticket",)
    list_filter = ("touchpoint", "anonymous")
    search_fields = ("ticket__subject",)


@admin.register(MessageSentiment)
class MessageSentimentAdmin(ReadOnlyAdmin):
    list_display = ("message", "compound")
    list_select_related = ("message",)


@admin.register(MailMessage)
class MailMessageAdmin(ReadOnlyAdmin):
    list_display = ("message_id", "ticket", "direction", "created_at")
    list_select_related = ("ticket",)
    list_filter = ("direction",)
    search_fields = ("message_id",)


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "recipient", "created_at", "sent_at")
    list_select_related = ("ticket",)
    exclude = ("progress_url",)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "created_at")
    exclude = ("sealed_token",)

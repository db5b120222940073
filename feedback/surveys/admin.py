"""The surveys in the admin: the managers' Satisfaction Index, the answers and the follow-ups
(agents see their teams', as with tickets), publishing a follow-up's outcome, the email log."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from feedback.surveys.dashboard import satisfaction_page
from feedback.surveys.follow_ups import follow_up_outcome_publish
from feedback.surveys.models import (
    RelationshipSurvey,
    SatisfactionReport,
    SurveyEmail,
    SurveyFollowUp,
    TicketSurvey,
)
from helpdesk.access import user_is_manager
from helpdesk.models import Message, Ticket
from helpdesk.services.outbound import outbound_retry_now
from helpdesk.workspace.ticket_admin import grants


def _ticket_link(ticket_id: int | None) -> str:
    if ticket_id is None:
        return "—"
    url = reverse("admin:helpdesk_ticket_change", args=[ticket_id])
    return format_html('<a href="{}">{}</a>', url, Ticket(pk=ticket_id).reference)


@admin.register(SatisfactionReport)
class SatisfactionReportAdmin(admin.ModelAdmin):
    """The dashboard, for managers: no model editing."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_is_manager(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return user_is_manager(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("", wrap(self.changelist_view), name="feedback_satisfactionreport_changelist")]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Satisfaction Index",
        }
        return satisfaction_page(request, context=context)


class TeamRecordAdmin(admin.ModelAdmin):
    """Records the surveys wrote: read-only, each visible to who may see its team's tickets."""

    team_field = "team_id"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return grants(request).may_work

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return grants(request).may_work and (
            obj is None
            or grants(request).is_manager
            or self._team_of(obj) in grants(request).team_ids
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _team_of(self, obj) -> int:
        return getattr(obj, self.team_field)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        records = super().get_queryset(request)
        if grants(request).is_manager:
            return records
        return records.filter(**{f"{self.team_field}__in": sorted(grants(request).team_ids)})


@admin.register(TicketSurvey)
class TicketSurveyAdmin(TeamRecordAdmin):
    list_display = ("__str__", "ticket_link", "csat", "ces", "comment", "answered_at", "team")
    list_filter = ("csat", "ces", "answered_via", "audience", "team")
    list_select_related = ("team",)
    ordering = ("-offer_at",)
    show_full_result_count = False

    @admin.display(description="Ticket")
    def ticket_link(self, survey: TicketSurvey) -> str:
        return _ticket_link(survey.ticket_id)


@admin.register(RelationshipSurvey)
class RelationshipSurveyAdmin(TeamRecordAdmin):
    list_display = ("__str__", "ticket_link", "score", "comment", "created_at", "answered_at")
    list_filter = ("score", "audience", "team")
    ordering = ("-created_at",)
    show_full_result_count = False

    @admin.display(description="Latest ticket")
    def ticket_link(self, survey: RelationshipSurvey) -> str:
        return _ticket_link(survey.ticket_id)


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label="What we did",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text="Shown on the progress page of the original request, under what the "
        "customer told us, and emailed to them if they follow it. Write it for them.",
    )


@admin.register(SurveyFollowUp)
class SurveyFollowUpAdmin(TeamRecordAdmin):
    team_field = "ticket__team_id"
    list_display = ("follow_up", "original_ticket", "you_told_us", "status", "published")
    list_select_related = ("ticket", "original")
    ordering = ("-created_at",)
    readonly_fields = ("publish_link",)

    def _team_of(self, obj: SurveyFollowUp) -> int:
        return obj.ticket.team_id

    @admin.display(description="Follow-up")
    def follow_up(self, row: SurveyFollowUp) -> str:
        return _ticket_link(row.ticket_id)

    @admin.display(description="Original")
    def original_ticket(self, row: SurveyFollowUp) -> str:
        return _ticket_link(row.original_id)

    @admin.display(description="Follow-up status")
    def status(self, row: SurveyFollowUp) -> str:
        return row.ticket.get_status_display()

    @admin.display(description="Outcome published", boolean=True)
    def published(self, row: SurveyFollowUp) -> bool:
        return row.outcome_published_at is not None

    @admin.display(description="Progress page")
    def publish_link(self, row: SurveyFollowUp) -> str:
        if row.outcome_published_at:
            return f"Published {row.outcome_published_at:%Y-%m-%d %H:%M}."
        url = reverse("admin:feedback_surveyfollowup_publish", args=[row.pk])
        return format_html('<a href="{}">Publish what we did</a>', url)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/publish/",
                wrap(self.publish_view),
                name="feedback_surveyfollowup_publish",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = get_object_or_404(self.get_queryset(request).select_related("ticket"), pk=pk)
        if not grants(request).can_act(row.ticket):
            raise PermissionDenied
        if request.method == "POST":
            form = OutcomeForm(request.POST)
            if form.is_valid():
                try:
                    follow_up_outcome_publish(
                        follow_up=row, outcome=form.cleaned_data["outcome"], actor=request.user
                    )
                except ValueError as exc:
                    form.add_error(None, str(exc))
                else:
                    self.message_user(request, "Published on the progress page.", messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:feedback_surveyfollowup_change", args=[row.pk])
                    )
        else:
            latest_reply = (
                Message.objects.filter(ticket=row.ticket, kind=Message.Kind.PUBLIC_REPLY)
                .order_by("-created_at")
                .values_list("body", flat=True)
                .first()
            )
            form = OutcomeForm(initial={"outcome": latest_reply or ""})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Publish what we did for {row.original.reference}",
            "follow_up": row,
            "form": form,
        }
        return TemplateResponse(request, "feedback/surveys/publish_outcome.html", context)


@admin.register(SurveyEmail)
class SurveyEmailAdmin(admin.ModelAdmin):
    """The survey email log: who was asked when, and what became of it (managers only)."""

    list_display = ("kind", "email", "status", "attempts", "send_after", "sent_at", "last_error")
    list_filter = ("kind", "status")
    ordering = ("-pk",)
    list_per_page = 50
    show_full_result_count = False
    actions = ["retry_now"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_is_manager(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return user_is_manager(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Retry now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[SurveyEmail]) -> None:
        count = outbound_retry_now(queryset)
        self.message_user(request, f"{count} email(s) will be sent again shortly.")

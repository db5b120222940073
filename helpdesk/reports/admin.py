"""The SLA report inside the admin, for managers: a page and its CSV, no model editing."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from helpdesk.access import user_is_manager
from helpdesk.reports.models import SlaReport
from helpdesk.reports.views import sla_report_csv, sla_report_page


@admin.register(SlaReport)
class SlaReportAdmin(admin.ModelAdmin):
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
        return [
            path("", wrap(self.changelist_view), name="helpdesk_slareport_changelist"),
            path("csv/", wrap(self.csv_view), name="helpdesk_slareport_csv"),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "SLA compliance report",
        }
        return sla_report_page(request, context=context)

    def csv_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return sla_report_csv(request)

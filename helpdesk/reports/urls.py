from django.urls import path

from helpdesk.reports.api import SlaReportView

urlpatterns = [
    path("sla/", SlaReportView.as_view(), name="api-report-sla"),
]

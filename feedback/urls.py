"""Intake endpoints mounted under /api/v1/ (the public feedback API, the satisfaction report)
and /feedback/ (pages, and the emailed survey links)."""

from django.urls import path

from feedback import api, views
from feedback.surveys import api as survey_api
from feedback.surveys import views as survey_views

api_urlpatterns = [
    path("feedback/", api.FeedbackCreateView.as_view(), name="feedback-api"),
    path("feedback/email/", api.inbound_email, name="feedback-email"),
    path(
        "reports/satisfaction/",
        survey_api.SatisfactionReportView.as_view(),
        name="api-report-satisfaction",
    ),
]

app_name = "feedback"

urlpatterns = [
    path("", views.feedback_form, name="form"),
    path("widget/", views.widget_demo, name="widget-demo"),
    path("survey/<str:token>/", survey_views.ticket_survey_page, name="survey"),
    path("nps/<str:token>/", survey_views.nps_page, name="nps"),
]

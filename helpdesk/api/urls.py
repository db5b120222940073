"""The agent REST API under /api/v1/."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from helpdesk.api import setting_views, ticket_views
from helpdesk.api.errors import api_not_found
from helpdesk.api.public_issues import PublicIssueViewSet

router = SimpleRouter()
router.register("teams", setting_views.TeamViewSet, basename="api-team")
router.register("agents", setting_views.AgentViewSet, basename="api-agent")
router.register("categories", setting_views.CategoryViewSet, basename="api-category")
router.register("calendars", setting_views.CalendarViewSet, basename="api-calendar")
router.register("sla-policies", setting_views.SlaPolicyViewSet, basename="api-sla-policy")
router.register("public-issues", PublicIssueViewSet, basename="api-public-issue")

ticket = "tickets/<str:reference>/"

urlpatterns = [
    path("tickets/", ticket_views.TicketList.as_view(), name="api-ticket-list"),
    path(ticket, ticket_views.TicketDetail.as_view(), name="api-ticket"),
    path(f"{ticket}replies/", ticket_views.TicketReplies.as_view(), name="api-ticket-replies"),
    path(f"{ticket}messages/", ticket_views.TicketMessages.as_view(), name="api-ticket-messages"),
    path(f"{ticket}assign/", ticket_views.TicketAssign.as_view(), name="api-ticket-assign"),
    path(f"{ticket}take/", ticket_views.TicketTake.as_view(), name="api-ticket-take"),
    path(
        f"{ticket}public-issue/",
        ticket_views.TicketPublicIssue.as_view(),
        name="api-ticket-public-issue",
    ),
    path(f"{ticket}timeline/", ticket_views.TicketTimeline.as_view(), name="api-ticket-timeline"),
    path(f"{ticket}sla/", ticket_views.TicketSla.as_view(), name="api-ticket-sla"),
    *router.urls,
    # Last: any other path under /api/v1/ is a JSON 404, not Django's HTML page.
    re_path(r"^.*$", api_not_found),
]

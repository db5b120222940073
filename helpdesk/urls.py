from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from feedback.urls import api_urlpatterns as feedback_api
from helpdesk.health import healthz

admin.site.site_header = "Helpdesk"
admin.site.site_title = "Helpdesk"
admin.site.index_title = "Queues and settings"
# Queues need the width: the app list stays on the admin home page.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("status/", include("statusfeed.urls")),
    path("feedback/", include("feedback.urls")),
    path("api/v1/", include(feedback_api)),
    path("api/v1/reports/", include("helpdesk.reports.urls")),
    path("api/v1/", include("helpdesk.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

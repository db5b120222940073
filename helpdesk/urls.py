from django.contrib import admin
from django.urls import include, path

from helpdesk.health import healthz

admin.site.site_header = "Helpdesk"
admin.site.site_title = "Helpdesk"
admin.site.index_title = "Queues and settings"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("status/", include("statusfeed.urls")),
]

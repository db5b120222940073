from django.urls import path, re_path

from statusfeed import views

app_name = "statusfeed"

TOKEN = r"(?P<token>[^/.]+)"

urlpatterns = [
    path("", views.board, name="board"),
    path("feed.atom", views.board_feed, name="feed"),
    path("summary.json", views.summary, name="summary"),
    re_path(rf"^t/{TOKEN}\.json$", views.progress_json, name="progress_json"),
    re_path(rf"^t/{TOKEN}/$", views.progress_page, name="progress"),
    re_path(rf"^t/{TOKEN}/reply$", views.progress_reply, name="reply"),
    re_path(
        rf"^t/{TOKEN}/files/(?P<attachment_id>[0-9]{{1,18}})$",
        views.progress_attachment,
        name="attachment",
    ),
    re_path(rf"^t/{TOKEN}/subscription$", views.progress_subscription, name="subscription"),
    re_path(rf"^t/{TOKEN}/survey$", views.progress_survey, name="survey"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

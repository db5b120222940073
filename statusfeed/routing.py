from django.urls import re_path

from statusfeed.consumers import BoardStreamConsumer, TicketStreamConsumer

websocket_urlpatterns = [
    re_path(r"^ws/status/t/(?P<token>[^/]+)/$", TicketStreamConsumer.as_asgi()),
    re_path(r"^ws/status/board/$", BoardStreamConsumer.as_asgi()),
]

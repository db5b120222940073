"""Websocket routes of every app."""

from statusfeed.routing import websocket_urlpatterns as statusfeed_routes

websocket_urlpatterns = [*statusfeed_routes]

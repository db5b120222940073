"""Websocket routes of every app; the public status feed adds its streams here."""

websocket_urlpatterns: list = []

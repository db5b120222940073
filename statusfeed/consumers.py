"""Websocket streams of the public feed: one ticket's progress, or the public board.

On connect a client gets a snapshot, or (with ?after=N) every event after N; then live events.
Each event goes out once and in order: a live event at or below what was sent is dropped, and
a gap (an event published late) is filled from the outbox before the live one is sent.
"""

import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from statusfeed import layer_watch
from statusfeed.models import BOARD_STREAM, ticket_stream
from statusfeed.outbox import stream_group
from statusfeed.selectors import board_snapshot, stream_events, ticket_for_token, ticket_snapshot

log = logging.getLogger(__name__)

UNKNOWN_TOKEN = 4404
# The channel layer (Redis) is unreachable; clients retry with backoff. A private code (4000+):
# daphne refuses to send 1013 from a server and would turn it into 1011.
TRY_AGAIN_LATER = 4503


class StreamConsumer(AsyncJsonWebsocketConsumer):
    stream: str | None = None
    sent_seq = 0

    async def connect(self):
        self.stream = await self.resolve_stream()
        if self.stream is None:
            await self.accept()
            await self.close(code=UNKNOWN_TOKEN)
            return
        # Join before reading, so nothing committed in between is missed (duplicates are dropped).
        try:
            await self.channel_layer.group_add(stream_group(self.stream), self.channel_name)
        except Exception:
            log.warning("Cannot join %s; asking the client to retry", self.stream, exc_info=True)
            self.stream = None
            await self.accept()
            await self.close(code=TRY_AGAIN_LATER)
            return
        await self.accept()
        after = self.after_param()
        if after is None:
            snapshot = await database_sync_to_async(self.snapshot)()
            self.sent_seq = snapshot["seq"]
            await self.send_json(snapshot)
        else:
            self.sent_seq = after
            await self.send_missed()
        layer_watch.watch(self)  # put back in its group if the layer forgets it (Redis restarted)

    async def disconnect(self, code):
        layer_watch.unwatch(self)
        if self.stream is not None:
            await self.channel_layer.group_discard(stream_group(self.stream), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """Clients have nothing to say; whatever they send, well-formed or not, is ignored."""

    async def link_revoked(self, message):
        """Only the ticket stream opens with a link; see TicketStreamConsumer."""

    async def stream_catch_up(self, message):
        """statusfeed.layer_watch put this socket back in its group after the layer forgot it;
        send what was published meanwhile (asked through the channel, so that it runs in turn
        with the events)."""
        await self.send_missed()

    async def public_event(self, message):
        event = message["event"]
        if event["seq"] <= self.sent_seq:
            return
        if event["seq"] > self.sent_seq + 1:
            await self.send_missed()
            if event["seq"] <= self.sent_seq:
                return
        self.sent_seq = event["seq"]
        await self.send_json(event)

    async def send_missed(self):
        for event in await database_sync_to_async(self.events_after)(self.sent_seq):
            self.sent_seq = event["seq"]
            await self.send_json(event)

    def events_after(self, seq: int) -> list[dict]:
        return [e.as_message() for e in stream_events(self.stream, after=seq)]

    def after_param(self) -> int | None:
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("after")
        if not values or not values[0].isdigit():
            return None
        return int(values[0])

    async def resolve_stream(self) -> str | None:
        raise NotImplementedError

    def snapshot(self) -> dict:
        raise NotImplementedError


class TicketStreamConsumer(StreamConsumer):
    async def resolve_stream(self) -> str | None:
        ticket = await database_sync_to_async(ticket_for_token)(
            self.scope["url_route"]["kwargs"]["token"]
        )
        self.ticket = ticket
        return ticket_stream(ticket.pk) if ticket else None

    async def link_revoked(self, message):
        if self.ticket is not None and message["token_hash"] == self.ticket.public_token_hash:
            await self.close(code=UNKNOWN_TOKEN)

    def snapshot(self) -> dict:
        return ticket_snapshot(self.ticket)


class BoardStreamConsumer(StreamConsumer):
    async def resolve_stream(self) -> str | None:
        return BOARD_STREAM

    def snapshot(self) -> dict:
        return board_snapshot()

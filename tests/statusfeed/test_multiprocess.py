"""Two real ASGI servers sharing PostgreSQL and a real Redis: events cross servers, and an
event committed while Redis is down still reaches the client once Redis is back."""

import asyncio
import json
import subprocess
import sys

import pytest
import websockets

from statusfeed.models import PublicEvent
from tests.live import ROOT, AsgiServer, RedisServer, post_reply, running, server_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Watcher:
    """A client that behaves like the progress page: reconnects with ?after=<last seq>."""

    def __init__(self, ws_url: str, token: str) -> None:
        self.url = f"{ws_url}/ws/status/t/{token}/"
        self.origin = ws_url.replace("ws://", "http://")
        self.seen: list[dict] = []
        self.last = 0
        self.reconnects = 0

    async def run(self, until_seq: int, timeout: float) -> None:
        async def loop():
            while self.last < until_seq:
                query = f"?after={self.last}" if self.last else ""
                try:
                    async with websockets.connect(self.url + query, origin=self.origin) as ws:
                        async for raw in ws:
                            message = json.loads(raw)
                            self.last = (
                                message["seq"] if message["type"] == "snapshot" else self.last
                            )
                            if message["type"] == "event":
                                assert message["seq"] == self.last + 1, "gap or duplicate"
                                self.seen.append(message)
                                self.last = message["seq"]
                            if self.last >= until_seq:
                                return
                except (OSError, websockets.WebSocketException):
                    pass
                self.reconnects += 1
                await asyncio.sleep(0.3)

        await asyncio.wait_for(loop(), timeout)


def relay(redis_url: str) -> None:
    env = server_env(REDIS_URL=redis_url)
    subprocess.run(
        [sys.executable, "manage.py", "outbox_relay", "--older-than", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def test_a_change_on_one_server_reaches_a_watcher_on_the_other(make_ticket_link):
    _, token = make_ticket_link()
    redis = RedisServer()
    redis.start()
    a, b = AsgiServer(server_env(REDIS_URL=redis.url)), AsgiServer(server_env(REDIS_URL=redis.url))
    try:
        with running(a, b):
            watcher = Watcher(b.ws_url, token)

            async def scenario():
                watching = asyncio.create_task(watcher.run(until_seq=2, timeout=20))
                await asyncio.sleep(1)  # connected and subscribed
                response = await asyncio.to_thread(post_reply, a.url, token, "Sent via A")
                assert response.status_code == 302
                await watching

            asyncio.run(scenario())
    finally:
        redis.stop()

    assert [(e["seq"], e["kind"], e["message"]) for e in watcher.seen] == [
        (2, "customer_reply", "Sent via A")
    ]


def test_an_event_made_while_redis_is_down_arrives_after_the_relay(make_ticket_link):
    ticket, token = make_ticket_link()
    redis = RedisServer()
    redis.start()
    a, b = AsgiServer(server_env(REDIS_URL=redis.url)), AsgiServer(server_env(REDIS_URL=redis.url))
    try:
        with running(a, b):
            watcher = Watcher(b.ws_url, token)

            async def scenario():
                watching = asyncio.create_task(watcher.run(until_seq=3, timeout=40))
                await asyncio.sleep(1)
                assert (
                    await asyncio.to_thread(post_reply, a.url, token, "first")
                ).status_code == 302
                while watcher.last < 2:
                    await asyncio.sleep(0.1)

                redis.stop()
                response = await asyncio.to_thread(post_reply, a.url, token, "while Redis was down")
                assert response.status_code == 302  # the change is kept; only publishing waits
                event = await asyncio.to_thread(
                    PublicEvent.objects.get, stream=f"ticket:{ticket.pk}", seq=3
                )
                assert event.published_at is None

                redis.start()
                await asyncio.to_thread(relay, redis.url)
                await watching

            asyncio.run(scenario())
    finally:
        redis.stop()

    assert [(e["seq"], e["message"]) for e in watcher.seen] == [
        (2, "first"),
        (3, "while Redis was down"),
    ]
    assert PublicEvent.objects.get(stream=f"ticket:{ticket.pk}", seq=3).published_at is not None

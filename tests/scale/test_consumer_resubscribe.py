"""A socket that stays open while the channel layer forgets every group (as a Redis restarted
without its data does) hears its ticket again: statusfeed.layer_watch's canary notices, and
the socket is put back in its group and reads what it missed."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections

from helpdesk.asgi import application
from helpdesk.models import Status
from helpdesk.services.tickets import ticket_change_status
from statusfeed import layer_watch

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

change_status = database_sync_to_async(ticket_change_status)


@pytest.fixture
def link(make_ticket_link):
    return make_ticket_link()


@pytest.fixture(autouse=True)
async def close_worker_connections():
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def memberships(monkeypatch):
    """Every (group, channel) joined, the canary's too, so a test can make the layer forget."""
    layer = get_channel_layer()
    joined = []
    group_add = layer.group_add

    async def recorded(group, channel):
        joined.append((group, channel))
        await group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", recorded)
    return joined


async def connected(token: str) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(
        application, f"/ws/status/t/{token}/", headers=[(b"origin", b"http://testserver")]
    )
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["type"] == "snapshot"
    return ws


async def forget(memberships, *, but: str | None = None) -> None:
    """Drop the recorded memberships, except those of groups starting with `but`."""
    for group, channel in list(memberships):
        if but is None or not group.startswith(but):
            await get_channel_layer().group_discard(group, channel)


async def test_a_socket_whose_group_was_forgotten_gets_the_missed_and_the_next_events(
    link, memberships, monkeypatch
):
    monkeypatch.setattr(layer_watch, "CHECK_EVERY", 0.2)
    monkeypatch.setattr(layer_watch, "ANSWER_WITHIN", 0.5)
    ticket, token = link
    ws = await connected(token)
    await ws.receive_nothing(timeout=0.5)  # the canary has joined its group

    await forget(memberships)
    ticket = await change_status(ticket=ticket, status=Status.OPEN, actor=None)
    missed = await ws.receive_json_from(timeout=5)
    await change_status(ticket=ticket, status=Status.PENDING, actor=None)
    live = await ws.receive_json_from(timeout=5)

    assert [(missed["seq"], missed["status"]), (live["seq"], live["status"])] == [
        (2, "open"),
        (3, "pending"),
    ]
    await ws.disconnect()


async def test_while_the_canary_is_heard_a_forgotten_socket_stays_forgotten(
    link, memberships, monkeypatch
):
    """The control: the recovery above is the canary's doing, nothing else's."""
    monkeypatch.setattr(layer_watch, "CHECK_EVERY", 0.2)
    monkeypatch.setattr(layer_watch, "ANSWER_WITHIN", 0.5)
    ticket, token = link
    ws = await connected(token)
    await ws.receive_nothing(timeout=0.5)

    await forget(memberships, but="statusfeed.canary.")
    await change_status(ticket=ticket, status=Status.OPEN, actor=None)

    assert await ws.receive_nothing(timeout=1.5)
    await ws.disconnect()

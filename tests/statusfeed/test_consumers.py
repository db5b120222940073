"""The websocket protocol of CONTRACT.md, against the real ASGI application."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections, transaction
from django.db.models import F

from helpdesk.asgi import application
from helpdesk.models import Status
from helpdesk.services.tickets import ticket_change_status, ticket_reply, ticket_rotate_public_token
from statusfeed.models import BOARD_STREAM, PublicEvent, PublicStream, ticket_stream
from statusfeed.services import public_issue_create

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ORIGIN = (b"origin", b"http://testserver")


async def connect(path: str, origin=ORIGIN) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=[origin] if origin else [])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.fixture(autouse=True)
async def close_worker_connections():
    """The consumers' database thread keeps its connection; close it so the test DB can go."""
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def link(make_ticket_link):
    return make_ticket_link()


change_status = database_sync_to_async(ticket_change_status)


async def test_connect_sends_a_snapshot(link):
    ticket, token = link
    ws = await connect(f"/ws/status/t/{token}/")

    snapshot = await ws.receive_json_from()

    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 1
    assert snapshot["reference"] == ticket.reference
    assert snapshot["status"] == "new"
    await ws.disconnect()


async def test_a_service_change_arrives_live(link):
    ticket, token = link
    ws = await connect(f"/ws/status/t/{token}/")
    await ws.receive_json_from()

    await change_status(ticket=ticket, status=Status.OPEN, actor=None)
    event = await ws.receive_json_from(timeout=5)

    assert event["type"] == "event"
    assert event["seq"] == 2
    assert event["kind"] == "status_changed"
    assert event["status"] == "open"
    assert event["reference"] == ticket.reference
    assert {"message", "next_update_due", "eta", "at"} <= event.keys()
    await ws.disconnect()


async def test_after_replays_exactly_the_missed_events(link):
    ticket, token = link
    await change_status(ticket=ticket, status=Status.OPEN, actor=None)
    await change_status(ticket=ticket, status=Status.PENDING, actor=None)
    await change_status(ticket=ticket, status=Status.OPEN, actor=None)

    ws = await connect(f"/ws/status/t/{token}/?after=2")

    replayed = [await ws.receive_json_from() for _ in range(2)]
    assert [e["seq"] for e in replayed] == [3, 4]
    assert [e["status"] for e in replayed] == ["pending", "open"]
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_unknown_token_closes_with_4404(db):
    ws = WebsocketCommunicator(application, "/ws/status/t/nope/", headers=[ORIGIN])
    await ws.connect()

    closing = await ws.receive_output(timeout=5)

    assert closing == {"type": "websocket.close", "code": 4404}


async def test_a_foreign_origin_is_refused(link):
    _, token = link
    ws = WebsocketCommunicator(
        application, f"/ws/status/t/{token}/", headers=[(b"origin", b"https://evil.example")]
    )

    connected, _ = await ws.connect()

    assert not connected


async def test_malformed_frames_are_ignored(link):
    ticket, token = link
    ws = await connect(f"/ws/status/t/{token}/")
    await ws.receive_json_from()

    await ws.send_to(text_data="{not json")
    await ws.send_to(bytes_data=b"\x00\xff")
    await change_status(ticket=ticket, status=Status.OPEN, actor=None)

    assert (await ws.receive_json_from(timeout=5))["seq"] == 2
    await ws.disconnect()


@database_sync_to_async
def lose_one_event(ticket) -> None:
    """An event committed but never published, as when the channel layer was down."""
    stream = ticket_stream(ticket.pk)
    with transaction.atomic():
        PublicStream.objects.filter(name=stream).update(last_seq=F("last_seq") + 1)
        seq = PublicStream.objects.get(name=stream).last_seq
        PublicEvent.objects.create(stream=stream, seq=seq, kind="eta_revised", payload={"at": "x"})


async def test_a_gap_is_filled_from_the_outbox(link):
    ticket, token = link
    ws = await connect(f"/ws/status/t/{token}/")
    await ws.receive_json_from()

    await lose_one_event(ticket)
    await database_sync_to_async(ticket_reply)(
        ticket=ticket, body="Fixed", public=True, author=None
    )

    events = [await ws.receive_json_from(timeout=5) for _ in range(2)]
    assert [(e["seq"], e["kind"]) for e in events] == [(2, "eta_revised"), (3, "public_reply")]
    await ws.disconnect()


async def test_board_stream_sends_issue_updates(db, make_agent):
    ws = await connect("/ws/status/board/")
    snapshot = await ws.receive_json_from()
    assert snapshot == {"type": "snapshot", "seq": 0, "issues": []}

    await database_sync_to_async(public_issue_create)(
        title="Slow search", kind="incident", status="investigating", body="Looking.", author=None
    )

    event = await ws.receive_json_from(timeout=5)
    assert event["seq"] == 1
    assert event["kind"] == "issue_updated"
    assert event["issue"]["title"] == "Slow search"
    assert (
        await database_sync_to_async(PublicEvent.objects.filter(stream=BOARD_STREAM).count)() == 1
    )
    await ws.disconnect()


async def test_rotating_the_link_closes_sockets_opened_with_the_old_one(link, make_agent):
    ticket, token = link
    ws = await connect(f"/ws/status/t/{token}/")
    await ws.receive_json_from()

    await database_sync_to_async(ticket_rotate_public_token)(ticket=ticket, actor=None)

    assert await ws.receive_output(timeout=2) == {"type": "websocket.close", "code": 4404}

"""The outbox written in bulk (the SLA sweep's public events): numbering and publishing."""

from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from statusfeed.models import PublicEvent, PublicStream
from statusfeed.outbox import public_event_record, public_events_record, stream_group

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_events_written_together_continue_each_streams_numbering():
    public_event_record(stream="test:a", kind="first", payload={}, at=NOW)

    public_events_record(
        events=[
            ("test:a", "second", {}, NOW),
            ("test:b", "first", {}, NOW),
            ("test:a", "third", {}, NOW),
        ]
    )

    events = PublicEvent.objects.order_by("stream", "seq")
    assert [(e.stream, e.seq, e.kind) for e in events] == [
        ("test:a", 1, "first"),
        ("test:a", 2, "second"),
        ("test:a", 3, "third"),
        ("test:b", 1, "first"),
    ]
    assert dict(PublicStream.objects.values_list("name", "last_seq")) == {"test:a": 3, "test:b": 1}


def test_events_written_together_are_published_after_commit_in_order(
    django_capture_on_commit_callbacks,
):
    layer = get_channel_layer()
    listener = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(stream_group("test:a"), listener)
    with django_capture_on_commit_callbacks() as callbacks:
        public_events_record(
            events=[("test:a", "first", {"message": "hi"}, NOW), ("test:a", "second", {}, NOW)]
        )
    assert not PublicEvent.objects.filter(published_at__isnull=False).exists()

    for callback in callbacks:
        callback()

    async def receive_two() -> list[dict]:  # one event loop, as channels-redis expects
        return [(await layer.receive(listener))["event"] for _ in range(2)]

    received = async_to_sync(receive_two)()
    assert [(e["seq"], e["kind"], e.get("message")) for e in received] == [
        (1, "first", "hi"),
        (2, "second", None),
    ]
    assert not PublicEvent.objects.filter(published_at__isnull=True).exists()
    async_to_sync(layer.group_discard)(stream_group("test:a"), listener)


@pytest.mark.django_db(transaction=True)  # outside any transaction: autocommit
def test_events_are_written_only_inside_the_transaction_of_their_change():
    with pytest.raises(RuntimeError):
        public_events_record(events=[("test:a", "first", {}, NOW)])

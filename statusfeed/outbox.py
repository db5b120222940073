"""The only way anything reaches a public surface.

`public_event_record` writes a numbered event in the caller's transaction and publishes it
to the channel layer once that transaction commits. `outbox_relay` (a django-q2 schedule)
publishes whatever a failed publish left behind, e.g. while Redis was down. Delivery is at
least once: clients drop a `seq` they have already seen.
"""

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from helpdesk.bulk import objects_insert
from statusfeed.models import PublicEvent, PublicStream

log = logging.getLogger(__name__)

# Sent with `events` (saved PublicEvents) by `public_events_record`, which writes them in bulk
# and so sends no post_save; receivers treat both alike. `subjects` maps streams to the objects
# they are about when the writer has them loaded (tickets with their team), else {}.
public_events_recorded = Signal()


def stream_group(stream: str) -> str:
    """The channel-layer group of a stream (group names allow no colon)."""
    return "status." + stream.replace(":", ".")


def public_event_record(*, stream: str, kind: str, payload: dict, at: datetime) -> PublicEvent:
    """Append an event to a stream; call inside the transaction that makes the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Public events are written in the transaction of their change.")
    PublicStream.objects.get_or_create(name=stream)
    # The UPDATE locks the stream row until commit, so concurrent writers get distinct seqs.
    PublicStream.objects.filter(name=stream).update(last_seq=F("last_seq") + 1)
    seq = PublicStream.objects.values_list("last_seq", flat=True).get(name=stream)
    event = PublicEvent.objects.create(
        stream=stream, seq=seq, kind=kind, payload={**payload, "at": at.isoformat()}, created_at=at
    )
    transaction.on_commit(lambda: outbox_publish(event_ids=[event.pk]))
    return event


def public_events_record(
    *,
    events: Sequence[tuple[str, str, dict, datetime]],
    subjects: Mapping[str, object] | None = None,
) -> list[PublicEvent]:
    """`public_event_record` for many (stream, kind, payload, at) at once, in a few queries:
    the same numbering, the same publishing after commit. `subjects`: see the signal."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Public events are written in the transaction of their change.")
    if not events:
        return []
    per_stream = Counter(stream for stream, _, _, _ in events)
    last_seq: dict[str, int] = {}
    for count in sorted(set(per_stream.values())):
        names = sorted(name for name, n in per_stream.items() if n == count)
        _streams_advance(names, count)
        last_seq.update(PublicStream.objects.filter(name__in=names).values_list("name", "last_seq"))
    next_seq = {name: last_seq[name] - n + 1 for name, n in per_stream.items()}
    rows = []
    for stream, kind, payload, at in events:
        rows.append(
            PublicEvent(
                stream=stream,
                seq=next_seq[stream],
                kind=kind,
                payload={**payload, "at": at.isoformat()},
                created_at=at,
            )
        )
        next_seq[stream] += 1
    saved = objects_insert(rows)
    ids = [event.pk for event in saved]
    transaction.on_commit(lambda: outbox_publish(event_ids=ids))
    public_events_recorded.send(sender=PublicEvent, events=saved, subjects=subjects or {})
    return saved


def _streams_advance(names: list[str], count: int) -> None:
    """Move each stream's last seq on by `count`, creating the streams that do not exist yet.
    As in public_event_record, the UPDATE locks the rows, so seqs stay distinct."""
    moved = PublicStream.objects.filter(name__in=names).update(last_seq=F("last_seq") + count)
    if moved == len(names):
        return
    existing = set(PublicStream.objects.filter(name__in=names).values_list("name", flat=True))
    new = [name for name in names if name not in existing]
    PublicStream.objects.bulk_create(
        [PublicStream(name=name) for name in new], ignore_conflicts=True
    )
    PublicStream.objects.filter(name__in=new).update(last_seq=F("last_seq") + count)


def outbox_publish(*, event_ids: list[int]) -> int:
    """Send the given unpublished events to their groups; returns how many went out."""
    events = list(
        PublicEvent.objects.filter(pk__in=event_ids, published_at__isnull=True).order_by(
            "stream", "seq"
        )
    )
    if not events:
        return 0
    # One hop into the event loop for all of them (a sweep publishes thousands at once).
    sent = async_to_sync(_group_send_each)(events)
    if sent:
        PublicEvent.objects.filter(pk__in=sent).update(published_at=timezone.now())
    return len(sent)


async def _group_send_each(events: list[PublicEvent]) -> list[int]:
    layer = get_channel_layer()
    sent = []
    for event in events:
        try:
            await layer.group_send(
                stream_group(event.stream),
                {"type": "public.event", "stream": event.stream, "event": event.as_message()},
            )
        except Exception:
            # Left unpublished on purpose: the relay retries it.
            log.warning("Publishing %s failed; the relay will retry", event, exc_info=True)
            continue
        sent.append(event.pk)
    return sent


def stream_revoke_link(*, stream: str, token_hash: str) -> None:
    """After commit, close the sockets opened with a progress link that no longer works.

    Not kept in the outbox: if the channel layer is down at that moment, those sockets keep
    their stream until they reconnect, and the old link then gets 4404 like any unknown one.
    """

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(
                stream_group(stream), {"type": "link.revoked", "token_hash": token_hash}
            )
        except Exception:
            log.warning(
                "Could not close the sockets of a revoked link on %s", stream, exc_info=True
            )

    transaction.on_commit(send)


def outbox_relay(*, older_than: timedelta = timedelta(seconds=2), limit: int = 1000) -> int:
    """Publish events still unpublished some time after they were written."""
    cutoff = timezone.now() - older_than
    ids = list(
        PublicEvent.objects.filter(published_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return outbox_publish(event_ids=ids) if ids else 0

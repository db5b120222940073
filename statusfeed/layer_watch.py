"""Notices when the channel layer forgot its groups, and puts the open sockets back in theirs.

Group memberships live in Redis. One that restarts without its data forgets them, and the
sockets that stayed open through the restart would hear nothing more (their pages show
"Live" all the same). So each server process keeps a canary: a channel of its own in a group
of its own. Every CHECK_EVERY seconds it sends the group a message; when the message does not
come back, the layer has forgotten the groups: the canary adds every socket of the process to
its group again, then asks those behind their stream's last event to read what they missed
from the outbox (`stream.catch_up`). Rejoining first and reading the last seqs after means an
event published in between reaches the socket live or in the catch-up, never neither.

A busy process can answer late and look forgetful; that costs a rejoin of its sockets (one
Redis write each) and one query, no harm. Steady state: one round trip per process per check.
tests/scale/test_load_and_fault.py is the case.
"""

import asyncio
import logging
import uuid
import weakref

from channels.db import database_sync_to_async

from statusfeed.models import PublicStream
from statusfeed.outbox import stream_group

log = logging.getLogger(__name__)

CHECK_EVERY = 10.0  # seconds
ANSWER_WITHIN = 10.0  # seconds for the canary's message to come back

_sockets: weakref.WeakSet = weakref.WeakSet()
_canary: asyncio.Task | None = None


def watch(consumer) -> None:
    """Count this consumer (with `stream`, `sent_seq`, `channel_name`) among those to put back;
    start the canary if it is not running. Call from the consumer's event loop, once it has
    joined its group."""
    global _canary
    _sockets.add(consumer)
    loop = asyncio.get_running_loop()
    if _canary is None or _canary.done() or _canary.get_loop() is not loop:
        _canary = loop.create_task(_keep_watch(consumer.channel_layer))


def unwatch(consumer) -> None:
    """The socket closed: never put it back."""
    _sockets.discard(consumer)


async def _keep_watch(layer) -> None:
    group = f"statusfeed.canary.{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    joined = rejoin_pending = False
    while _sockets:
        try:
            if rejoin_pending:
                await _rejoin_all(layer)
                rejoin_pending = False
            if not joined:
                await layer.group_add(group, channel)
                joined = True
            else:
                await layer.group_send(group, {"type": "canary"})
                await asyncio.wait_for(layer.receive(channel), timeout=ANSWER_WITHIN)
        except TimeoutError:
            log.warning("The channel layer forgot its groups; %d sockets rejoin", len(_sockets))
            joined, rejoin_pending = False, True
            continue  # at once
        except Exception:
            # Unreachable now; whether it kept its data shows once it answers again.
            log.info("The channel layer is unreachable; checking again later", exc_info=True)
        await asyncio.sleep(CHECK_EVERY)


async def _rejoin_all(layer) -> None:
    sockets = [s for s in list(_sockets) if s.stream is not None]
    for socket in sockets:
        await layer.group_add(stream_group(socket.stream), socket.channel_name)
    last = await database_sync_to_async(_last_seqs)({s.stream for s in sockets})
    for socket in sockets:
        if socket.sent_seq < last.get(socket.stream, 0):
            await layer.send(socket.channel_name, {"type": "stream.catch_up"})


def _last_seqs(streams: set[str]) -> dict[str, int]:
    return dict(PublicStream.objects.filter(name__in=streams).values_list("name", "last_seq"))

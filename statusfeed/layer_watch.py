"""Notices when the channel layer forgot its groups, and makes the open sockets rejoin theirs.

Group memberships live in Redis. One that restarts without its data forgets them, and the
sockets that stayed open through the restart would hear nothing more (their pages show
"Live" all the same). So each server process keeps a canary: a channel of its own in a group
of its own. Every CHECK_EVERY seconds it sends the group a message; when the message does not
come back, the layer has forgotten the groups, and every socket of the process is asked to
rejoin its group and read what it missed from the outbox (`stream.resubscribe`). Costs one
round trip per process per check; tests/scale/test_load_and_fault.py is the case.
"""

import asyncio
import logging
import uuid
import weakref

log = logging.getLogger(__name__)

CHECK_EVERY = 10.0  # seconds
ANSWER_WITHIN = 5.0  # seconds for the canary's message to come back

_sockets: weakref.WeakSet = weakref.WeakSet()
_canary: asyncio.Task | None = None


def watch(consumer) -> None:
    """Count this consumer among those to resubscribe; start the canary if it is not running.

    Call from the consumer's event loop, once it has joined its group.
    """
    global _canary
    _sockets.add(consumer)
    loop = asyncio.get_running_loop()
    if _canary is None or _canary.done() or _canary.get_loop() is not loop:
        _canary = loop.create_task(_keep_watch(consumer.channel_layer))


async def _keep_watch(layer) -> None:
    group = f"statusfeed.canary.{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    joined = False
    while _sockets:
        try:
            if joined:
                await layer.group_send(group, {"type": "canary"})
                await asyncio.wait_for(layer.receive(channel), timeout=ANSWER_WITHIN)
            else:
                await layer.group_add(group, channel)
                joined = True
        except TimeoutError:
            log.warning("The channel layer forgot its groups; %d sockets rejoin", len(_sockets))
            await _resubscribe_all(layer)
            joined = False
            continue  # the canary rejoins at once too
        except Exception:
            # Unreachable now; whether it kept its data shows once it answers again.
            log.info("The channel layer is unreachable; checking again later", exc_info=True)
        await asyncio.sleep(CHECK_EVERY)


async def _resubscribe_all(layer) -> None:
    for consumer in list(_sockets):
        try:
            await layer.send(consumer.channel_name, {"type": "stream.resubscribe"})
        except Exception:
            log.info("Could not ask %s to rejoin", consumer.channel_name, exc_info=True)

"""/healthz: the state of the database, the channel layer and the task cluster."""

import asyncio
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django_q.status import Stat


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure is the answer, not an error of this view
        return f"error: {type(exc).__name__}"


def channel_layer_state() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "error: not configured"

    async def round_trip() -> None:
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "healthz.ping"})
        await asyncio.wait_for(layer.receive(channel), timeout=2)

    try:
        async_to_sync(round_trip)()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def cluster_state() -> str:
    try:
        clusters = Stat.get_all()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return f"ok ({len(clusters)} running)" if clusters else "down"


def healthz(request):
    started = time.monotonic()
    checks = {
        "database": database_state(),
        "channel_layer": channel_layer_state(),
        "task_cluster": cluster_state(),
    }
    # Web requests are served as long as the database answers; the rest is reported.
    status = 200 if checks["database"] == "ok" else 503
    checks["took_ms"] = round((time.monotonic() - started) * 1000, 1)
    return JsonResponse(checks, status=status)

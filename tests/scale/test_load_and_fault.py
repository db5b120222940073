"""Load and faults: intake, agents and live watchers while a server dies and Redis restarts.

Two daphne servers share PostgreSQL and a private Redis. For the run's duration, intake
clients post feedback (each request with an Idempotency-Key, retried with it until answered),
agents change watched tickets through the agent API (public replies, internal notes, status
changes), and watchers follow those tickets' progress streams like the page's script does.
Meanwhile one server is killed (SIGKILL) and started again, and Redis is stopped and started
again (empty: it keeps nothing on disk). The outbox relay runs every second all along, as the
django-q2 schedule would (but more often, for a short run).

Afterwards: every public event of every watched stream reached every watcher, in order, with
the database's content; every intake request made exactly one ticket; no request got a 5xx,
and the only requests that got no answer went to the killed server while it was down.

Short by default (100 watchers, 30 s); LOADFAULT_LONG=1 runs 1,000 watchers for 2 minutes.
"""

import asyncio
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token

from helpdesk.models import Ticket
from statusfeed.models import PublicEvent, PublicStream, ticket_stream
from statusfeed.tasks import relay_outbox
from tests.live import ROOT, AsgiServer, RedisServer, server_env, wait_for_port
from tests.scale.loadgen import (
    HANDSHAKES_AT_ONCE,
    Cluster,
    Ledger,
    Watcher,
    agent_client,
    intake_client,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@dataclass(frozen=True)
class Load:
    watchers: int
    streams: int  # watched tickets; the watchers are spread evenly over them
    seconds: float
    intake_clients: int
    agents: int
    pause: float  # between two requests of one client
    kill_at: float  # seconds into the run
    redis_restart_at: float
    down_for: float  # how long Redis stays down


# Redis restarts early enough that sockets which stayed open through it have rejoined their
# groups (statusfeed.consumers.RESUBSCRIBE_EVERY, 30 s) by the end of the run.
SHORT = Load(100, 10, 30, 2, 2, 0.3, kill_at=5, redis_restart_at=10, down_for=2)
LONG = Load(1000, 50, 120, 4, 4, 0.2, kill_at=30, redis_restart_at=60, down_for=3)
LOAD = LONG if os.environ.get("LOADFAULT_LONG") == "1" else SHORT
CONVERGE_WITHIN = 30  # seconds after the load stops for the last events to arrive


class LoggedAsgiServer(AsgiServer):
    """A daphne server whose output goes to a file, to read when the test fails."""

    def __init__(self, env: dict[str, str], log_path) -> None:
        super().__init__(env)
        self.log_path = log_path

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                 "helpdesk.asgi:application"],
                cwd=ROOT, env=self.env, stdout=log, stderr=log,
            )  # fmt: skip
        wait_for_port(self.port)


def in_thread(function, *args):
    """Run an ORM call off the event loop, closing the thread's connection afterwards."""

    def call():
        try:
            return function(*args)
        finally:
            connections.close_all()

    return asyncio.to_thread(call)


class RelayLoop(threading.Thread):
    """statusfeed.tasks.relay_outbox every second, as a task cluster's schedule would."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.published = 0
        self.failures: list[str] = []

    def run(self) -> None:
        try:
            while not self.stopping.wait(1.0):
                try:
                    self.published += relay_outbox()
                except Exception as exc:  # a schedule's run fails; the next one tries again
                    self.failures.append(repr(exc))
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


@dataclass
class Faults:
    killed_at: float = 0.0
    back_at: float = 0.0
    redis_down_at: float = 0.0
    redis_up_at: float = 0.0

    def phase(self, at: float) -> str:
        """What a socket's close was likely due to, for the test's report."""
        if self.redis_down_at <= at <= self.redis_up_at + 3:
            return "redis restarted"
        if self.killed_at <= at <= self.back_at + 3:
            return "server killed"
        return "otherwise"


async def inject_faults(server: AsgiServer, redis: RedisServer, started: float) -> Faults:
    faults = Faults()
    await asyncio.sleep(max(0.0, started + LOAD.kill_at - time.monotonic()))
    faults.killed_at = time.monotonic()
    server.process.kill()  # no graceful shutdown: in-flight requests die with it
    server.process.wait()
    server.process = None
    await asyncio.to_thread(server.start)  # back once it listens again
    faults.back_at = time.monotonic()

    await asyncio.sleep(max(0.0, started + LOAD.redis_restart_at - time.monotonic()))
    faults.redis_down_at = time.monotonic()
    redis.stop()
    await asyncio.sleep(LOAD.down_for)
    await asyncio.to_thread(redis.start)
    faults.redis_up_at = time.monotonic()
    return faults


def last_seqs(streams: list[str]) -> dict[str, int]:
    return dict(PublicStream.objects.filter(name__in=streams).values_list("name", "last_seq"))


async def converged(watchers: dict[str, list[Watcher]], timeout: float) -> dict[str, int]:
    """Wait until every watcher has shown its stream's last event; the streams' last seqs."""
    deadline = time.monotonic() + timeout
    while True:
        last = await in_thread(last_seqs, list(watchers))
        behind = [w for s, ws in watchers.items() for w in ws if (w.last or 0) < last[s]]
        if not behind or time.monotonic() > deadline:
            return last
        await asyncio.sleep(0.5)


async def scenario(
    servers: list[AsgiServer], redis: RedisServer, streams: dict[str, str], api_token: str
) -> tuple[Ledger, dict[str, list[Watcher]], Faults, dict[str, int]]:
    ledger = Ledger()
    cluster = Cluster([s.url for s in servers], ledger)
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    watchers = {
        stream: [
            Watcher([s.ws_url for s in servers], token, index, gate)
            for index in range(i, LOAD.watchers, len(streams))
        ]
        for i, (stream, token) in enumerate(streams.items())
    }
    everyone = [w for ws in watchers.values() for w in ws]
    watching = [asyncio.create_task(w.run()) for w in everyone]
    deadline = time.monotonic() + 30 + LOAD.watchers / 10
    while any(w.last is None for w in everyone):
        assert time.monotonic() < deadline, "not every watcher got its snapshot"
        await asyncio.sleep(0.2)

    references = await in_thread(
        lambda: [Ticket.objects.get(pk=int(stream.split(":")[1])).reference for stream in watchers]
    )
    run, stop, started = uuid.uuid4().hex[:8], asyncio.Event(), time.monotonic()
    load = [
        asyncio.create_task(intake_client(cluster, i, run, stop, LOAD.pause))
        for i in range(LOAD.intake_clients)
    ] + [
        asyncio.create_task(
            agent_client(cluster, i, api_token, references[i :: LOAD.agents], stop, LOAD.pause)
        )
        for i in range(LOAD.agents)
    ]
    faults = await inject_faults(servers[0], redis, started)
    await asyncio.sleep(max(0.0, started + LOAD.seconds - time.monotonic()))
    stop.set()
    await asyncio.gather(*load)
    last = await converged(watchers, CONVERGE_WITHIN)
    for task in watching:
        task.cancel()
    await asyncio.gather(*watching, return_exceptions=True)
    await cluster.close()
    return ledger, watchers, faults, last


def public_events(streams: list[str]) -> dict[tuple[str, int], PublicEvent]:
    return {(e.stream, e.seq): e for e in PublicEvent.objects.filter(stream__in=streams)}


def raise_open_file_limit(needed: int) -> None:
    """Each watcher holds a socket here and one in a server; the servers inherit the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def test_nothing_is_lost_while_a_server_is_killed_and_redis_restarts(
    settings, make_ticket_link, make_agent, tmp_path
):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed to restart Redis during the test")
    raise_open_file_limit(2 * LOAD.watchers + 1024)
    agent = make_agent("load_agent")
    api_token = Token.objects.create(user=agent.user).key
    streams = {}
    for n in range(LOAD.streams):
        ticket, token = make_ticket_link(subject=f"Watched ticket {n}")
        streams[ticket_stream(ticket.pk)] = token

    redis = RedisServer()
    redis.start()
    # The relay in this process publishes to the servers' Redis.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis.url], "capacity": 1500, "expiry": 30},
        }
    }
    env = server_env(
        REDIS_URL=redis.url,
        DEBUG="0",
        FEEDBACK_THROTTLE_RATE="1000000/minute",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    servers = [LoggedAsgiServer(env, tmp_path / f"server{n}.log") for n in range(2)]
    relay = RelayLoop()
    try:
        for server in servers:
            server.start()
        relay.start()
        ledger, watchers, faults, last = asyncio.run(scenario(servers, redis, streams, api_token))
    finally:
        relay.stop()
        for server in servers:
            server.stop()
        redis.stop()

    everyone = [w for ws in watchers.values() for w in ws]
    events = public_events(list(streams))
    closes = Counter((faults.phase(at), why) for w in everyone for at, why in w.closes)
    rejoins = [
        line.strip()
        for server in servers
        for line in server.log_path.read_text().splitlines()
        if "forgot its groups" in line
    ]
    report = (
        f"{len(ledger.attempts)} requests, {len(ledger.intake_sent)} intake, "
        f"{len(events)} public events on {len(streams)} watched streams, "
        f"{sum(w.connections for w in everyone)} websocket connections of {len(everyone)} "
        f"watchers, closes {dict(closes)}, "
        f"{sum(w.duplicates for w in everyone)} duplicates dropped, "
        f"{sum(w.gaps for w in everyone)} gaps, canary: {rejoins or 'no rejoin needed'}, "
        f"relay published {relay.published} "
        f"(failed {len(relay.failures)} times)"
    )
    print(report, f"server logs in {tmp_path}", sep="\n")

    # The run did what it says: load on both servers, watchers cut off and back.
    assert len(ledger.intake_sent) >= 10 * LOAD.intake_clients, report
    assert min(last.values()) >= 5, report
    assert sum(w.connections for w in everyone) > len(everyone), report
    assert faults.back_at > faults.killed_at > 0

    # Every public event reached every watcher, in order, as the database has it.
    behind = []
    for stream, stream_watchers in watchers.items():
        for watcher in stream_watchers:
            expected = list(range(watcher.snapshot_seq + 1, last[stream] + 1))
            if sorted(watcher.events) != expected:
                behind.append((stream, watcher.last, last[stream], watcher.closes))
                continue
            for seq, message in watcher.events.items():
                stored = events[(stream, seq)].as_message()
                assert message == stored, (stream, seq, message, stored)
    assert not behind, f"{len(behind)} watchers missed events, e.g. {behind[:5]}; {report}"
    # The servers fill gaps themselves and drop repeats: a page never needs to.
    assert sum(w.gaps + w.duplicates for w in everyone) == 0, report
    assert all(e.published_at for e in events.values()), "the relay left events unpublished"
    notes = set(ledger.notes)
    assert not any(m.get("message") in notes for w in everyone for m in w.events.values()), (
        "an internal note reached a public stream"
    )

    # Every intake request made exactly one ticket.
    assert set(ledger.intake_answers) == set(ledger.intake_sent), "intake left unanswered"
    assert {a["status"] for a in ledger.intake_answers.values()} == {201}
    subjects = Counter(
        Ticket.objects.filter(subject__in=ledger.intake_sent.values()).values_list(
            "subject", flat=True
        )
    )
    assert subjects == Counter(set(ledger.intake_sent.values())), "a ticket lost or duplicated"
    for key, answer in ledger.intake_answers.items():
        ticket = Ticket.objects.get(pk=int(answer["reference"].removeprefix("HD-")))
        assert ticket.subject == ledger.intake_sent[key]

    # No 5xx; no answer only from the killed server, while it was down.
    assert not ledger.server_errors(), ledger.server_errors()[:5]
    stray = [
        a
        for a in ledger.unanswered()
        if a.server != 0 or a.ended < faults.killed_at or a.started > faults.back_at
    ]
    assert not stray, stray[:5]

"""Fan-out latency of the public status feed: many websocket clients watch one ticket.

Starts real daphne servers, connects every client to `/ws/status/t/<token>/`, waits for each
snapshot, then posts customer replies through the progress page's form, spaced apart. The
latency of an event is the time from just before its POST to each client's receipt of it;
every client lives in this process, so all times come from one monotonic clock.

    .venv/bin/python bench/fanout.py [--clients 1000] [--events 20] [--json]

bench/README.md says how to read the figures.
"""

import argparse
import asyncio
import json
import logging
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.live and bench when run as a script

from bench.deployment import cpu_seconds, database_ensure  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
REDIS_URL = "redis://127.0.0.1:6379/3"
WARMUP_EVENTS = 2
EVENT_SPACING = 0.5  # seconds between two POSTs
# Daphne listens with Twisted's default backlog of 50: a bigger burst of handshakes overflows
# the accept queue and the kernel's SYN retries add whole seconds to the connect time.
HANDSHAKES_AT_ONCE = 50
# What has not arrived 15 s after the last POST answered, or after 5 s without any delivery
# at all, is missing.
DELIVERY_TIMEOUT = 15
DELIVERY_QUIET = 5
POST_TIMEOUT = 30


@dataclass
class Result:
    config: str
    layer: str
    servers: int
    clients: int
    events: int  # measured, after the warm-up
    connect_s: float  # from the first handshake to the last client's snapshot
    p50_ms: float
    p99_ms: float
    max_ms: float
    post_ms: float  # median round trip of the reply POST itself
    server_cpu_ms: float  # CPU the server processes used per event (all servers together)
    client_cpu_ms: float  # CPU this process used per event, reading the sockets
    failed_posts: int  # POSTs that timed out or did not redirect (their events still count)
    missing: int  # (client, event) pairs never received, warm-up included; must be 0
    clients_missing: int  # clients that missed at least one event
    refused: int  # clients the server refused or hung up on before the snapshot
    disconnected: int  # times the server closed a socket during the run (the client came back
    # with ?after=<last seq>, as the page does, so its events are not missing)
    load_1m: float  # this machine's load average when the configuration started


@dataclass
class Measurement:
    connect_s: float
    latencies: list[float]  # seconds, ascending, measured events only
    post_s: list[float]  # successful POSTs only
    failed_posts: int
    server_cpu_s: float  # during the events
    client_cpu_s: float
    missing: list[int]  # per client
    refused: int
    disconnected: int


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Watcher:
    """One client of the progress page's stream: records when each benchmark event arrived."""

    def __init__(self, ws_url: str, token: str, expected: dict[str, int]) -> None:
        self.url = f"{ws_url}/ws/status/t/{token}/"
        self.origin = ws_url.replace("ws://", "http://")
        self.expected = expected
        self.received: dict[int, float] = {}
        self.ws: websockets.ClientConnection | None = None
        self.error: str | None = None
        self.seq = 0  # the last seq seen, for ?after= when reconnecting
        self.reconnects = 0  # times the server dropped the socket and it came back
        self.closing = False

    async def connect(self, gate: asyncio.Semaphore) -> bool:
        """Open the socket and read the snapshot; False if the server refused or hung up."""
        async with gate:
            try:
                # No client pings: a run is short, and keepalives would only add noise.
                self.ws = await websockets.connect(self.url, origin=self.origin, ping_interval=None)
                snapshot = json.loads(await self.ws.recv())
            except (OSError, websockets.WebSocketException) as exc:
                self.ws, self.error = None, repr(exc)
                return False
        if snapshot["type"] != "snapshot":
            raise RuntimeError(f"Expected a snapshot first, got {snapshot['type']!r}")
        self.seq = snapshot["seq"]
        return True

    async def listen(self) -> None:
        """Read events until the run closes the socket; like the page's script, reconnect
        with ?after=<last seq> when the server drops it, so nothing published is lost."""
        while True:
            try:
                async for raw in self.ws:
                    at = time.perf_counter()
                    message = json.loads(raw)
                    self.seq = max(self.seq, message.get("seq", 0))
                    if message["type"] == "event" and message.get("message") in self.expected:
                        self.received[self.expected[message["message"]]] = at
            except websockets.ConnectionClosed:
                pass
            if self.closing:
                return
            self.reconnects += 1
            await asyncio.sleep(0.5)
            try:
                self.ws = await websockets.connect(
                    f"{self.url}?after={self.seq}", origin=self.origin, ping_interval=None
                )
            except (OSError, websockets.WebSocketException):
                continue


def percentile(ascending: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    return ascending[max(0, math.ceil(fraction * len(ascending)) - 1)]


async def post_events(
    base_urls: list[str], token: str, messages: list[str]
) -> tuple[list[float], list[float | None]]:
    """Post each message as a customer reply, spaced apart, round robin over the servers.

    Returns when each POST started and how long it took (None if it failed).
    """
    sent = [0.0] * len(messages)
    took: list[float | None] = [None] * len(messages)
    clients = [httpx.AsyncClient(base_url=url, timeout=POST_TIMEOUT) for url in base_urls]

    async def post(index: int, message: str) -> None:
        client = clients[index % len(clients)]
        sent[index] = time.perf_counter()
        try:
            response = await client.post(
                f"/status/t/{token}/reply", data={"message": message}, headers={"Origin": "null"}
            )
        except httpx.HTTPError as exc:
            log(f"Event {index}: the reply form did not answer: {exc!r}")
            return
        if response.status_code != 302:
            log(f"Event {index}: the reply form answered {response.status_code}")
            return
        took[index] = time.perf_counter() - sent[index]

    try:
        start = time.perf_counter()
        posts = []
        for index, message in enumerate(messages):
            await asyncio.sleep(max(0.0, start + index * EVENT_SPACING - time.perf_counter()))
            posts.append(asyncio.create_task(post(index, message)))
        await asyncio.gather(*posts)
    finally:
        for client in clients:
            await client.aclose()
    return sent, took


async def delivery(watchers: list[Watcher], total: int) -> None:
    """Wait until every event reached every client, or nothing more arrives, or time is up."""
    deadline = time.perf_counter() + DELIVERY_TIMEOUT
    received, progressed = -1, time.perf_counter()
    while (now := time.perf_counter()) < deadline and now - progressed < DELIVERY_QUIET:
        count = sum(len(w.received) for w in watchers)
        if count == total:
            return
        if count != received:
            received, progressed = count, now
        await asyncio.sleep(0.05)


async def measure(
    *,
    ws_urls: list[str],
    base_urls: list[str],
    pids: list[int],
    token: str,
    clients: int,
    events: int,
) -> Measurement:
    """Connect the clients (split evenly over the servers), then send the events."""
    messages = [f"Benchmark event {index}" for index in range(events)]
    expected = {message: index for index, message in enumerate(messages)}
    watchers = [Watcher(ws_urls[i % len(ws_urls)], token, expected) for i in range(clients)]

    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    listeners: list[asyncio.Task] = []
    started = time.perf_counter()
    try:
        connected = await asyncio.gather(*(watcher.connect(gate) for watcher in watchers))
        connect_s = time.perf_counter() - started
        if errors := [w.error for w in watchers if w.error]:
            log(f"{len(errors)} clients could not connect, the first: {errors[0]}")
        listeners = [asyncio.create_task(w.listen()) for w in watchers if w.ws]
        server_cpu, client_cpu = cpu_seconds(pids), time.process_time()
        sent, took = await post_events(base_urls, token, messages)
        await delivery(watchers, clients * events)
        server_cpu, client_cpu = cpu_seconds(pids) - server_cpu, time.process_time() - client_cpu
        disconnected = sum(w.reconnects for w in watchers)
    finally:
        for w in watchers:
            w.closing = True
        await asyncio.gather(*(w.ws.close() for w in watchers if w.ws))
    await asyncio.gather(*listeners, return_exceptions=True)

    measured = range(WARMUP_EVENTS, events)
    return Measurement(
        connect_s=connect_s,
        latencies=sorted(
            w.received[index] - sent[index]
            for w in watchers
            for index in measured
            if index in w.received
        ),
        post_s=[took[index] for index in measured if took[index] is not None],
        failed_posts=took.count(None),
        server_cpu_s=server_cpu,
        client_cpu_s=client_cpu,
        missing=[events - len(w.received) for w in watchers],
        refused=connected.count(False),
        disconnected=disconnected,
    )


def django_setup(database_url: str) -> None:
    """Point this process's ORM at the benchmark's database, created and migrated."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ["DATABASE_URL"] = database_url
    database_ensure(database_url)

    import django
    from django.apps import apps
    from django.core.management import call_command

    if not apps.ready:
        django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def bench_ticket() -> str:
    """A fresh ticket for each configuration, so its snapshot and stream start small."""
    from helpdesk.models import Calendar, Category, Team
    from helpdesk.services.tickets import ticket_create

    calendar, _ = Calendar.objects.get_or_create(
        name="Benchmark 24/7",
        defaults={"timezone": "UTC", "weekly": {str(d): [[0, 1440]] for d in range(7)}},
    )
    team, _ = Team.objects.get_or_create(
        slug="benchmark", defaults={"name": "Benchmark", "calendar": calendar}
    )
    category, _ = Category.objects.get_or_create(
        slug="benchmark", defaults={"name": "Benchmark", "team": team}
    )
    _, token = ticket_create(
        subject="Benchmark ticket",
        description="Watched by many clients at once.",
        category=category,
        auto_assign=False,
    )
    return token


def raise_open_file_limit(needed: int) -> None:
    """Every client holds a socket here and one in a server; the servers inherit the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(f"{needed} open files are needed; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))


def configurations(layers: list[str], servers: list[int]) -> list[tuple[str, int]]:
    # The in-memory layer lives inside one process: a second server would never hear the event.
    return [(layer, n) for layer in layers for n in servers if layer == "redis" or n == 1]


@contextmanager
def serving(servers: list) -> Iterator[None]:
    """Run the servers; at the end kill any that is still shutting down after 10 s."""
    try:
        with ThreadPoolExecutor() as pool:  # each start waits for its server to listen
            list(pool.map(lambda server: server.start(), servers))
        yield
    finally:
        running = [server.process for server in servers if server.process]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run_configuration(*, layer: str, servers: int, options: argparse.Namespace) -> Result:
    from tests.live import AsgiServer, server_env

    env = server_env(DATABASE_URL=options.database_url, DEBUG="0")
    if layer == "redis":
        env["REDIS_URL"] = options.redis_url
    else:
        env.pop("REDIS_URL", None)
    load_1m = os.getloadavg()[0]
    log(f"{layer} x{servers}: {options.clients} clients, {options.events} events")
    token = bench_ticket()
    asgi = [AsgiServer(env) for _ in range(servers)]
    with serving(asgi):
        m = asyncio.run(
            measure(
                ws_urls=[s.ws_url for s in asgi],
                base_urls=[s.url for s in asgi],
                pids=[s.process.pid for s in asgi],
                token=token,
                clients=options.clients,
                events=options.events,
            )
        )

    def ms(seconds: float | None) -> float:
        return math.nan if seconds is None else round(seconds * 1000, 1)

    return Result(
        config=f"{layer} x{servers}",
        layer=layer,
        servers=servers,
        clients=options.clients,
        events=options.events - WARMUP_EVENTS,
        connect_s=round(m.connect_s, 2),
        p50_ms=ms(percentile(m.latencies, 0.50) if m.latencies else None),
        p99_ms=ms(percentile(m.latencies, 0.99) if m.latencies else None),
        max_ms=ms(m.latencies[-1] if m.latencies else None),
        post_ms=ms(statistics.median(m.post_s) if m.post_s else None),
        server_cpu_ms=ms(m.server_cpu_s / options.events),
        client_cpu_ms=ms(m.client_cpu_s / options.events),
        failed_posts=m.failed_posts,
        missing=sum(m.missing),
        clients_missing=sum(1 for count in m.missing if count),
        refused=m.refused,
        disconnected=m.disconnected,
        load_1m=load_1m,
    )


def table(results: list[Result]) -> str:
    header = (
        "config", "clients", "servers", "connect s", "p50 ms", "p99 ms", "max ms", "missing",
        "post ms", "server cpu ms",
    )  # fmt: skip
    rows = [
        (
            r.config,
            str(r.clients),
            str(r.servers),
            f"{r.connect_s:.2f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.max_ms:.1f}",
            str(r.missing),
            f"{r.post_ms:.1f}",
            f"{r.server_cpu_ms:.1f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    )


def comma_list(cast):
    return lambda text: [cast(item) for item in text.split(",") if item]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--events", type=int, default=20, help=f"including {WARMUP_EVENTS} warm-up events"
    )
    parser.add_argument("--layers", type=comma_list(str), default=["memory", "redis"])
    parser.add_argument("--servers", type=comma_list(int), default=[1, 2])
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args(argv)
    if options.events <= WARMUP_EVENTS:
        parser.error(f"--events must be more than the {WARMUP_EVENTS} warm-up events")
    if unknown := set(options.layers) - {"memory", "redis"}:
        parser.error(f"unknown layers: {', '.join(sorted(unknown))}")
    if not configurations(options.layers, options.servers):
        parser.error("nothing to run: the memory layer runs on one server only")
    return options


def main(argv: list[str] | None = None) -> list[Result]:
    options = parse(argv)
    raise_open_file_limit(options.clients + 1024)
    django_setup(options.database_url)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per POST otherwise
    results = []
    for layer, servers in configurations(options.layers, options.servers):
        result = run_configuration(layer=layer, servers=servers, options=options)
        log(
            f"{result.config}: {result.missing} missing, {result.failed_posts} failed POSTs, "
            f"{result.refused} refused, "
            f"{result.disconnected} reconnects after the server dropped a socket "
            f"(load was {result.load_1m:.2f})"
        )
        results.append(result)
    print(json.dumps([asdict(r) for r in results], indent=2) if options.json else table(results))
    return results


if __name__ == "__main__":
    sys.exit(1 if any(result.missing for result in main()) else 0)

"""The clients of the load-and-fault test: intake, agents and progress-page watchers.

Each client talks to two servers the way a load balancer in front of them would route it: a
request that cannot connect goes to the other server, and every websocket (re)connection
alternates between them. Every request and its answer is written to a `Ledger`.
"""

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field

import httpx
import websockets

NO_ANSWER = 0  # the status recorded when a request got no answer at all
# Daphne listens with a backlog of 50; a proxy in front (with a longer one) would queue a
# reconnection storm instead of the kernel dropping SYNs, so handshakes wait here.
HANDSHAKES_AT_ONCE = 50
logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise


@dataclass
class Attempt:
    client: str
    server: int
    started: float
    ended: float
    status: int  # NO_ANSWER when the connection failed or broke
    error: str = ""


@dataclass
class Ledger:
    attempts: list[Attempt] = field(default_factory=list)
    intake_sent: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> subject
    intake_answers: dict[str, dict] = field(default_factory=dict)  # key -> the 2xx body
    notes: list[str] = field(default_factory=list)  # internal notes' bodies, never public

    def server_errors(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status >= 500]

    def unanswered(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == NO_ANSWER]


class Cluster:
    """Two (or more) servers behind an imaginary round-robin balancer."""

    def __init__(self, base_urls: list[str], ledger: Ledger) -> None:
        self.base_urls = base_urls
        self.ledger = ledger
        self.http = [httpx.AsyncClient(base_url=url, timeout=30) for url in base_urls]

    async def close(self) -> None:
        for http in self.http:
            await http.aclose()

    async def send(
        self, client: str, server: int, method: str, path: str, **kwargs
    ) -> httpx.Response | httpx.TransportError:
        """One attempt on one server: the response, or the error when no answer came."""
        started = time.monotonic()
        try:
            response = await self.http[server].request(method, path, **kwargs)
        except httpx.TransportError as exc:
            self.ledger.attempts.append(
                Attempt(client, server, started, time.monotonic(), NO_ANSWER, repr(exc))
            )
            return exc
        self.ledger.attempts.append(
            Attempt(client, server, started, time.monotonic(), response.status_code)
        )
        return response


async def intake_client(
    cluster: Cluster, index: int, run: str, stop: asyncio.Event, pause: float
) -> None:
    """Send feedback until stopped; retry each unanswered request, with the same key."""
    name, ledger, server, n = f"intake{index}", cluster.ledger, index % len(cluster.base_urls), 0
    while not stop.is_set():
        key = f"{run}-{name}-{n}"
        subject = f"Load {run} {name} {n}: the export is broken"
        body = {
            "subject": subject,
            "message": "The export fails with an error since this morning.",
            "email": f"load-{run}-{name}-{n}@example.com",
            "channel": "api",
        }
        ledger.intake_sent[key] = subject
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            headers = {"Idempotency-Key": key}
            response = await cluster.send(
                name, server, "POST", "/api/v1/feedback/", json=body, headers=headers
            )
            if isinstance(response, httpx.Response) and response.status_code < 500:
                ledger.intake_answers[key] = {"status": response.status_code, **response.json()}
                break
            server = (server + 1) % len(cluster.base_urls)
            await asyncio.sleep(0.2)
        n += 1
        await asyncio.sleep(pause)


async def agent_client(
    cluster: Cluster,
    index: int,
    api_token: str,
    references: list[str],
    stop: asyncio.Event,
    pause: float,
) -> None:
    """Work the given tickets through the agent API: public replies, notes, status changes.

    A request that could not connect is sent to the other server; one that got no answer
    after it was sent is not repeated (a reply might then be posted twice): whether it was
    made is for the database to say, and the watchers are checked against the database.
    """
    headers = {"Authorization": f"Token {api_token}"}
    name, server, n = f"agent{index}", index % len(cluster.base_urls), 0
    while not stop.is_set():
        reference = references[n % len(references)]
        step = (n // len(references)) % 4
        path = f"/api/v1/tickets/{reference}/"
        if step == 0:
            request = ("POST", path + "replies/", {"body": f"{name} update {n}", "public": True})
        elif step == 1:
            request = ("PATCH", path, {"status": "pending"})
        elif step == 2:
            note = f"{name} internal note {n}: do not publish"
            cluster.ledger.notes.append(note)
            request = ("POST", path + "replies/", {"body": note, "public": False})
        else:
            request = ("PATCH", path, {"status": "open"})
        method, url, body = request
        for _ in range(len(cluster.base_urls)):
            answer = await cluster.send(name, server, method, url, json=body, headers=headers)
            if not isinstance(answer, httpx.ConnectError):  # only then surely not sent
                break
            server = (server + 1) % len(cluster.base_urls)
        n += 1
        await asyncio.sleep(pause)


class Watcher:
    """A progress page's live stream, as the page's script keeps it.

    Connects without `after` once (a snapshot), then keeps the last seq it showed: a duplicate
    is dropped, a gap or a closed socket makes it reconnect with `?after=<last seq>`.
    """

    def __init__(self, ws_urls: list[str], token: str, index: int, gate: asyncio.Semaphore) -> None:
        self.ws_urls = ws_urls
        self.gate = gate
        self.token = token
        self.server = index % len(ws_urls)
        self.last: int | None = None
        self.snapshot_seq: int | None = None
        self.events: dict[int, dict] = {}
        self.duplicates = 0
        self.gaps = 0
        self.connections = 0
        self.closes: list[tuple[float, str]] = []  # when, and the close code or error

    def url(self) -> str:
        base = f"{self.ws_urls[self.server]}/ws/status/t/{self.token}/"
        return base if self.last is None else f"{base}?after={self.last}"

    async def run(self) -> None:
        failures = 0
        while True:
            origin = self.ws_urls[self.server].replace("ws://", "http://")
            try:
                async with self.gate:
                    options = {"open_timeout": 15, "ping_interval": None, "max_size": None}
                    ws = await websockets.connect(self.url(), origin=origin, **options)
                async with ws:
                    self.connections += 1
                    async for raw in ws:
                        failures = 0
                        if not self.take(json.loads(raw)):
                            self.gaps += 1
                            break
                    self.closes.append((time.monotonic(), str(ws.close_code)))
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else "no close frame"
                self.closes.append((time.monotonic(), str(code)))
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                self.closes.append((time.monotonic(), type(exc).__name__))
            failures += 1
            # A balancer would send the next connection elsewhere; back off with jitter.
            self.server = (self.server + 1) % len(self.ws_urls)
            await asyncio.sleep(min(2.0, 0.1 * 2**failures) * random.uniform(0.5, 1.5))

    def take(self, message: dict) -> bool:
        """Record a message; False when it shows a gap (the caller reconnects)."""
        if message["type"] == "snapshot":
            if self.last is None:
                self.snapshot_seq = self.last = message["seq"]
            return True
        if message["type"] != "event":
            return True
        seq = message["seq"]
        if seq <= self.last:
            self.duplicates += 1
            return True
        if seq > self.last + 1:
            return False
        self.events[seq] = message
        self.last = seq
        return True

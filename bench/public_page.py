"""Server-side time of a ticket's public progress page, its JSON and its websocket snapshot.

The ticket has a long public history (--history events: agent replies, customer replies,
status changes, revised ETAs), all of which the page shows. Each surface is requested through
Django's test client in this process (no HTTP server, no network), like the admin queue
benchmark, so the figure is the server's time: URL routing, the token lookup, the snapshot's
queries, the template, the middleware.

    .venv/bin/python bench/public_page.py [--history 1000] [--runs 50] [--json]

It creates `helpdesk_bench_public` if missing (--database-url to change it), migrates it,
and writes the ticket once: a handful of changes through the services (so the events are the
real ones), then copies of them up to --history events, in bulk. A database that already holds
that ticket is reused. Rows: `page` (GET /status/t/<token>/), `json` (GET /status/t/<token>.json)
and `ws snapshot` (what a websocket connection costs before its first message: the token lookup
and the snapshot, called directly).
"""

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(ROOT))

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_public"
WARMUP = 3


@dataclass
class Surface:
    name: str
    url: str
    runs: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    queries: int
    kilobytes: float
    status: int


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def percentile(ascending: list[float], fraction: float) -> float:
    return ascending[min(len(ascending) - 1, round(fraction * (len(ascending) - 1)))]


def django_setup(database_url: str) -> None:
    from bench.deployment import database_ensure, database_migrate

    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)  # the in-memory layer: events published here go nowhere
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    database_ensure(database_url)
    database_migrate(database_url)
    import django

    django.setup()


def bench_token(history: int) -> str:
    """One fixed link per history length, so a later run finds the ticket again."""
    return f"bench-public-page-{history}"


def ticket_write(history: int, token: str) -> None:
    """A ticket whose stream holds `history` public events: real ones, then copies."""
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from helpdesk.models import Agent, Category, Contact, Ticket, hash_token
    from helpdesk.services.tickets import (
        ticket_change_priority,
        ticket_change_status,
        ticket_create,
        ticket_customer_reply,
        ticket_reply,
    )
    from statusfeed.models import PublicEvent, PublicStream, ticket_stream

    category = Category.objects.order_by("pk").first()
    user, _ = User.objects.get_or_create(
        username="bench_public_agent", defaults={"is_staff": True, "email": "a@bench.invalid"}
    )
    agent, _ = Agent.objects.get_or_create(user=user)
    agent.teams.add(category.team)
    requester, _ = Contact.objects.get_or_create(email="reader@bench.invalid", name="Reader")
    ticket, _ = ticket_create(
        subject="The dashboard shows yesterday's numbers",
        description="Since Monday the dashboard is a day behind.",
        category=category,
        requester=requester,
        auto_assign=False,
    )
    body = "We are looking into it; the nightly import ran late."
    ticket_reply(ticket=ticket, body=body, public=True, author=user)
    ticket_change_status(ticket=ticket, status="pending", actor=user)
    ticket_customer_reply(ticket=ticket, body="It is still a day behind this morning.")
    ticket_change_priority(ticket=ticket, priority="high", actor=user)
    stream = ticket_stream(ticket.pk)
    templates = list(PublicEvent.objects.filter(stream=stream).exclude(kind="created"))
    start = PublicEvent.objects.filter(stream=stream).count()
    now = timezone.now()
    rows = []
    for seq in range(start + 1, history + 1):
        template = templates[seq % len(templates)]
        at = now + timedelta(minutes=seq)
        payload = {**template.payload, "at": at.isoformat()}
        if payload.get("message"):
            payload["message"] = f"Update {seq}: {payload['message']} " + "More detail. " * 10
        rows.append(
            PublicEvent(
                stream=stream,
                seq=seq,
                kind=template.kind,
                payload=payload,
                created_at=at,
                published_at=at,
            )
        )
    with transaction.atomic():
        PublicEvent.objects.bulk_create(rows, batch_size=1000)
        PublicStream.objects.filter(name=stream).update(last_seq=max(history, start))
        Ticket.objects.filter(pk=ticket.pk).update(public_token_hash=hash_token(token))


def ticket_ready(history: int) -> str:
    from statusfeed.models import PublicEvent, ticket_stream
    from statusfeed.selectors import ticket_for_token

    token = bench_token(history)
    ticket = ticket_for_token(token)
    if ticket and PublicEvent.objects.filter(stream=ticket_stream(ticket.pk)).count() >= history:
        log(f"The database already holds the ticket with {history:,} public events.")
        return token
    log(f"Writing a ticket with {history:,} public events.")
    ticket_write(history, token)
    return token


def timed(name: str, url: str, runs: int, call) -> Surface:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        call()
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        took.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        status, size = call()
    took.sort()
    return Surface(
        name=name,
        url=url,
        runs=runs,
        p50_ms=round(statistics.median(took) * 1000, 1),
        p99_ms=round(percentile(took, 0.99) * 1000, 1),
        max_ms=round(took[-1] * 1000, 1),
        queries=len(captured),
        kilobytes=round(size / 1024, 1),
        status=status,
    )


def run(options: argparse.Namespace, token: str) -> list[Surface]:
    from django.test import Client

    from statusfeed.selectors import ticket_for_token, ticket_snapshot

    client = Client()

    def get(url: str):
        def call() -> tuple[int, int]:
            response = client.get(url)
            return response.status_code, len(response.content)

        return call

    def snapshot() -> tuple[int, int]:
        return 200, len(json.dumps(ticket_snapshot(ticket_for_token(token))))

    page, data = f"/status/t/{token}/", f"/status/t/{token}.json"
    return [
        timed("page", page, options.runs, get(page)),
        timed("json", data, options.runs, get(data)),
        timed("ws snapshot", f"/ws/status/t/{token}/", options.runs, snapshot),
    ]


def table(results: list[Surface]) -> str:
    header = f"{'surface':12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'queries':>8} "
    lines = [header + f"{'KB':>8} {'status':>6}"]
    for r in results:
        lines.append(
            f"{r.name:12} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.max_ms:8.1f} {r.queries:8} "
            f"{r.kilobytes:8.1f} {r.status:6}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[Surface]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=1000, help="public events on the ticket")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per surface")
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args(argv)
    if options.history < 10:
        parser.error("--history must be at least 10 (the real events come first)")

    django_setup(options.database_url)
    token = ticket_ready(options.history)
    results = run(options, token)
    load_1m = round(os.getloadavg()[0], 2)
    if options.json:
        print(
            json.dumps(
                {
                    "history": options.history,
                    "load_1m": load_1m,
                    "surfaces": [asdict(r) for r in results],
                },
                indent=2,
            )
        )
    else:
        print(
            f"Progress page of a ticket with {options.history:,} public events, "
            f"{options.runs} runs each, load {load_1m}"
        )
        print(table(results))
    return results


if __name__ == "__main__":
    main()

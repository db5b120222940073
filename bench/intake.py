"""Intake throughput: N concurrent clients post feedback to the server.

Each client sends its share of POST /api/v1/feedback/ one after another, each with its own
requester and subject (so none joins an earlier ticket), and times the round trip: the
ticket is classified, routed, assigned and on its SLA clocks when the answer arrives.

    .venv/bin/python bench/intake.py [--clients 8] [--requests 300] [--runs 3] [--servers 1]
    .venv/bin/python bench/intake.py --url http://127.0.0.1:8000   # a running deployment

Without --url it starts its own deployment: a freshly created and migrated PostgreSQL
database (--database-url), a private redis-server (or --redis-url) and --servers daphne
processes (clients split evenly over them). A running server given with --url must let one
address post that often, e.g. FEEDBACK_THROTTLE_RATE=1000000/minute. The figures are the
medians of --runs runs.
"""

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(ROOT))

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_intake"

# One of each kind, so classification and routing do their usual work.
SUBJECTS = [
    "The app crashes when I save",
    "I was charged twice on my invoice",
    "Please add a dark mode",
    "How do I invite my team?",
    "Search is slow and times out",
]


@dataclass
class Run:
    requests: int
    elapsed_s: float
    statuses: dict[int, int]  # status -> count; 0 is a connection error
    tickets_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    server_cpu_ms: float | None  # per created ticket, all servers together (own deployment)


def percentile(ascending: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    return ascending[max(0, math.ceil(fraction * len(ascending)) - 1)]


async def client_run(
    http: httpx.AsyncClient, run: str, client: int, count: int, latencies: list[float]
) -> dict[int, int]:
    statuses: dict[int, int] = {}
    for n in range(count):
        subject = SUBJECTS[n % len(SUBJECTS)]
        body = {
            "subject": f"{subject} ({run} {client}-{n})",
            "message": f"{subject}. Sent by the intake benchmark.",
            "email": f"bench-{run}-{client}-{n}@example.com",
            "channel": "api",
        }
        started = time.perf_counter()
        try:
            response = await http.post("/api/v1/feedback/", json=body)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        if status == 201:
            latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


async def one_run(urls: list[str], clients: int, requests: int, pids: list[int]) -> Run:
    from bench.deployment import cpu_seconds

    run = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    per_client = [requests // clients + (i < requests % clients) for i in range(clients)]
    per_server = math.ceil(clients / len(urls))
    limits = httpx.Limits(max_connections=per_server, max_keepalive_connections=per_server)
    https = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for url in urls]
    try:
        cpu = cpu_seconds(pids)
        started = time.perf_counter()
        results = await asyncio.gather(
            *(
                client_run(https[i % len(https)], run, i, count, latencies)
                for i, count in enumerate(per_client)
            )
        )
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu
    finally:
        for http in https:
            await http.aclose()
    statuses: dict[int, int] = {}
    for result in results:
        for status, count in result.items():
            statuses[status] = statuses.get(status, 0) + count
    latencies.sort()
    created = statuses.get(201, 0)

    def ms(fraction: float) -> float | None:
        return round(percentile(latencies, fraction) * 1000, 1) if latencies else None

    return Run(
        requests=requests,
        elapsed_s=round(elapsed, 2),
        statuses=dict(sorted(statuses.items())),
        tickets_per_s=round(created / elapsed, 1),
        p50_ms=ms(0.5),
        p99_ms=ms(0.99),
        max_ms=round(latencies[-1] * 1000, 1) if latencies else None,
        server_cpu_ms=round(cpu * 1000 / created, 1) if pids and created else None,
    )


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def summary(options: argparse.Namespace, urls: list[str], runs: list[Run]) -> dict:
    statuses: dict[int, int] = {}
    for run in runs:
        for status, count in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "server": ", ".join(urls),
        "servers": len(urls),
        "clients": options.clients,
        "requests_per_run": options.requests,
        "runs": [asdict(run) for run in runs],
        "statuses": dict(sorted(statuses.items())),
        "tickets_per_s": median([r.tickets_per_s for r in runs]),
        "p50_ms": median([r.p50_ms for r in runs]),
        "p99_ms": median([r.p99_ms for r in runs]),
        "max_ms": max((r.max_ms for r in runs if r.max_ms is not None), default=None),
        "server_cpu_ms_per_ticket": median([r.server_cpu_ms for r in runs]),
        "load_1m": round(os.getloadavg()[0], 2),
    }


def table(result: dict) -> str:
    runs = result["runs"]
    each = ", ".join(str(r["tickets_per_s"]) for r in runs)
    lines = [
        f"server            {result['server']}",
        f"clients           {result['clients']}",
        f"requests          {result['requests_per_run']} per run, {len(runs)} run(s), "
        f"{statistics.median(r['elapsed_s'] for r in runs):.1f} s each (median)",
        f"answers           {result['statuses']}  (0 = connection error)",
        f"tickets/s         {result['tickets_per_s']:.1f}"
        + (f"  (runs: {each})" if len(runs) > 1 else ""),
    ]
    if result["p50_ms"] is not None:
        lines += [
            f"p50               {result['p50_ms']:.0f} ms",
            f"p99               {result['p99_ms']:.0f} ms",
            f"max               {result['max_ms']:.0f} ms",
        ]
    if result["server_cpu_ms_per_ticket"] is not None:
        lines.append(f"server cpu        {result['server_cpu_ms_per_ticket']:.1f} ms per ticket")
    lines.append(f"load (1 min)      {result['load_1m']:.2f}")
    return "\n".join(lines)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(options: argparse.Namespace, urls: list[str], pids: list[int]) -> dict:
    runs = []
    for index in range(options.runs):
        run = asyncio.run(one_run(urls, options.clients, options.requests, pids))
        log(
            f"intake run {index + 1}/{options.runs}: {run.tickets_per_s} tickets/s, "
            f"p50 {run.p50_ms} ms, p99 {run.p99_ms} ms, answers {run.statuses}"
        )
        runs.append(run)
    return summary(options, urls, runs)


def main(argv: list[str] | None = None) -> dict:
    from bench import deployment

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", type=lambda text: text.split(","), help="running server(s), comma separated"
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=300, help="per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--servers", type=int, default=1, help="daphne processes to start")
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", help="default: a private redis-server")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args(argv)

    if options.url:
        result = measure(options, options.url, [])
    else:
        with ExitStack() as stack:
            log(f"intake: fresh database {options.database_url.rsplit('/', 1)[-1]}, migrating")
            deployment.database_recreate(options.database_url)
            deployment.database_migrate(options.database_url)
            redis_url = stack.enter_context(deployment.private_redis(options.redis_url))
            env = deployment.server_env(database_url=options.database_url, redis_url=redis_url)
            servers = stack.enter_context(deployment.asgi_servers(env, options.servers))
            result = measure(options, [s.url for s in servers], [s.process.pid for s in servers])
    print(json.dumps(result, indent=2) if options.json else table(result))
    return result


if __name__ == "__main__":
    main()

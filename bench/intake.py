"""Intake throughput: N concurrent clients post feedback to a running server.

Each client sends its share of POST /api/v1/feedback/ one after another, each with its own
requester and subject (so none joins an earlier ticket), and times the round trip: the
ticket is classified, routed, assigned and on its SLA clocks when the answer arrives.

    .venv/bin/python bench/intake.py [--url http://127.0.0.1:8000] [--clients 20] [--requests 500]

The server must let one address post that often, e.g. FEEDBACK_THROTTLE_RATE=1000000/minute.
"""

import argparse
import asyncio
import math
import os
import time
import uuid

import httpx

# One of each kind, so classification and routing do their usual work.
SUBJECTS = [
    "The app crashes when I save",
    "I was charged twice on my invoice",
    "Please add a dark mode",
    "How do I invite my team?",
    "Search is slow and times out",
]


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


async def main(url: str, clients: int, requests: int) -> None:
    run = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    per_client = [requests // clients + (i < requests % clients) for i in range(clients)]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(client_run(http, run, i, count, latencies) for i, count in enumerate(per_client))
        )
        elapsed = time.perf_counter() - started
    statuses: dict[int, int] = {}
    for result in results:
        for status, count in result.items():
            statuses[status] = statuses.get(status, 0) + count
    latencies.sort()
    created = statuses.get(201, 0)
    print(f"server            {url}")
    print(f"clients           {clients}")
    print(f"requests          {requests} in {elapsed:.1f} s")
    print(f"answers           {dict(sorted(statuses.items()))}  (0 = connection error)")
    print(f"tickets/s         {created / elapsed:.1f}")
    if latencies:
        print(f"p50               {percentile(latencies, 0.5) * 1000:.0f} ms")
        print(f"p99               {percentile(latencies, 0.99) * 1000:.0f} ms")
        print(f"max               {latencies[-1] * 1000:.0f} ms")
    print(f"load (1 min)      {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.url, arguments.clients, arguments.requests))

"""Server-side time of the agents' admin queue pages and the ticket page, on many tickets.

Seeds a PostgreSQL database with N tickets in plain SQL (once: a database that already holds
N tickets is reused), then renders each queue's first page and one long ticket page through
Django's test client, in this process, as an agent of two teams and as a manager, and prints
p50/p99 and the number of SQL queries per page.

    .venv/bin/python bench/admin_queue.py [--tickets 1000000] [--runs 20] [--json] [--explain]
        [--profile 25]

bench/README.md says how to read the figures.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(ROOT))

from bench.deployment import database_ensure, database_migrate  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_admin"
AGENTS = 50
CONTACTS = 50_000
TIMELINE_EVENTS = 2_000
TIMELINE_MESSAGES = 1_000
BATCH = 50_000
WARMUP = 3
TARGET_MS = 50.0
SLOWEST_EXPLAINED = 3  # per page, with --explain

# Status by (i * 7919) % 100: 20% open in one of the four open statuses, the rest done.
STATUS_SQL = """CASE
    WHEN s < 8 THEN 'new' WHEN s < 13 THEN 'open' WHEN s < 17 THEN 'pending'
    WHEN s < 20 THEN 'on_hold' WHEN s < 60 THEN 'resolved' ELSE 'closed' END"""

# One row per ticket, in a subquery so the derived values are computed once. Open tickets get
# an SLA due within three days either side of now (the past ones breached) and a resolution
# clock in sla_state, so the SLA badges have something to draw; 60% of tickets have an owner
# from their team, the rest sit unassigned.
TICKETS_SQL = f"""
INSERT INTO helpdesk_ticket (
    subject, description, priority, status, audience, channel, public_token_hash,
    created_at, updated_at, resolution_due, resolution_paused, resolved_at, sla_breached,
    sla_state, assignee_id, category_id, requester_id, team_id,
    requester_subscribed, version, sla_due
)
SELECT
    'Bench ticket ' || i, 'Something is wrong with order ' || i, c.default_priority, t.status,
    'customer', 'web', md5(i::text) || md5((i + 1)::text),
    t.created, t.created, t.due, false,
    CASE WHEN t.open THEN NULL ELSE t.created + interval '1 day' END,
    CASE WHEN t.open THEN t.due < now() ELSE mod(i, 20) = 0 END,
    CASE WHEN t.open THEN jsonb_build_object('clocks', jsonb_build_object('resolution',
        jsonb_build_object('state', 'running', 'target', 28800, 'due_at',
            to_char(t.due AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))))
        ELSE '{{}}'::jsonb END,
    CASE WHEN mod(i, 10) < 6 THEN ta.agent_id END,
    c.id, %(first_contact)s + mod(i, {CONTACTS}), c.team_id, true, 1,
    CASE WHEN t.open THEN t.due END
FROM (
    SELECT i, st.status, st.status IN ('new', 'open', 'pending', 'on_hold') AS open,
        now() - make_interval(secs => mod(i * 7727, 31536000)) AS created,
        now() + make_interval(secs => mod(i * 104729, 518400) - 259200) AS due
    FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS i,
        LATERAL (SELECT {STATUS_SQL} AS status FROM (SELECT mod(i * 7919, 100) AS s) x) st
) t
JOIN bench_categories c ON c.slot = mod(t.i, 8)
JOIN bench_team_agents ta ON ta.team_id = c.team_id AND ta.slot = mod(t.i, 7)
"""


@dataclass
class Page:
    user: str
    page: str
    url: str
    runs: int
    p50_ms: float
    p99_ms: float
    queries: int
    status: int


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def seed_people(conn: psycopg.Connection) -> None:
    """Fifty agents, each in two neighbouring teams, a manager and the contacts."""
    if conn.execute("SELECT 1 FROM auth_user WHERE username = 'bench_manager'").fetchone():
        return
    teams = [row[0] for row in conn.execute("SELECT id FROM helpdesk_team ORDER BY id")]
    # An unusable password: force_login needs none and nobody can log in as them.
    conn.execute(
        """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined)
        SELECT '!', false, 'bench_agent_' || lpad(k::text, 2, '0'), 'Agent', k::text,
            'agent' || k || '@bench.invalid', true, true, now()
        FROM generate_series(0, %s - 1) AS k""",
        [AGENTS],
    )
    conn.execute(
        """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined)
        VALUES ('!', true, 'bench_manager', 'Bench', 'Manager', 'manager@bench.invalid',
            true, true, now())"""
    )
    conn.execute(
        """INSERT INTO helpdesk_agent (user_id, capacity, is_available)
        SELECT id, 20, true FROM auth_user WHERE username LIKE 'bench_agent_%' ORDER BY id"""
    )
    agents = [
        row[0]
        for row in conn.execute(
            """SELECT a.id FROM helpdesk_agent a JOIN auth_user u ON u.id = a.user_id
            WHERE u.username LIKE 'bench_agent_%' ORDER BY u.username"""
        )
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO helpdesk_agent_teams (agent_id, team_id) VALUES (%s, %s)",
            [
                (agent, teams[(k + shift) % len(teams)])
                for k, agent in enumerate(agents)
                for shift in (0, 1)
            ],
        )
    conn.execute(
        """INSERT INTO helpdesk_contact (email, name, created_at)
        SELECT 'contact' || k || '@bench.invalid', 'Contact ' || k, now()
        FROM generate_series(1, %s) AS k""",
        [CONTACTS],
    )


def seed_tickets(conn: psycopg.Connection, tickets: int) -> None:
    conn.execute("TRUNCATE helpdesk_ticket RESTART IDENTITY CASCADE")
    conn.execute(
        """CREATE TEMP TABLE bench_categories AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS slot, id, team_id, default_priority
        FROM helpdesk_category ORDER BY id LIMIT 8"""
    )
    # Seven agents of each team, by slot: a ticket's owner is always in the ticket's team.
    conn.execute("CREATE TEMP TABLE bench_team_agents (team_id bigint, slot int, agent_id bigint)")
    members: dict[int, list[int]] = {}
    for team_id, agent_id in conn.execute(
        """SELECT at.team_id, at.agent_id FROM helpdesk_agent_teams at
        JOIN helpdesk_agent a ON a.id = at.agent_id JOIN auth_user u ON u.id = a.user_id
        WHERE u.username LIKE 'bench_agent_%' ORDER BY at.team_id, u.username"""
    ):
        members.setdefault(team_id, []).append(agent_id)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO bench_team_agents VALUES (%s, %s, %s)",
            [
                (team, slot, agents[slot % len(agents)])
                for team, agents in members.items()
                for slot in range(7)
            ],
        )
    first_contact = conn.execute("SELECT min(id) - 1 FROM helpdesk_contact").fetchone()[0]
    conn.commit()
    with tqdm(total=tickets, unit="ticket", desc="Tickets", file=sys.stderr) as progress:
        for start in range(1, tickets + 1, BATCH):
            stop = min(start + BATCH - 1, tickets)
            conn.execute(
                TICKETS_SQL, {"start": start, "stop": stop, "first_contact": first_contact + 1}
            )
            conn.commit()
            progress.update(stop - start + 1)


def timeline_ticket(conn: psycopg.Connection, team_id: int) -> int:
    """The open ticket with the long story, in the bench agent's first team."""
    return conn.execute(
        "SELECT min(id) FROM helpdesk_ticket WHERE team_id = %s AND status = 'open'", [team_id]
    ).fetchone()[0]


def seed_timeline(conn: psycopg.Connection, ticket_id: int) -> None:
    """A ticket that went back and forth for months: thousands of events and messages."""
    kinds = ["status_changed", "assigned", "priority_changed", "sla_warned", "sla_resumed"]
    conn.execute(
        """INSERT INTO helpdesk_ticketevent (ticket_id, kind, at, data)
        SELECT %s, (%s::text[])[1 + k %% 5], now() - make_interval(mins => k * 37),
            jsonb_build_object('from', 'open', 'to', 'pending', 'n', k)
        FROM generate_series(1, %s) AS k""",
        [ticket_id, kinds, TIMELINE_EVENTS],
    )
    author = conn.execute("SELECT id FROM auth_user WHERE username = 'bench_agent_00'").fetchone()[
        0
    ]
    conn.execute(
        """INSERT INTO helpdesk_message (ticket_id, kind, author_id, body, created_at)
        SELECT %s, CASE WHEN k %% 2 = 0 THEN 'customer' ELSE 'public_reply' END,
            CASE WHEN k %% 2 = 0 THEN NULL ELSE %s END,
            'Message ' || k || ': ' || repeat('the order still has not arrived. ', 8),
            now() - make_interval(mins => k * 53)
        FROM generate_series(1, %s) AS k""",
        [ticket_id, author, TIMELINE_MESSAGES],
    )


def seed(url: str, tickets: int) -> None:
    with psycopg.connect(url) as conn:
        seed_people(conn)
        conn.commit()
        held = conn.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]
        if held == tickets:
            log(f"The database already holds {tickets:,} tickets: not seeding again.")
            return
        log(f"Seeding {tickets:,} tickets (the database held {held:,}).")
        seed_tickets(conn, tickets)
        team = bench_agent_teams(conn)[0]
        seed_timeline(conn, timeline_ticket(conn, team))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        # VACUUM too: a table loaded in bulk has no visibility map until it is vacuumed, so
        # every index-only scan would visit the table as well. Autovacuum sets it on a live
        # database; it may be off on the benchmark's server.
        log("VACUUM ANALYZE")
        conn.execute("VACUUM (ANALYZE)")


def bench_agent_teams(conn: psycopg.Connection) -> list[int]:
    return [
        row[0]
        for row in conn.execute(
            """SELECT at.team_id FROM helpdesk_agent_teams at
            JOIN helpdesk_agent a ON a.id = at.agent_id JOIN auth_user u ON u.id = a.user_id
            WHERE u.username = 'bench_agent_00' ORDER BY at.team_id"""
        )
    ]


def percentile(ascending: list[float], fraction: float) -> float:
    return ascending[min(len(ascending) - 1, round(fraction * (len(ascending) - 1)))]


def measure(client, url: str, runs: int) -> tuple[list[float], int, int, list[dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        client.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return sorted(times), len(captured), response.status_code, list(captured.captured_queries)


def profile(client, url: str, runs: int, lines: int) -> str:
    """Where the page's time goes in Python: its costliest functions over `runs` more requests
    (profiled apart from the timed runs, which the profiler would slow)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    return out.getvalue()


def explain(queries: list[dict]) -> str:
    """EXPLAIN ANALYZE of the page's slowest queries, as run (Django logs them interpolated)."""
    from django.db import connection

    out = []
    slowest = sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:SLOWEST_EXPLAINED]
    for query in slowest:
        text = query["sql"]
        if not text.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + text)
            plan = "\n".join("    " + row[0] for row in cursor.fetchall())
        out.append(f"  -- {float(query['time']) * 1000:.1f} ms\n  {text}\n{plan}")
    return "\n\n".join(out)


def run(options: argparse.Namespace) -> tuple[list[Page], dict[str, str], dict[str, str]]:
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    with psycopg.connect(options.database_url) as conn:
        teams = bench_agent_teams(conn)
        ticket_id = timeline_ticket(conn, teams[0])
    pages = [
        *((queue, f"/admin/helpdesk/ticket/?queue={queue}") for queue in QUEUE_KEYS),
        ("team", f"/admin/helpdesk/ticket/?team={teams[1]}"),
        ("default", "/admin/helpdesk/ticket/"),
        ("ticket", f"/admin/helpdesk/ticket/{ticket_id}/change/"),
    ]
    users = get_user_model().objects
    results, plans, profiles = [], {}, {}
    for label, username in (("agent", "bench_agent_00"), ("manager", "bench_manager")):
        client = Client()
        client.force_login(users.get(username=username))
        for page, url in pages:
            times, queries, status, captured = measure(client, url, options.runs)
            result = Page(
                user=label,
                page=page,
                url=url,
                runs=options.runs,
                p50_ms=round(statistics.median(times) * 1000, 1),
                p99_ms=round(percentile(times, 0.99) * 1000, 1),
                queries=queries,
                status=status,
            )
            results.append(result)
            log(f"{label:8} {page:10} p50 {result.p50_ms:7.1f} ms  {queries} queries")
            if options.explain or result.p50_ms > TARGET_MS:
                plans[f"{label} {page}"] = explain(captured)
            if options.profile:
                profiles[f"{label} {page}"] = profile(client, url, options.runs, options.profile)
    return results, plans, profiles


QUEUE_KEYS = ("mine", "unassigned", "breaching", "breached", "waiting")


def table(results: list[Page]) -> str:
    lines = [f"{'user':8} {'page':10} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8} {'status':>6}"]
    for r in results:
        mark = "" if r.p50_ms <= TARGET_MS else "  > target"
        lines.append(
            f"{r.user:8} {r.page:10} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.queries:8} {r.status:6}"
            f"{mark}"
        )
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per page")
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="LINES",
        help="print each page's costliest functions (cProfile, cumulative), this many lines",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of every page's slowest queries (always for slow pages)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[Page]:
    options = parse(argv)
    database_ensure(options.database_url)
    database_migrate(options.database_url)
    seed(options.database_url, options.tickets)
    results, plans, profiles = run(options)
    load_1m = round(os.getloadavg()[0], 2)
    if options.json:
        print(
            json.dumps(
                {
                    "tickets": options.tickets,
                    "target_ms": TARGET_MS,
                    "load_1m": load_1m,
                    "pages": [asdict(r) for r in results],
                    "explain": plans,
                    "profile": profiles,
                },
                indent=2,
            )
        )
    else:
        print(f"{options.tickets:,} tickets, {options.runs} runs per page, load {load_1m}")
        print(table(results))
        for name, plan in plans.items():
            print(f"\n== EXPLAIN ANALYZE: {name}\n{plan}")
        for name, text in profiles.items():
            print(f"\n== PROFILE: {name}\n{text}")
    return results


if __name__ == "__main__":
    main()

"""Time of one SLA sweep over a million open tickets, with 0, 1,000 and 30,000 of them due.

Creates (and migrates) its own PostgreSQL database and seeds N open tickets once, in plain
SQL, each with a real timeline (created, SLA targets, clocks started, assignment for 60%),
report row and public stream, and every SLA instant in the future. For each scenario it then
makes that many tickets due with one cheap UPDATE (their timelines are moved back so that a
warning at 75% or 90%, or the breach, of the first response is reached, earlier marks already
recorded), and times `helpdesk.services.sla_sweep.sla_sweep`, the function the django-q2
schedule and `manage.py sla_sweep` call, in this process.

    .venv/bin/python bench/sweep.py [--tickets 1000000] [--due 0,1000,30000] [--runs 5] [--json]

The sweep runs as of one fixed instant, a minute after the seed, so the seeded database stays
valid however long after it is reused. bench/README.md says how to read the figures.
"""

import argparse
import cProfile
import json
import logging
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(ROOT))

from bench.admin_queue import CONTACTS, log, seed_people  # noqa: E402
from bench.deployment import database_ensure, database_migrate  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_sweep"
BATCH = 50_000
IDLE_TARGET_MS = 20.0  # a sweep that finds nothing due
DUE_TARGET_S = 10.0  # a sweep that escalates 30,000 tickets
DUE_TARGET_TICKETS = 30_000
SLOTS = 8  # ticket i is in the i % 8-th category, by id
BUCKETS = 60  # creation instants, 30 s apart, in the half hour before the seed
BUCKET_SECONDS = 30
SWEEP_AFTER_SEED = timedelta(minutes=1)
DUE_TID = 100_000  # templates of due tickets: DUE_TID + slot * 10 + kind
DUE_KINDS = ("75% warning", "90% warning", "breach")  # of the first response, in turn

# The template (timeline and SLA columns) a seeded ticket id rests on.
BASE_TID_SQL = "(mod({id}, {slots}) * 1000 + mod({id} / {slots}, {buckets}))"

TABLES_SQL = """
CREATE TABLE IF NOT EXISTS bench_sweep_meta (seeded_at timestamptz NOT NULL, tickets int NOT NULL);
CREATE TABLE IF NOT EXISTS bench_sweep_template (
    tid int PRIMARY KEY, category_id bigint, team_id bigint, priority text, created_at timestamptz,
    updated_at timestamptz, first_response_due timestamptz, first_responded_at timestamptz,
    next_update_due timestamptz, resolution_due timestamptz, resolution_paused boolean,
    resolved_at timestamptz, sla_breached boolean, sla_next_check_at timestamptz,
    sla_state jsonb, sla_due timestamptz
);
CREATE TABLE IF NOT EXISTS bench_sweep_template_event (
    tid int, ord int, kind text, at timestamptz, data jsonb, PRIMARY KEY (tid, ord)
);
-- Tickets moved onto a due template; put back on their base template by the next run.
CREATE TABLE IF NOT EXISTS bench_sweep_due (ticket_id bigint PRIMARY KEY, tid int);
"""

TEMPLATE_COLUMNS = (
    "created_at",
    "updated_at",
    "first_response_due",
    "first_responded_at",
    "next_update_due",
    "resolution_due",
    "resolution_paused",
    "resolved_at",
    "sla_breached",
    "sla_state",
    "sla_due",
)


TICKETS_SQL = f"""
INSERT INTO helpdesk_ticket (
    id, subject, description, status, audience, channel, public_token_hash,
    requester_subscribed, version, requester_id, assignee_id, category_id, team_id, priority,
    {", ".join(TEMPLATE_COLUMNS)}
)
SELECT i, 'Bench ticket ' || i, 'Something is wrong with order ' || i, 'new', 'customer', 'web',
    md5(i::text) || md5((i + 1)::text), true, 1, %(first_contact)s + mod(i, {CONTACTS}),
    CASE WHEN mod(i, 10) < 6 THEN ta.agent_id END, p.category_id, p.team_id, p.priority,
    {", ".join(f"p.{c}" for c in TEMPLATE_COLUMNS)}
FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS i
JOIN bench_sweep_template p ON p.tid = {BASE_TID_SQL.format(id="i", slots=SLOTS, buckets=BUCKETS)}
JOIN bench_team_agents ta ON ta.team_id = p.team_id AND ta.slot = mod(i, 7)
"""

# A due ticket's whole timeline moves back by under a second, its own amount, so that due
# tickets reach their marks at distinct instants, as real ones do.
SHIFT_SQL = f"""(CASE WHEN a.tid >= {DUE_TID}
    THEN make_interval(secs => mod(a.ticket_id, 997) / 1000.0) ELSE interval '0' END)"""

TEMPLATE_VALUES = {
    c: f"p.{c} - {SHIFT_SQL}" if c.endswith(("_at", "_due")) else f"p.{c}" for c in TEMPLATE_COLUMNS
}

# {tickets}: a relation of (ticket_id, tid), the template each ticket takes.
EVENTS_SQL = f"""
INSERT INTO helpdesk_ticketevent (ticket_id, kind, at, data)
SELECT t.id, e.kind, e.at - {SHIFT_SQL},
    CASE WHEN e.kind = 'assigned'
        THEN jsonb_build_object('agent', t.assignee_id, 'how', 'least_loaded') ELSE e.data END
FROM {{tickets}} a
JOIN helpdesk_ticket t ON t.id = a.ticket_id
JOIN bench_sweep_template_event e ON e.tid = a.tid
WHERE e.kind <> 'assigned' OR t.assignee_id IS NOT NULL
ORDER BY t.id, e.ord
"""

OUTCOMES_SQL = """
INSERT INTO helpdesk_ticketoutcome (
    ticket_id, created_at, team_id, category_id, priority, agent_id, channel, audience,
    is_open, breached, was_resolved, reopened, first_contact_resolution
)
SELECT t.id, t.created_at, t.team_id, t.category_id, t.priority, t.assignee_id, t.channel,
    t.audience, true, t.sla_breached, false, false, false
FROM {tickets} a JOIN helpdesk_ticket t ON t.id = a.ticket_id
"""

CHECKS_SQL = f"""
INSERT INTO helpdesk_slacheck (ticket_id, at)
SELECT a.ticket_id, p.sla_next_check_at - {SHIFT_SQL}
FROM {{tickets}} a JOIN bench_sweep_template p ON p.tid = a.tid
WHERE p.sla_next_check_at IS NOT NULL
"""

STREAMS_SQL = """
INSERT INTO statusfeed_publicstream (name, last_seq)
SELECT 'ticket:' || a.ticket_id, 1 FROM {tickets} a
ON CONFLICT (name) DO UPDATE SET last_seq = 1
"""

# Moves the tickets in bench_apply onto their templates: everything the sweep wrote goes.
APPLY_SQL = [
    "DELETE FROM helpdesk_ticketevent e USING bench_apply a WHERE e.ticket_id = a.ticket_id",
    "DELETE FROM helpdesk_notification n USING bench_apply a WHERE n.ticket_id = a.ticket_id",
    "DELETE FROM helpdesk_webhookdelivery w USING bench_apply a WHERE w.ticket_id = a.ticket_id",
    "DELETE FROM helpdesk_message m USING bench_apply a WHERE m.ticket_id = a.ticket_id",
    "DELETE FROM helpdesk_slameasure m USING bench_apply a WHERE m.ticket_id = a.ticket_id",
    "DELETE FROM helpdesk_slapause p USING bench_apply a WHERE p.ticket_id = a.ticket_id",
    "DELETE FROM helpdesk_ticketoutcome o USING bench_apply a WHERE o.ticket_id = a.ticket_id",
    """DELETE FROM statusfeed_publicevent e USING bench_apply a
        WHERE e.stream = 'ticket:' || a.ticket_id""",
    f"""UPDATE helpdesk_ticket t SET status = 'new', version = 1, category_id = p.category_id,
        team_id = p.team_id, priority = p.priority,
        {", ".join(f"{c} = {TEMPLATE_VALUES[c]}" for c in TEMPLATE_COLUMNS)}
    FROM bench_apply a JOIN bench_sweep_template p ON p.tid = a.tid WHERE t.id = a.ticket_id""",
    EVENTS_SQL.format(tickets="bench_apply"),
    OUTCOMES_SQL.format(tickets="bench_apply"),
    STREAMS_SQL.format(tickets="bench_apply"),
    "DELETE FROM helpdesk_slacheck c USING bench_apply a WHERE c.ticket_id = a.ticket_id",
    CHECKS_SQL.format(tickets="bench_apply"),
    # Tasks the sweeps queued in the ORM broker; no cluster runs on this database.
    "DELETE FROM django_q_ormq",
]


@dataclass
class Scenario:
    name: str
    sweepers: int  # sweeps running at once
    due: int
    runs: int
    sweep_ms: float
    min_ms: float
    max_ms: float
    per_ticket_ms: float | None
    cpu_ms: float  # the sweeps' processes' CPU time (the median run's), not the database's
    examined: int
    warnings: int
    breaches: int
    escalations: int
    queries: int
    plan: str
    explain: str = field(repr=False)


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str
    data: dict
    actor_id: int | None = None


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url)


# Templates: a timeline and the SLA columns its replay gives, per category and creation time.


def categories() -> list:
    from helpdesk.models import Category

    found = list(Category.objects.select_related("team__calendar").order_by("pk")[:SLOTS])
    if len(found) < SLOTS:
        raise SystemExit(f"Needs the {SLOTS} seeded categories; the database has {len(found)}.")
    return found


def created_timeline(category, created: datetime) -> list[TimelineEvent]:
    """What `ticket_create` writes: created, targets, the clocks it starts (and assignment)."""
    from helpdesk.clocks import replay
    from helpdesk.selectors import sla_targets_for

    priority = category.default_priority
    targets, policies = sla_targets_for(priority=priority, category_id=category.pk, contact_id=None)
    events = [
        TimelineEvent(
            created, "created", {"status": "new", "priority": priority, "channel": "web"}
        ),
        TimelineEvent(
            created,
            "sla_policy_applied",
            {**targets.as_data(), "priority": priority, "policies": policies, "reason": "created"},
        ),
    ]
    state = replay(events, calendar=category.team.calendar.business_calendar(), now=created)
    started = [
        TimelineEvent(created, "sla_started", {"clock": name, "cycle": clock.cycle})
        for name, clock in state.clocks.items()
        if clock.state == "running"
    ]
    # Its agent is filled in per ticket; tickets without an owner skip it.
    return [*events, *started, TimelineEvent(created, "assigned", {})]


def template_row(tid: int, category, events: list[TimelineEvent]) -> tuple[dict, list]:
    """The ticket columns as the last write (at the last event) left them."""
    from helpdesk.clocks import replay
    from helpdesk.services.timeline import sla_columns

    last = max(e.at for e in events)
    state = replay(events, calendar=category.team.calendar.business_calendar(), now=last)
    row = {
        "tid": tid,
        "category_id": category.pk,
        "team_id": category.team_id,
        "priority": category.default_priority,
        "created_at": min(e.at for e in events),
        "updated_at": last,
        **sla_columns(state),
        "sla_next_check_at": state.next_check_at,
    }
    row["sla_state"] = Jsonb(row["sla_state"])
    return row, [(tid, ord_, e.kind, e.at, Jsonb(e.data)) for ord_, e in enumerate(events)]


def base_templates(seeded_at: datetime, now: datetime) -> list[tuple[dict, list]]:
    templates = []
    for slot, category in enumerate(categories()):
        for bucket in range(BUCKETS):
            created = seeded_at - timedelta(seconds=BUCKET_SECONDS * (bucket + 1))
            row, events = template_row(
                slot * 1000 + bucket, category, created_timeline(category, created)
            )
            if row["sla_next_check_at"] is None or row["sla_next_check_at"] <= now:
                raise SystemExit(f"A seeded ticket of {category} would be due at {now}.")
            templates.append((row, events))
    return templates


def latest_start(calendar, duration: timedelta, reached_by: datetime) -> datetime:
    """The latest start from which `duration` of business time has passed by `reached_by`."""
    low, high = reached_by - timedelta(days=120), reached_by
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if calendar.add(middle, duration) <= reached_by:
            low = middle
        else:
            high = middle
    return low.replace(microsecond=0)


def due_timeline(category, kind: int, now: datetime) -> list[TimelineEvent]:
    """A ticket whose first response reaches its `kind`-th mark just before `now`, every
    earlier mark recorded (with the escalation steps it fired) as sweeps on time would have."""
    from helpdesk.clocks import ALWAYS_OPEN, replay
    from helpdesk.services.escalation import escalation_policy_for

    calendar = category.team.calendar.business_calendar()
    probe = replay(created_timeline(category, now), calendar=calendar, now=now)
    mark = probe.clocks["first_response"].marks[kind]
    target = probe.clocks["first_response"]
    clock_calendar = ALWAYS_OPEN if target.always_open else calendar
    needed = target.target * mark.threshold
    created = latest_start(clock_calendar, needed, now - timedelta(seconds=10))
    events = created_timeline(category, created)
    state = replay(events, calendar=calendar, now=now)
    reached = next(m for m in state.clocks["first_response"].marks if m.threshold == mark.threshold)
    policy = escalation_policy_for(team_id=category.team_id, priority=category.default_priority)
    steps = list(policy.steps.all()) if policy else []
    fired: set[tuple[str, int, int]] = set()
    for earlier in [m for m in state.unrecorded_marks() if m.at < reached.at]:
        data = {
            "clock": earlier.clock,
            "cycle": earlier.cycle,
            "threshold": earlier.threshold,
            "reached_at": earlier.at.isoformat(),
        }
        kind_name = "sla_breached" if earlier.is_breach else "sla_warned"
        events.append(TimelineEvent(earlier.at, kind_name, data))
        for step in steps:
            key = (earlier.clock, earlier.cycle, step.pk)
            if key in fired or round(earlier.threshold * 100) < step.at_percent:
                continue
            fired.add(key)
            fired_data = {**data, "step": step.pk, "at_percent": step.at_percent, "notified": []}
            del fired_data["reached_at"]  # as the sweep writes it
            events.append(TimelineEvent(earlier.at, "escalated", fired_data))
    after = replay(events, calendar=calendar, now=now)
    if reached.key not in {m.key for m in after.marks_due()}:
        raise SystemExit(f"A due template of {category} has nothing due at {now}.")
    return events


def due_templates(now: datetime) -> list[tuple[dict, list]]:
    return [
        template_row(DUE_TID + slot * 10 + kind, category, due_timeline(category, kind, now))
        for slot, category in enumerate(categories())
        for kind in range(len(DUE_KINDS))
    ]


def templates_store(conn: psycopg.Connection, templates: list[tuple[dict, list]]) -> None:
    tids = [row["tid"] for row, _ in templates]
    conn.execute("DELETE FROM bench_sweep_template WHERE tid = ANY(%s)", [tids])
    conn.execute("DELETE FROM bench_sweep_template_event WHERE tid = ANY(%s)", [tids])
    columns = list(templates[0][0])
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO bench_sweep_template ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            [[row[c] for c in columns] for row, _ in templates],
        )
        cur.executemany(
            "INSERT INTO bench_sweep_template_event VALUES (%s, %s, %s, %s, %s)",
            [event for _, events in templates for event in events],
        )


# Seeding.


def seeded(conn: psycopg.Connection, tickets: int) -> datetime | None:
    row = conn.execute("SELECT seeded_at, tickets FROM bench_sweep_meta").fetchone()
    if row is None or row[1] != tickets:
        return None
    held = conn.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]
    return row[0] if held == tickets else None


def seed(conn: psycopg.Connection, tickets: int) -> datetime:
    from django.utils import timezone

    seed_people(conn)
    conn.execute(
        """CREATE TEMP TABLE bench_team_agents AS
        SELECT at.team_id, row_number() OVER (PARTITION BY at.team_id ORDER BY at.agent_id) - 1
            AS slot, at.agent_id
        FROM helpdesk_agent_teams at JOIN helpdesk_agent a ON a.id = at.agent_id
        JOIN auth_user u ON u.id = a.user_id WHERE u.username LIKE 'bench_agent_%'"""
    )
    # Breaches email the team lead: every team has one.
    conn.execute(
        """UPDATE helpdesk_team t SET lead_id = a.user_id FROM bench_team_agents ta
        JOIN helpdesk_agent a ON a.id = ta.agent_id
        WHERE ta.team_id = t.id AND ta.slot = 0 AND t.lead_id IS NULL"""
    )
    conn.execute("TRUNCATE helpdesk_ticket, bench_sweep_meta, bench_sweep_due CASCADE")
    conn.execute("DELETE FROM statusfeed_publicstream WHERE name LIKE 'ticket:%'")
    conn.execute("DELETE FROM django_q_ormq")
    seeded_at = timezone.now().replace(microsecond=0)
    templates_store(conn, base_templates(seeded_at, seeded_at + SWEEP_AFTER_SEED))
    first_contact = conn.execute("SELECT min(id) FROM helpdesk_contact").fetchone()[0]
    conn.commit()
    tids = BASE_TID_SQL.format(id="i", slots=SLOTS, buckets=BUCKETS)
    batch_tickets = (
        f"(SELECT i AS ticket_id, {tids} AS tid "
        "FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS i)"
    )
    with tqdm(total=tickets, unit="ticket", desc="Tickets", file=sys.stderr) as progress:
        for start in range(1, tickets + 1, BATCH):
            stop = min(start + BATCH - 1, tickets)
            bounds = {"start": start, "stop": stop, "first_contact": first_contact}
            conn.execute(TICKETS_SQL, bounds)
            for statement in (EVENTS_SQL, OUTCOMES_SQL, STREAMS_SQL, CHECKS_SQL):
                conn.execute(statement.format(tickets=batch_tickets), bounds)
            conn.commit()
            progress.update(stop - start + 1)
    conn.execute("SELECT setval(pg_get_serial_sequence('helpdesk_ticket', 'id'), %s)", [tickets])
    conn.execute("INSERT INTO bench_sweep_meta VALUES (%s, %s)", [seeded_at, tickets])
    conn.commit()
    return seeded_at


def analyse(url: str) -> None:
    """VACUUM ANALYZE what seeding, sweeps and putting tickets back churn, as autovacuum
    would between two big sweeps (this machine's server runs without it: left alone, dead
    rows of earlier runs pile up in every index and slow each run more than the last)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "VACUUM ANALYZE helpdesk_ticket, helpdesk_slacheck, helpdesk_ticketevent, "
            "helpdesk_ticketoutcome, helpdesk_notification, helpdesk_slameasure, "
            "helpdesk_webhookdelivery, statusfeed_publicevent, statusfeed_publicstream"
        )


def templates_apply(conn: psycopg.Connection, pairs: list[tuple[int, int]]) -> None:
    """Put each (ticket id, template) on its template, dropping what sweeps wrote for it."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS bench_apply (ticket_id bigint, tid int)")
    conn.execute("TRUNCATE bench_apply")
    with conn.cursor() as cur, cur.copy("COPY bench_apply FROM STDIN") as copy:
        for pair in pairs:
            copy.write_row(pair)
    conn.execute("ANALYZE bench_apply")
    for statement in APPLY_SQL:
        conn.execute(statement)
    # Emails the sweeps queued pile up here (no cluster sends them): keep the planner's
    # picture of that table current, as autovacuum would.
    conn.execute("ANALYZE helpdesk_notification")


def restore(conn: psycopg.Connection) -> int:
    """Put the tickets an earlier run made due back on their base templates."""
    tids = BASE_TID_SQL.format(id="ticket_id", slots=SLOTS, buckets=BUCKETS)
    pairs = conn.execute(f"SELECT ticket_id, {tids} FROM bench_sweep_due").fetchall()
    if pairs:
        templates_apply(conn, pairs)
        conn.execute("TRUNCATE bench_sweep_due")
    conn.commit()
    return len(pairs)


def make_due(conn: psycopg.Connection, ticket_ids: list[int]) -> None:
    """The cheap UPDATE: move these tickets' timelines back so that a mark is due."""
    pairs = [
        (pk, DUE_TID + (pk % SLOTS) * 10 + n % len(DUE_KINDS)) for n, pk in enumerate(ticket_ids)
    ]
    templates_apply(conn, pairs)
    with conn.cursor() as cur, cur.copy("COPY bench_sweep_due FROM STDIN") as copy:
        for pair in pairs:
            copy.write_row(pair)
    conn.commit()


# Measuring.


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def sweep_once(now: datetime):
    from django.db import connection

    from helpdesk.services.sla_sweep import sla_sweep

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        result = sla_sweep(now=now)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return elapsed * 1000, cpu * 1000, counter.count, result


def sweep_parallel(now: datetime, sweepers: int) -> tuple[float, float, int, "SweepCounts"]:
    """`sweepers` sweeps at once, each in its own process and connection, as a cluster's
    workers run them (helpdesk.tasks.sweep_sla asks idle workers to help with a backlog):
    the time from their common start until the last one ends, and their CPU summed."""
    from django.db import connections

    connections.close_all()  # nothing of this process's connection crosses into theirs
    context = multiprocessing.get_context("spawn")  # fork would copy asgiref's threads' locks
    barrier, results = context.Barrier(sweepers + 1), context.Queue()
    workers = [
        context.Process(target=sweeper, args=(now, barrier, results)) for _ in range(sweepers)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    counts = [results.get() for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    total = SweepCounts(*(sum(values) for values in zip(*counts, strict=True)))
    return elapsed * 1000, total.cpu_ms, total.queries, total


@dataclass
class SweepCounts:
    """What a sweep did, as plain numbers (SweepResult's lists do not cross processes)."""

    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    cpu_ms: float = 0.0
    queries: int = 0


def sweeper(now: datetime, barrier, results) -> None:
    """One parallel sweep (a spawned process): set up Django, wait for the others, sweep."""
    import django

    django.setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)
    from django.db import connection

    connection.ensure_connection()
    barrier.wait()
    _, cpu, queries, result = sweep_once(now)
    results.put(
        (
            result.tickets,
            len(result.warnings),
            len(result.breaches),
            len(result.escalations),
            cpu,
            queries,
        )
    )


def explain_due_query(now: datetime) -> str:
    """EXPLAIN ANALYZE of the sweep's claim query, rolled back (it locks what it finds)."""
    from django.db import connection, transaction

    from helpdesk.services.sla_sweep import SWEEP_BATCH, tickets_due

    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = tickets_due(now=now)[:SWEEP_BATCH].query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def plan_type(plan: str) -> str:
    """The node that reads the check instants, e.g. 'Index Scan using sla_check_at'."""
    for line in plan.splitlines():
        if "Scan" in line and " on helpdesk_slacheck" in line:
            node = line.strip().removeprefix("->").strip()
            return node.split("  (")[0].removesuffix(" on helpdesk_slacheck")
    return "?"


def scenario(
    name: str,
    due: int,
    runs: int,
    now: datetime,
    plan: str,
    profile: str | None = None,
    sweepers: int = 1,
) -> Scenario:
    times, cpus, queries, result = [], [], 0, None
    for _ in range(runs):
        if sweepers > 1:
            elapsed, cpu, queries, result = sweep_parallel(now, sweepers)
        elif profile and due:
            profiler = cProfile.Profile()
            elapsed, cpu, queries, result = profiler.runcall(sweep_once, now)
            profiler.dump_stats(f"{profile}.{due}")
            log(f"  profile written to {profile}.{due} (times include the profiler)")
        else:
            elapsed, cpu, queries, result = sweep_once(now)
        times.append(elapsed)
        cpus.append(cpu)
    assert result is not None
    if not isinstance(result, SweepCounts):
        result = SweepCounts(
            result.tickets, len(result.warnings), len(result.breaches), len(result.escalations)
        )
    sweep_ms = statistics.median(times)
    return Scenario(
        name=name,
        sweepers=sweepers,
        due=due,
        runs=runs,
        sweep_ms=round(sweep_ms, 2),
        min_ms=round(min(times), 2),
        max_ms=round(max(times), 2),
        per_ticket_ms=round(sweep_ms / result.tickets, 3) if result.tickets else None,
        cpu_ms=round(statistics.median(cpus), 1),
        examined=result.tickets,
        warnings=result.warnings,
        breaches=result.breaches,
        escalations=result.escalations,
        queries=queries,
        plan=plan_type(plan),
        explain=plan,
    )


def due_ticket_ids(tickets: int, due: list[int]) -> list[list[int]]:
    """Disjoint sets of ticket ids, spread evenly over the table, one per scenario."""
    total = sum(due)
    if total > tickets:
        raise SystemExit(f"--tickets {tickets:,} is fewer than the {total:,} tickets made due.")
    stride = tickets // max(total, 1)
    ids = [1 + n * stride for n in range(total)]
    sets, start = [], 0
    for count in due:
        sets.append(ids[start : start + count])
        start += count
    return sets


def run(options: argparse.Namespace, seeded_at: datetime) -> list[Scenario]:
    now = seeded_at + SWEEP_AFTER_SEED
    results = []
    with connect(options.database_url) as conn:
        restored = restore(conn)
        if restored:
            log(f"Put {restored:,} tickets an earlier run made due back as they were.")
        templates_store(conn, due_templates(now))
        conn.commit()
        analyse(options.database_url)
        sweep_once(now)  # warm-up: connection, calendars, policies
        # Each due scenario once per number of sweepers, on tickets of its own.
        plans = [(due, n) for due in options.due for n in (options.sweepers if due else [1])]
        dues = [due for due, _ in plans]
        for (due, sweepers), ids in zip(plans, due_ticket_ids(options.tickets, dues), strict=True):
            if due:
                make_due(conn, ids)
                analyse(options.database_url)
            plan = explain_due_query(now)
            name = "nothing due" if due == 0 else f"{due:,} due"
            runs = options.runs if due == 0 else 1
            result = scenario(name, due, runs, now, plan, options.profile, sweepers)
            log(
                f"{name:>12}: {result.sweep_ms:10.1f} ms, {result.examined:,} tickets, "
                f"{result.queries:,} queries, {result.plan}"
            )
            if result.examined != due:
                log(f"  !! the sweep examined {result.examined:,} tickets, not {due:,}")
            results.append(result)
    return results


def table(results: list[Scenario]) -> str:
    header = (
        f"{'scenario':12} {'due':>7} {'sweeps':>6} {'runs':>4} {'sweep ms':>10} {'ms/ticket':>9} "
        f"{'cpu ms':>9} "
        f"{'examined':>8} {'warned':>7} {'breached':>8} {'escalated':>9} {'queries':>8}  plan"
    )
    lines = [header]
    for r in results:
        per_ticket = f"{r.per_ticket_ms:9.3f}" if r.per_ticket_ms is not None else f"{'-':>9}"
        lines.append(
            f"{r.name:12} {r.due:7,} {r.sweepers:6} {r.runs:4} {r.sweep_ms:10.1f} {per_ticket} "
            f"{r.cpu_ms:9.1f} "
            f"{r.examined:8,} {r.warnings:7,} {r.breaches:8,} {r.escalations:9,} "
            f"{r.queries:8,}  {r.plan}"
        )
    return "\n".join(lines)


def verdicts(results: list[Scenario]) -> list[str]:
    lines = []
    for r in results:
        if r.due == 0:
            ok = r.sweep_ms < IDLE_TARGET_MS
            lines.append(
                f"nothing due: {r.sweep_ms:.1f} ms (median of {r.runs}; target < "
                f"{IDLE_TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'})"
            )
        elif r.due >= DUE_TARGET_TICKETS:
            ok = r.sweep_ms < DUE_TARGET_S * 1000
            sweeps = "one sweep" if r.sweepers == 1 else f"{r.sweepers} sweeps at once"
            lines.append(
                f"{r.due:,} due, {sweeps}: {r.sweep_ms / 1000:.2f} s (target < "
                f"{DUE_TARGET_S:.0f} s: {'met' if ok else 'MISSED'})"
            )
    return lines


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="open tickets seeded")
    parser.add_argument(
        "--due",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[0, 1_000, 30_000],
        help="tickets made due, one scenario each (comma separated)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed sweeps when nothing is due")
    parser.add_argument(
        "--sweepers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="sweeps running at once, one due scenario each (comma separated; "
        "2 is the cluster's default number of workers)",
    )
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--explain", action="store_true", help="print the claim query's plans")
    parser.add_argument(
        "--profile", metavar="PATH", help="cProfile each due sweep into PATH.<due> (slower)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[Scenario]:
    options = parse(argv)
    # Self-contained: tasks the sweeps queue stay in this database's ORM broker, unsent.
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    database_ensure(options.database_url)
    database_migrate(options.database_url)
    import django

    django.setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)  # a line per task queued
    with connect(options.database_url) as conn:
        conn.execute(TABLES_SQL)
        conn.commit()
        seeded_at = seeded(conn, options.tickets)
        if seeded_at is None:
            log(f"Seeding {options.tickets:,} open tickets.")
            started = time.perf_counter()
            seeded_at = seed(conn, options.tickets)
            analyse(options.database_url)
            log(f"Seeded and analysed in {time.perf_counter() - started:.0f} s.")
        else:
            log(f"The database already holds {options.tickets:,} seeded tickets: reusing them.")
    results = run(options, seeded_at)
    now = seeded_at + SWEEP_AFTER_SEED
    load = os.getloadavg()
    if options.json:
        print(
            json.dumps(
                {
                    "tickets": options.tickets,
                    "as_of": now.isoformat(),
                    "targets": {
                        "nothing_due_ms": IDLE_TARGET_MS,
                        f"due_{DUE_TARGET_TICKETS}_s": DUE_TARGET_S,
                    },
                    "load_1m": load[0],
                    "scenarios": [asdict(r) for r in results],
                },
                indent=2,
            )
        )
    else:
        as_of = f"{now:%Y-%m-%d %H:%M}"
        print(
            f"\nSLA sweep over {options.tickets:,} open tickets (PostgreSQL), as of {as_of} UTC; "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
        )
        print(table(results))
        print()
        for line in verdicts(results):
            print(line)
        if options.explain:
            for r in results:
                print(f"\n== EXPLAIN ANALYZE of the claim query, {r.name}\n{r.explain}")
    return results


if __name__ == "__main__":
    main()

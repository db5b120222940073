"""Time of the managers' SLA compliance report over N tickets' report rows on PostgreSQL.

Creates (and migrates) its own database, then seeds N tickets' worth of report rows in plain
SQL: one `TicketOutcome` per ticket, its SLA targets (`SlaMeasure`: first response, 0–3
public update cycles, resolution) and its pauses (`SlaPause`), with realistic shares of met,
missed and still-running targets. A database that already holds N tickets is reused. Then it
builds the daily rollups (timed; skipped when a reused database's rollups are current, unless
--rebuild), runs the report for the last 30 days and the whole seeded year, grouped each way,
plus the page's other parts, the API, CSV and page requests, and prints the p50 of several
runs: once with every day rolled up, once with today and 3 random days of the period dirty
(read from the report rows, as after changes the refresh has not taken yet).

    .venv/bin/python bench/report.py [--tickets 1000000] [--runs 7] [--json] [--explain]
        [--rebuild]

The report reads only these tables (never the tickets), so the seed writes no ticket rows:
the foreign keys to them are not checked while seeding (session_replication_role = replica).
bench/README.md says how to read the figures.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(ROOT))

from bench.deployment import database_ensure, database_migrate  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_report"
AGENTS = 40
WARMUP = 1
TARGET_MS = 1000.0
DAYS = 365  # the seeded tickets arrive over this many days, up to now
# Report periods timed, ending today: the page's default month, and every seeded ticket.
PERIODS = (30, DAYS)
# Days made dirty for the second round of timings: today and this many random ones.
RANDOM_DIRTY_DAYS = 3

# One row per ticket. The random draws sit in a subquery so each is made once per ticket.
OUTCOMES_SQL = """
INSERT INTO helpdesk_ticketoutcome (
    ticket_id, created_at, team_id, category_id, priority, agent_id, channel, audience,
    is_open, breached, was_resolved, reopened, first_contact_resolution
)
SELECT t.i, t.created, c.team_id, c.id,
    CASE WHEN t.p < 0.02 THEN 'critical' WHEN t.p < 0.2 THEN 'high'
         WHEN t.p < 0.8 THEN 'normal' ELSE 'low' END,
    CASE WHEN t.a < 0.95 THEN ag.id END,
    (ARRAY['web', 'api', 'widget', 'email', 'chat', 'phone', 'social'])[1 + floor(t.ch * 7)::int],
    CASE WHEN t.au < 0.9 THEN 'customer' WHEN t.au < 0.97 THEN 'employee' ELSE 'candidate' END,
    t.open, t.open AND t.b < 0.3, NOT t.open OR t.r < 0.02, t.r < 0.05,
    NOT t.open AND t.r >= 0.05 AND t.f < 0.45
FROM (
    -- Tickets arrive evenly over the period, in id order, as they do in life; the rows of a
    -- period then sit together on disk.
    SELECT i,
        now() - (%(tickets)s - i) * (make_interval(days => %(days)s) / %(tickets)s) AS created,
        random() AS p, random() AS a, random() AS ch, random() AS au,
        -- Most open tickets are recent: half of the last month's, 3 in 100 older ones.
        random() < CASE WHEN i > %(tickets)s * 0.92 THEN 0.5 ELSE 0.03 END AS open,
        random() AS b, random() AS r, random() AS f
    FROM generate_series(1, %(tickets)s) AS i
) t
JOIN bench_categories c ON c.slot = t.i %% (SELECT count(*) FROM bench_categories)
JOIN bench_agents ag ON ag.slot = t.i %% (SELECT count(*) FROM bench_agents)
ORDER BY t.i
"""

# Targets of every ticket. Business time is exponential, as response times roughly are (most
# quick, a long tail), scaled so that the share met comes out as given: x = time / target,
# met when x <= 1. A missed target of an open ticket is still running half the time.
MEASURES_SQL = """
INSERT INTO helpdesk_slameasure (
    ticket_id, created_at, team_id, category_id, priority, agent_id, channel, audience,
    clock, cycle, met, ended_by, target_seconds, business_seconds, paused_seconds,
    missed_by_seconds, breached_at, stopped_at
)
SELECT m.ticket_id, m.created_at, m.team_id, m.category_id, m.priority, m.agent_id, m.channel,
    m.audience, %(clock)s::text, m.cycle, m.met,
    CASE WHEN m.running THEN '' ELSE %(ended_by)s::text END,
    m.target,
    CASE WHEN m.running THEN NULL ELSE floor(m.target * m.x)::int END,
    CASE WHEN %(clock)s::text = 'resolution' AND NOT m.running AND m.q < 0.2
         THEN floor(m.q * 400000)::int ELSE 0 END,
    CASE WHEN m.running OR m.met THEN NULL ELSE floor(m.target * (m.x - 1))::int END,
    CASE WHEN m.met THEN NULL ELSE m.created_at + make_interval(secs => m.target * 1.4) END,
    CASE WHEN m.running THEN NULL
         ELSE m.created_at + make_interval(secs => m.target * (1.2 + m.x)) END
FROM (
    SELECT o.*, c.cycle, r.x, r.q, r.x <= 1 AS met, r.x > 1 AND o.is_open AND r.q < 0.5 AS running,
        CASE o.priority WHEN 'critical' THEN %(critical)s WHEN 'high' THEN %(high)s
             WHEN 'normal' THEN %(normal)s ELSE %(low)s END AS target
    FROM helpdesk_ticketoutcome o
    CROSS JOIN LATERAL generate_series(0, %(cycles)s - 1) AS c(cycle)
    CROSS JOIN LATERAL (
        SELECT -ln(1 - random()) / ln(1 / (1 - %(met)s::float8)) AS x, random() AS q
        WHERE o.ticket_id > 0
    ) r
    WHERE %(where)s
) m
"""
CLOCKS = [
    # clock, ended_by, cycles per ticket, share met, which tickets, targets by tier (seconds)
    ("first_response", "reply", "1", 0.85, "random() < 0.97", (900, 3600, 14400, 28800)),
    ("update", "reply", "(o.ticket_id * 7919) %% 4", 0.8, "true", (1800, 14400, 86400, 86400)),
    ("resolution", "resolution", "1", 0.8, "NOT o.is_open OR o.breached", (14400,) * 4),
]

PAUSES_SQL = """
INSERT INTO helpdesk_slapause (ticket_id, created_at, at, actor_id, after_customer_reply_seconds,
    ordinal)
SELECT o.ticket_id, o.created_at, o.created_at + make_interval(hours => n.ordinal::int * 5),
    u.user_id, CASE WHEN random() < 0.6 THEN floor(random() * 86400)::int END, n.ordinal
FROM helpdesk_ticketoutcome o
CROSS JOIN LATERAL generate_series(1, CASE WHEN o.ticket_id %% 5 = 0
    THEN 1 + (o.ticket_id * 31) %% 3 ELSE 0 END) AS n(ordinal)
JOIN helpdesk_agent u ON u.id = o.agent_id
"""


@dataclass
class Timing:
    what: str
    group_by: str
    days: int
    dirty_days: int  # of the period's days, read from the report rows (not rolled up)
    runs: int
    p50_ms: float
    min_ms: float
    max_ms: float
    rows: int
    load_1m: float  # the load average when the runs ended


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def seed_agents(conn: psycopg.Connection) -> None:
    if conn.execute("SELECT 1 FROM auth_user WHERE username = 'bench_manager'").fetchone():
        return
    conn.execute(
        """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined)
        SELECT '!', false, 'bench_agent_' || lpad(k::text, 2, '0'), 'Agent', k::text,
            'agent' || k || '@bench.invalid', true, true, now()
        FROM generate_series(0, %s - 1) AS k
        UNION ALL SELECT '!', true, 'bench_manager', 'Bench', 'Manager',
            'manager@bench.invalid', true, true, now()""",
        [AGENTS],
    )
    conn.execute(
        """INSERT INTO helpdesk_agent (user_id, capacity, is_available)
        SELECT id, 20, true FROM auth_user WHERE username LIKE 'bench_agent_%' ORDER BY id"""
    )


def seed(url: str, tickets: int) -> bool:
    """Seed the report rows unless the database holds them already; whether it seeded."""
    with psycopg.connect(url) as conn:
        seed_agents(conn)
        conn.commit()
        held = conn.execute("SELECT count(*) FROM helpdesk_ticketoutcome").fetchone()[0]
        if held == tickets:
            log(f"The database already holds {tickets:,} tickets' report rows: reusing them.")
            return False
        log(f"Seeding {tickets:,} tickets' report rows (the database held {held:,}).")
        started = time.perf_counter()
        conn.execute("SET session_replication_role = replica")  # no ticket rows to point at
        conn.execute("SELECT setseed(0.42)")
        conn.execute("TRUNCATE helpdesk_ticketoutcome, helpdesk_slameasure, helpdesk_slapause")
        conn.execute(
            """CREATE TEMP TABLE bench_categories AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS slot, id, team_id
            FROM helpdesk_category"""
        )
        conn.execute(
            """CREATE TEMP TABLE bench_agents AS
            SELECT row_number() OVER (ORDER BY a.id) - 1 AS slot, a.id FROM helpdesk_agent a
            JOIN auth_user u ON u.id = a.user_id WHERE u.username LIKE 'bench_agent_%'"""
        )
        conn.execute(OUTCOMES_SQL, {"tickets": tickets, "days": DAYS})
        log(f"  outcomes  {time.perf_counter() - started:6.1f} s")
        for clock, ended_by, cycles, met, where, targets in CLOCKS:
            query = MEASURES_SQL.replace("%(cycles)s", cycles).replace("%(where)s", where)
            tiers = dict(zip(("critical", "high", "normal", "low"), targets, strict=True))
            conn.execute(query, {"clock": clock, "ended_by": ended_by, "met": met, **tiers})
            log(f"  {clock:15} {time.perf_counter() - started:6.1f} s")
        conn.execute(PAUSES_SQL, {})
        conn.commit()
        log(f"  pauses    {time.perf_counter() - started:6.1f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "VACUUM ANALYZE helpdesk_ticketoutcome, helpdesk_slameasure, helpdesk_slapause"
        )
    log(f"Seeded and analysed in {time.perf_counter() - started:.1f} s.")
    return True


def timed(what: str, group_by: str, days: int, dirty: int, runs: int, call) -> Timing:
    for _ in range(WARMUP):
        call()
    times, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = call()
        times.append((time.perf_counter() - started) * 1000)
    timing = Timing(
        what=what if not dirty else f"{what}, {dirty} days dirty",
        group_by=group_by,
        days=days,
        dirty_days=dirty,
        runs=runs,
        p50_ms=round(statistics.median(times), 1),
        min_ms=round(min(times), 1),
        max_ms=round(max(times), 1),
        rows=rows,
        load_1m=round(os.getloadavg()[0], 2),
    )
    log(
        f"{days:3} days {dirty} dirty  {what:20} {group_by:9} p50 {timing.p50_ms:8.1f} ms  "
        f"(load {timing.load_1m:.1f})"
    )
    return timing


def rollups_build(*, seeded: bool, rebuild: bool) -> float | None:
    """Roll up every day from scratch (timed), unless the rollups are current already."""
    from django.utils import timezone

    from helpdesk.reports.models import ReportDirtyDay, ReportRollupState, SlaRollup
    from helpdesk.reports.rollups import report_rollups_refresh

    current = (
        ReportRollupState.objects.filter(time_zone=timezone.get_default_timezone_name()).exists()
        and SlaRollup.objects.exists()
        and not ReportDirtyDay.objects.exists()
    )
    if current and not seeded and not rebuild:
        log("The rollups are current: reusing them (--rebuild to time a rebuild).")
        return None
    log(f"Rolling up every day (load {os.getloadavg()[0]:.1f})...")
    started = time.perf_counter()
    days = report_rollups_refresh(everything=True)
    seconds = round(time.perf_counter() - started, 1)
    log(f"  {days} days rolled up in {seconds} s (load {os.getloadavg()[0]:.1f}).")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE helpdesk_slarollup, helpdesk_ticketrollup, helpdesk_breachrollup")
    return seconds


def dirty_days(days: int) -> list:
    """Today and RANDOM_DIRTY_DAYS other days of the period ending today (the same each run)."""
    from django.utils import timezone

    today = timezone.localdate()
    rng = random.Random(days)
    return [today] + [
        today - timedelta(days=back) for back in rng.sample(range(1, days), RANDOM_DIRTY_DAYS)
    ]


def explain_report(group_by: str) -> str:
    """EXPLAIN ANALYZE of the report's queries, as Django runs them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from helpdesk.reports.query import ReportQuery
    from helpdesk.reports.selectors import sla_report

    today = timezone.localdate()
    query = ReportQuery(today - timedelta(days=DAYS - 1), today, group_by=group_by)
    with CaptureQueriesContext(connection) as captured:
        sla_report(query=query, now=timezone.now())
    out = []
    for q in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            plan = "\n".join("    " + row[0] for row in cursor.fetchall())
        out.append(f"  -- {float(q['time']) * 1000:.1f} ms\n  {q['sql']}\n{plan}")
    return "\n\n".join(out)


def run(options: argparse.Namespace, *, seeded: bool) -> dict:
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from helpdesk.reports.audit import gaming_audit
    from helpdesk.reports.columns import GROUPS
    from helpdesk.reports.models import SlaMeasure, SlaPause, TicketOutcome
    from helpdesk.reports.query import ReportQuery
    from helpdesk.reports.rollups import report_rollups_refresh, rollup_days_dirty
    from helpdesk.reports.selectors import breach_heatmap, compliance_by, sla_report

    build_seconds = rollups_build(seeded=seeded, rebuild=options.rebuild)
    today = timezone.localdate()
    counts = {
        "tickets": TicketOutcome.objects.count(),
        "targets": SlaMeasure.objects.count(),
        "pauses": SlaPause.objects.count(),
    }
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench_manager"))
    timings, refreshes = [], []
    for days in PERIODS:
        start = today - timedelta(days=days - 1)
        for dirty in (0, 1 + RANDOM_DIRTY_DAYS):
            if dirty:
                rollup_days_dirty(days=dirty_days(days))
            for group_by in GROUPS:
                query = ReportQuery(start, today, group_by=group_by)

                def report(query=query) -> int:
                    return len(sla_report(query=query, now=timezone.now()).rows)

                timings.append(timed("report", group_by, days, dirty, options.runs, report))
            query = ReportQuery(start, today)
            for what, call in [
                ("compliance by week", lambda q=query: len(compliance_by(q, "week").labels)),
                ("compliance by team", lambda q=query: len(compliance_by(q, "team").labels)),
                ("breach heat map", lambda q=query: sum(map(sum, breach_heatmap(q)))),
                (
                    "gaming audit",
                    lambda q=query: len(gaming_audit(q, within_minutes=15, repeats=3).agents),
                ),
            ]:
                timings.append(timed(what, "", days, dirty, options.runs, call))
            params = f"?from={start}&to={today}&group_by=team"
            for what, url in [
                ("API", f"/api/v1/reports/sla/{params}"),
                ("CSV", f"/admin/helpdesk/slareport/csv/{params}"),
                ("page (admin)", f"/admin/helpdesk/slareport/{params}"),
            ]:

                def get(url=url) -> int:
                    response = client.get(url)
                    assert response.status_code == 200, response.status_code
                    return len(response.content)

                timings.append(timed(what, "team", days, dirty, options.runs, get))
            if dirty:
                started = time.perf_counter()
                report_rollups_refresh()
                seconds = round(time.perf_counter() - started, 2)
                refreshes.append({"days": dirty, "seconds": seconds, "load_1m": os.getloadavg()[0]})
                log(f"  refresh of the {dirty} dirty days: {seconds} s")
    return {
        "counts": counts,
        "build_seconds": build_seconds,
        "refreshes": refreshes,
        "timings": timings,
        "plans": explain_report("team") if options.explain else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the report")
    parser.add_argument("--rebuild", action="store_true", help="time a rebuild of the rollups")
    options = parser.parse_args(argv)

    database_ensure(options.database_url)
    database_migrate(options.database_url)
    seeded = seed(options.database_url, options.tickets)
    result = run(options, seeded=seeded)
    counts, timings = result["counts"], result["timings"]
    # The verdict: the report (what the API returns) over every seeded ticket, rolled up or
    # with dirty days.
    reports = [t for t in timings if t.what.startswith("report")]
    full_year = max(t.p50_ms for t in reports if t.days == DAYS)
    month = max(t.p50_ms for t in reports if t.days == PERIODS[0])
    if options.json:
        print(
            json.dumps(
                {
                    **counts,
                    "seeded_over_days": DAYS,
                    "target_ms": TARGET_MS,
                    "rollups_build_seconds": result["build_seconds"],
                    "refreshes": result["refreshes"],
                    "report_p50_ms_slowest_all_tickets": full_year,
                    f"report_p50_ms_slowest_{PERIODS[0]}_days": month,
                    "load_1m": os.getloadavg()[0],
                    "timings": [asdict(t) for t in timings],
                },
                indent=2,
            )
        )
    else:
        build = result["build_seconds"]
        print(
            f"\nSLA report over {counts['tickets']:,} tickets created over the last {DAYS} days "
            f"({counts['targets']:,} targets, {counts['pauses']:,} pauses); p50 of "
            f"{options.runs} runs; load average {os.getloadavg()[0]:.1f}"
        )
        print(
            "rollups: "
            + (f"built in {build} s" if build is not None else "current, reused")
            + "".join(
                f"; refresh of {r['days']} dirty days {r['seconds']} s (load {r['load_1m']:.1f})"
                for r in result["refreshes"]
            )
            + "\n"
        )
        header = f"{'what':33} {'group_by':9} {'days':>4} {'p50 ms':>9} {'min ms':>9} {'max ms':>9}"
        print(header + f" {'rows':>8} {'load':>5}")
        for t in timings:
            print(
                f"{t.what:33} {t.group_by:9} {t.days:4} {t.p50_ms:9.1f} {t.min_ms:9.1f} "
                f"{t.max_ms:9.1f} {t.rows:8} {t.load_1m:5.1f}"
            )
        for label, figure in [
            (f"last {PERIODS[0]} days", month),
            (f"all {counts['tickets']:,} tickets", full_year),
        ]:
            verdict = "within" if figure < TARGET_MS else "OVER"
            print(f"slowest report p50, {label}: {figure:.1f} ms ({verdict} {TARGET_MS:.0f} ms)")
        if result["plans"]:
            print("\n" + result["plans"])
    return 0 if full_year < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())

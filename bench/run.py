"""Every benchmark, one after another, and one table of their figures at the end.

    make bench                      # the default scale: about 5-10 minutes on 2 cores
    make bench SCALE=full           # 1,000,000 tickets and 5,000 websocket clients
    .venv/bin/python -m bench [--scale default|full] [--only intake,fanout] [--json]

Each benchmark runs as its own process with --json (its progress goes to stderr as usual),
against its own PostgreSQL database `<prefix>_<benchmark>_<size>` (created, migrated and
seeded by the benchmark; a database seeded at that size earlier is reused) and a private
redis-server this runner starts (or --redis-url). docs/benchmarks.md lists the commands each
step runs, so any single figure can be reproduced with one command.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATABASE_PREFIX = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"

Row = tuple[str, str, float | None, float | None, str]  # benchmark, case, p50, p99, note


@dataclass
class Step:
    name: str  # also the database's suffix
    script: str
    args: list[str]
    size: str  # in the database's name, so each size keeps its own seeded database
    redis: bool = False


SCALES: dict[str, list[Step]] = {
    "default": [
        Step("intake", "intake.py", ["--clients", "8", "--requests", "150", "--runs", "3"], "",
             redis=True),
        Step("public", "public_page.py", ["--history", "1000", "--runs", "30"], "1k"),
        Step("admin", "admin_queue.py", ["--tickets", "100000", "--runs", "5"], "100k"),
        Step("sweep", "sweep.py", ["--tickets", "100000", "--due", "0,1000", "--runs", "5"],
             "100k"),
        Step("report", "report.py", ["--tickets", "100000", "--runs", "3"], "100k"),
        Step("fanout", "fanout.py", ["--clients", "1000"], "", redis=True),
    ],
    "full": [
        Step("intake", "intake.py", ["--clients", "8", "--requests", "500", "--runs", "3"], "",
             redis=True),
        Step("intake", "intake.py",
             ["--clients", "8", "--requests", "500", "--runs", "3", "--servers", "2"], "",
             redis=True),
        Step("public", "public_page.py", ["--history", "5000", "--runs", "50"], "5k"),
        Step("admin", "admin_queue.py", ["--tickets", "1000000", "--runs", "20"], "1m"),
        Step("sweep", "sweep.py", ["--tickets", "1000000", "--runs", "5"], "1m"),
        Step("report", "report.py", ["--tickets", "1000000", "--runs", "7"], "1m"),
        Step("fanout", "fanout.py", ["--clients", "1000"], "", redis=True),
        Step("fanout", "fanout.py", ["--clients", "5000"], "", redis=True),
    ],
}  # fmt: skip


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def database_url(prefix: str, step: Step) -> str:
    return f"{prefix}_{step.name}" + (f"_{step.size}" if step.size else "")


def command(step: Step, prefix: str, redis_url: str | None) -> list[str]:
    args = [sys.executable, f"bench/{step.script}", *step.args, "--json"]
    args += ["--database-url", database_url(prefix, step)]
    if step.redis and redis_url:
        args += ["--redis-url", redis_url]
    return args


def run_step(step: Step, prefix: str, redis_url: str | None) -> dict:
    """Run one benchmark; its JSON, exit status and wall time."""
    argv = command(step, prefix, redis_url)
    shown = " ".join(a.replace(sys.executable, ".venv/bin/python") for a in argv)
    log(f"\n=== {shown}")
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    seconds = round(time.monotonic() - started, 1)
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        result = None
        log(done.stdout)
    log(f"=== {step.script} finished in {seconds} s with exit status {done.returncode}")
    return {"command": shown, "exit": done.returncode, "seconds": seconds, "result": result}


# Rows of the final table, one function per benchmark's JSON.


def intake_rows(r: dict) -> list[Row]:
    each = ", ".join(str(x["tickets_per_s"]) for x in r["runs"])
    note = (
        f"{r['tickets_per_s']} tickets/s (runs {each}); "
        f"{r['server_cpu_ms_per_ticket']} ms server CPU/ticket; answers {r['statuses']}"
    )
    runs = f"{len(r['runs'])}x{r['requests_per_run']}"
    case = f"{r['clients']} clients, {r['servers']} server(s), {runs} requests"
    return [("intake", case, r["p50_ms"], r["p99_ms"], note)]


def public_rows(r: dict) -> list[Row]:
    return [
        (
            "public page",
            f"{s['name']} ({r['history']:,} events)",
            s["p50_ms"],
            s["p99_ms"],
            f"{s['queries']} queries, {s['kilobytes']} KB, status {s['status']}",
        )
        for s in r["surfaces"]
    ]


def admin_rows(r: dict) -> list[Row]:
    return [
        (
            "admin queue",
            f"{p['user']} {p['page']} ({r['tickets']:,} tickets)",
            p["p50_ms"],
            p["p99_ms"],
            f"{p['queries']} queries, status {p['status']}"
            + (" > target" if p["p50_ms"] > r["target_ms"] else ""),
        )
        for p in r["pages"]
    ]


def sweep_rows(r: dict) -> list[Row]:
    return [
        (
            "SLA sweep",
            f"{s['due']:,} due of {r['tickets']:,} open, {s.get('sweepers', 1)} sweep(s)",
            s["sweep_ms"],
            None,
            f"median of {s['runs']}, min {s['min_ms']} max {s['max_ms']} ms; "
            f"{s.get('warnings', 0):,} warnings, {s.get('breaches', 0):,} breaches, "
            f"{s.get('queries', '?')} queries",
        )
        for s in r["scenarios"]
    ]


def report_rows(r: dict) -> list[Row]:
    return [
        (
            "SLA report",
            f"{t['what']} {t['group_by']} {t['days']} days ({r['tickets']:,} tickets)".replace(
                "  ", " "
            ),
            t["p50_ms"],
            None,
            f"median of {t['runs']}, min {t['min_ms']} max {t['max_ms']} ms; {t['rows']} rows",
        )
        for t in r["timings"]
    ]


def fanout_rows(r: list[dict]) -> list[Row]:
    return [
        (
            "ws fan-out",
            f"{x['config']}, {x['clients']:,} clients",
            x["p50_ms"],
            x["p99_ms"],
            f"connect {x['connect_s']} s, missing {x['missing']}, post {x['post_ms']} ms, "
            f"server CPU {x['server_cpu_ms']} ms/event, {x['events']} events",
        )
        for x in r
    ]


ROWS: dict[str, Callable[[dict], list[Row]]] = {
    "intake": intake_rows,
    "public": public_rows,
    "admin": admin_rows,
    "sweep": sweep_rows,
    "report": report_rows,
    "fanout": fanout_rows,
}


# What a benchmark's exit status 1 says, when it still printed its figures.
EXIT_MEANS = {
    "report": "the slowest report over all tickets is above its 1 s target",
    "fanout": "events went missing (see the missing column)",
}


def rows_of(step: Step, outcome: dict) -> list[Row]:
    if outcome["result"] is None:
        return [(step.name, "FAILED", None, None, f"exit {outcome['exit']}: see the log above")]
    try:
        rows = ROWS[step.name](outcome["result"])
    except (KeyError, TypeError) as exc:
        return [(step.name, "unreadable JSON", None, None, f"{exc!r}; see --json")]
    if outcome["exit"]:
        meaning = EXIT_MEANS.get(step.name, "see the log above")
        rows.append((step.name, f"exit status {outcome['exit']}", None, None, meaning))
    return rows


def table(rows: list[Row]) -> str:
    def ms(value: float | None) -> str:
        return "" if value is None else f"{value:,.1f}"

    cells = [("benchmark", "case", "p50 ms", "p99 ms", "notes")] + [
        (b, c, ms(p50), ms(p99), n) for b, c, p50, p99, n in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    return "\n".join(
        f"{b:{widths[0]}}  {c:{widths[1]}}  {p50:>{widths[2]}}  {p99:>{widths[3]}}  {n}"
        for b, c, p50, p99, n in cells
    )


def main(argv: list[str] | None = None) -> int:
    from bench.deployment import private_redis

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="default")
    parser.add_argument(
        "--only", type=lambda text: text.split(","), help="benchmarks to run, e.g. intake,fanout"
    )
    parser.add_argument("--database-prefix", default=DATABASE_PREFIX)
    parser.add_argument("--redis-url", help="default: a private redis-server for the run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args(argv)
    steps = [s for s in SCALES[options.scale] if not options.only or s.name in options.only]
    if not steps:
        parser.error(f"--only: choose from {', '.join(ROWS)}")

    load_before = os.getloadavg()
    started = time.monotonic()
    outcomes, rows = [], []
    with ExitStack() as stack:
        redis_url = stack.enter_context(private_redis(options.redis_url))
        for step in steps:
            outcome = run_step(step, options.database_prefix, redis_url)
            outcomes.append({"benchmark": step.name, **outcome})
            rows += rows_of(step, outcome)
    seconds = round(time.monotonic() - started)
    load_after = os.getloadavg()
    machine = {
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "seconds": seconds,
    }
    if options.json:
        print(json.dumps({"scale": options.scale, "machine": machine, "runs": outcomes}, indent=2))
    else:
        print(
            f"\nBenchmarks, scale {options.scale}: {seconds // 60} min {seconds % 60} s on "
            f"{machine['cpus']} CPUs; load average (1, 5, 15 min) before "
            f"{' '.join(map(str, machine['load_before']))}, after "
            f"{' '.join(map(str, machine['load_after']))}\n"
        )
        print(table(rows))
    return 1 if any(o["result"] is None for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())

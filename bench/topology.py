"""The scale-out topology on one machine, with one command: N daphne workers behind a
round-robin proxy, M django-q2 clusters, on PostgreSQL and Redis (docs/scale-out.md).

    make topology                                   # 2 workers, 1 cluster, proxy on :8000
    make topology WORKERS=4 CLUSTERS=2 PORT=9000
    .venv/bin/python bench/topology.py --workers 4 --clusters 2 --port 9000

DATABASE_URL and REDIS_URL are taken from the environment. Without them it uses the database
`helpdesk_topology` on the local PostgreSQL (created if missing) and starts a private
redis-server for as long as it runs. It migrates, then starts the workers on the ports after
--port (9001, 9002, …), the proxy on --port and the clusters, and stops them all on Ctrl-C.
A process that exits is reported and left down, so you can watch the others carry on; kill
one yourself (its pid is printed) to see what a failure does.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(ROOT))

from bench.deployment import database_ensure, database_migrate, private_redis  # noqa: E402
from tests.live import wait_for_port  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_topology"


def start(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(argv, cwd=ROOT, env=env)
    print(f"{name:10} pid {process.pid}: {' '.join(argv[1:])}", flush=True)
    return process


def supervise(processes: dict[str, subprocess.Popen]) -> None:
    """Until Ctrl-C: report each process that exits, once."""
    reported: set[str] = set()
    while True:
        for name, process in processes.items():
            if name not in reported and process.poll() is not None:
                print(f"{name} (pid {process.pid}) exited with {process.returncode}", flush=True)
                reported.add(name)
        time.sleep(1)


def stop_all(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="daphne processes")
    parser.add_argument("--clusters", type=int, default=1, help="qcluster processes")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    options = parser.parse_args(argv)

    # Ctrl-C, or a TERM from a supervisor, stops everything (even when started in the background).
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    database_url = os.environ.get("DATABASE_URL") or DATABASE_URL
    if not database_url.startswith("postgres"):
        parser.error("the topology runs on PostgreSQL: set DATABASE_URL=postgres://…")
    database_ensure(database_url)
    database_migrate(database_url)
    processes: dict[str, subprocess.Popen] = {}
    with ExitStack() as stack:
        redis_url = stack.enter_context(private_redis(os.environ.get("REDIS_URL")))
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SITE_URL": f"http://127.0.0.1:{options.port}",
        }
        stack.callback(stop_all, processes)
        ports = [options.port + 1 + n for n in range(options.workers)]
        for n, port in enumerate(ports):
            processes[f"worker{n + 1}"] = start(
                f"worker{n + 1}",
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                 "helpdesk.asgi:application"],
                env,
            )  # fmt: skip
        for n in range(options.clusters):
            processes[f"cluster{n + 1}"] = start(
                f"cluster{n + 1}", [sys.executable, "manage.py", "qcluster"], env
            )
        for port in ports:
            wait_for_port(port, timeout=60)
        backends = ",".join(f"127.0.0.1:{port}" for port in ports)
        processes["proxy"] = start(
            "proxy",
            [sys.executable, "bench/proxy.py", "--listen", f"127.0.0.1:{options.port}",
             "--backends", backends],
            env,
        )  # fmt: skip
        wait_for_port(options.port)
        print(
            f"\nServing http://127.0.0.1:{options.port}/ through the proxy "
            f"({options.workers} workers, {options.clusters} clusters); database "
            f"{database_url.rsplit('/', 1)[-1]}, Redis {redis_url}. Ctrl-C stops everything.\n"
            f"Demo data: DATABASE_URL={database_url} .venv/bin/python manage.py seed_demo",
            flush=True,
        )
        try:
            supervise(processes)
        except KeyboardInterrupt:
            print("\nStopping.", flush=True)


if __name__ == "__main__":
    main()

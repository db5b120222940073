"""A local deployment the benchmarks start for themselves: a database, Redis, daphne servers.

PostgreSQL is the one already running (a database of the benchmark's own is created in it);
Redis is a private `redis-server` on a free port unless a URL is given; the daphne servers
are `tests.live.AsgiServer`s, the same ones the multi-process tests run.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.live when run as a script

from tests.live import AsgiServer, RedisServer  # noqa: E402


def _admin_connection(url: str) -> tuple[psycopg.Connection, str]:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    return psycopg.connect(**info, dbname="postgres", autocommit=True), name


def database_ensure(url: str) -> None:
    """Create the database if it does not exist yet."""
    conn, name = _admin_connection(url)
    with conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_recreate(url: str) -> None:
    """Drop the database (closing its sessions) and create it empty."""
    conn, name = _admin_connection(url)
    with conn:
        name = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def database_migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )


def server_env(*, database_url: str, redis_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a server process: no email leaves the machine, nobody is throttled."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "FEEDBACK_THROTTLE_RATE": "100000000/minute",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


@contextmanager
def private_redis(redis_url: str | None) -> Iterator[str]:
    """The given Redis, or a throwaway redis-server for as long as the block runs."""
    if redis_url:
        yield redis_url
        return
    server = RedisServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def asgi_servers(env: dict[str, str], count: int) -> Iterator[list[AsgiServer]]:
    """`count` daphne processes on consecutive free ports, started together."""
    servers = [AsgiServer(env) for _ in range(count)]
    with ExitStack() as stack:
        for server in servers:
            stack.callback(_stop, server)
        with ThreadPoolExecutor() as pool:  # each start waits for its server to listen
            list(pool.map(lambda server: server.start(), servers))
        yield servers


def _stop(server: AsgiServer) -> None:
    if server.process is None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.process = None


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (Linux's /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")

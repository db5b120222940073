"""The intake benchmark starts its own deployment (fresh database, Redis, daphne) and measures."""

import json

import psycopg
import pytest
from psycopg import sql

from bench.intake import main
from tests.live import shared_database_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def own_database_url():
    """A database beside the test database: the benchmark drops and recreates it."""
    url = shared_database_url() + "_intake_smoke"
    yield url
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = sql.Identifier(info.pop("dbname"))
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def test_it_creates_a_deployment_and_every_request_makes_a_ticket(own_database_url, capsys):
    main(["--clients", "2", "--requests", "6", "--runs", "2", "--servers", "2", "--json"]
         + ["--database-url", own_database_url])  # fmt: skip

    result = json.loads(capsys.readouterr().out)
    assert result["servers"] == 2
    assert result["statuses"] == {"201": 12}
    assert result["tickets_per_s"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert result["server_cpu_ms_per_ticket"] > 0

"""The fan-out benchmark runs end to end on a few clients, on every configuration."""

import math

import pytest

from bench.fanout import main
from tests.live import shared_database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_every_client_gets_every_event_with_a_measured_latency(settings, monkeypatch):
    database_url = shared_database_url()
    # The benchmark points its process at the database it measures; put the variable back after.
    monkeypatch.setenv("DATABASE_URL", database_url)

    results = main(
        ["--clients", "20", "--events", "3", "--database-url", database_url]
        + ["--redis-url", settings.REDIS_URL, "--json"]
    )

    assert [(r.layer, r.servers) for r in results] == [("memory", 1), ("redis", 1), ("redis", 2)]
    for result in results:
        assert result.missing == 0, result
        assert all(
            math.isfinite(value) and value > 0
            for value in (result.connect_s, result.p50_ms, result.p99_ms, result.max_ms)
        ), result

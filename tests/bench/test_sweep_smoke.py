"""The sweep benchmark runs end to end on a couple of thousand tickets."""

import json

import pytest

from bench.sweep import main
from tests.live import shared_database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_it_seeds_makes_tickets_due_and_times_each_sweep(settings, monkeypatch, capsys):
    database_url = shared_database_url()
    # The benchmark points its process at the database it measures and drops REDIS_URL; put
    # both variables back after.
    monkeypatch.setenv("DATABASE_URL", database_url)
    if settings.REDIS_URL:
        monkeypatch.setenv("REDIS_URL", settings.REDIS_URL)

    main(
        ["--tickets", "2000", "--due", "0,100", "--runs", "2"]
        + ["--database-url", database_url, "--json"]
    )

    result = json.loads(capsys.readouterr().out)
    idle, due, due_two = result["scenarios"]  # nothing due; 100 due for one sweep, then two
    assert (idle["due"], idle["runs"], idle["examined"], idle["queries"]) == (0, 2, 0, 1)
    assert (due["due"], due["examined"], due["sweepers"]) == (100, 100, 1)
    assert (due_two["due"], due_two["examined"], due_two["sweepers"]) == (100, 100, 2)
    assert due["breaches"] > 0 and due["warnings"] > 0
    assert due["escalations"] >= 100  # the default policy fires a step at 75%, 90% and 100%
    assert 0 < idle["sweep_ms"] < due["sweep_ms"]
    assert idle["plan"].startswith("Index Scan using sla_check_at")
    # With 100 of 2,000 due the planner may gather them by a bitmap of the same index; at a
    # million it walks the index (bench/README.md). Never a scan of every check.
    assert "sla_check_at" in due["explain"]
    assert "Seq Scan on helpdesk_slacheck" not in due["explain"]

"""The report benchmark runs end to end on a few hundred tickets."""

import json

import pytest

from bench.report import PERIODS, main
from helpdesk.reports.columns import GROUPS
from tests.live import shared_database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_it_seeds_and_times_every_grouping_and_period(monkeypatch, capsys):
    database_url = shared_database_url()
    # The benchmark points its process at the database it measures; put the variable back after.
    monkeypatch.setenv("DATABASE_URL", database_url)

    main(["--tickets", "300", "--runs", "1", "--database-url", database_url, "--json"])

    result = json.loads(capsys.readouterr().out)
    assert result["tickets"] == 300
    assert result["targets"] > 300
    reports = {(t["group_by"], t["days"]) for t in result["timings"] if t["what"] == "report"}
    assert reports == {(group, days) for group in GROUPS for days in PERIODS}
    assert all(t["p50_ms"] > 0 for t in result["timings"])

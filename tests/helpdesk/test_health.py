import os
import subprocess
import sys
import time

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_healthz_reports_each_part(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["channel_layer"] == "ok"
    assert body["task_cluster"] == "down"


@pytest.mark.django_db
def test_healthz_sees_a_running_cluster(client, tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cluster.sqlite3'}"}
    if not settings.REDIS_URL:
        # Share the file cache the test process reads (see the _isolated_cache fixture).
        env["CACHE_DIR"] = settings.CACHES["default"]["LOCATION"]
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=settings.BASE_DIR)
    cluster = subprocess.Popen(
        [*manage, "qcluster"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            state = client.get("/healthz").json()["task_cluster"]
            if state.startswith("ok"):
                break
            time.sleep(0.5)
        assert state is not None and state.startswith("ok (")
    finally:
        cluster.terminate()
        cluster.wait(timeout=30)

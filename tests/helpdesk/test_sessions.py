"""An agent logs in, works and logs out while the session cache (Redis) cannot be reached:
the cache is a real Redis client pointed at a port nobody listens on, so every call to it is
refused by a real socket."""

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.live import free_port

pytestmark = pytest.mark.django_db
PASSWORD = "a long test password"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


@pytest.fixture
def agent(make_agent):
    user = make_agent("grace").user
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client, user: User):
    return client.post(
        "/admin/login/?next=/admin/helpdesk/ticket/",
        {"username": user.username, "password": PASSWORD},
    )


def test_the_admin_works_from_the_database_while_redis_is_down(client, redis_down, agent):
    logged_in = log_in(client, agent)
    queue = client.get("/admin/helpdesk/ticket/")
    logged_out = client.post("/admin/logout/")

    assert logged_in.status_code == 302 and logged_in.url == "/admin/helpdesk/ticket/"
    assert queue.status_code == 200 and "Select ticket to change" in queue.text
    assert logged_out.status_code == 200
    assert not Session.objects.exists()  # logging out still ended the session
    assert client.get("/admin/helpdesk/ticket/").status_code == 302  # back to the login form


def test_django_s_own_cached_db_sessions_fail_there(client, settings, redis_down, agent):
    """What the engine is for: the same requests through Django's engine raise."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

    with pytest.raises(RedisConnectionError):  # the login itself (a 500 for the agent)
        log_in(client, agent)

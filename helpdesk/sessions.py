"""Sessions read from the cache first, from the database when the cache cannot answer.

Django's `cached_db` engine reads a session from the cache and falls back to the database,
but then writes the session back into the cache, and checks and deletes keys there, without
catching a cache that cannot be reached: with Redis down, every page of the agents' admin
answered 500. This engine goes on from the database alone while the cache fails (the session
table holds every session either way) and says so in the log.
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore
from django.contrib.sessions.backends.db import SessionStore as DbStore
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
CACHE_ERRORS = (RedisError, OSError)  # Redis unreachable, or the file cache's disk


class SessionStore(CachedDbStore):
    def load(self) -> dict:
        try:
            return super().load()
        except CACHE_ERRORS:
            log.warning("Session cache unreachable; reading the session from the database")
            return DbStore.load(self)

    def exists(self, session_key: str | None) -> bool:
        try:
            return super().exists(session_key)
        except CACHE_ERRORS:
            return DbStore.exists(self, session_key)

    def delete(self, session_key: str | None = None) -> None:
        # The database row goes first (Django's order), so a failing cache leaves at most a
        # cached copy that expires with the session.
        try:
            super().delete(session_key)
        except CACHE_ERRORS:
            log.warning("Session cache unreachable; the session was deleted from the database")

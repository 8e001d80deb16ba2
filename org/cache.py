"""The cache backend for production: Django's Redis cache that keeps the portal up when Redis
is down.

Nothing the portal keeps in the cache is the only copy of anything (sessions and the lockout
counters live in the database): the cache holds the public page's per-IP rate-limit counters
and the like. So a Redis outage must not turn every page that touches the cache into a
server error. While Redis cannot be reached, each process falls back to a small cache in its
own memory (the rate limits then count per process, which still stops a script), logs one
warning for the outage and one line when Redis answers again, and leaves Redis alone for a
few seconds between attempts so that a hung Redis costs one short timeout now and then, not
one per request.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# What an unreachable, restarting or hung Redis raises (BusyLoadingError is a ConnectionError).
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# Seconds to serve from memory after a failure before Redis is tried again.
RETRY_AFTER = 5.0


class ResilientRedisCache(RedisCache):
    """RedisCache whose operations fall back to a per-process memory cache while Redis is
    unreachable, instead of raising (which would be a 500 on the page)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        fallback_params = {k: v for k, v in params.items() if k not in ("LOCATION", "OPTIONS", "BACKEND")}
        # One memory cache per LOCATION, shared by every thread of the process, as LocMem does.
        self._fallback = LocMemCache(f"redis-fallback:{server}", fallback_params)
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down = False

    @property
    def redis_available(self) -> bool:
        """False while this process is serving from memory after a failed Redis call."""
        return not self._down

    def _call(self, name, *args, **kwargs):
        if self._down and time.monotonic() < self._down_until:
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except UNAVAILABLE as exc:
            with self._lock:
                if not self._down:
                    log.warning("Redis cache unreachable (%r): serving from process memory until it answers", exc)
                self._down = True
                self._down_until = time.monotonic() + RETRY_AFTER
            return getattr(self._fallback, name)(*args, **kwargs)
        if self._down:
            with self._lock:
                if self._down:
                    log.warning("Redis cache reachable again")
                self._down = False
        return result

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        # Both: what was counted in memory during an outage must not outlive a clear().
        self._fallback.clear()
        return self._call("clear")

"""The optional Redis connection; the app runs on one machine without it."""

import threading
import time

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

_OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2}
RETRY_SECONDS = 5  # how long a thread uses the pooled client after failing to connect its own
_pooled: dict[str, Redis] = {}
_local = threading.local()


def get_redis() -> Redis | None:
    """Return a Redis client for REDIS_URL, or None when Redis is not configured.

    Each thread gets a client that keeps one connection of its own: a command through the
    shared pool also pays for the pool's lock, its bookkeeping and a readability check of the
    socket, about a third of a cached GET /me's Redis call. While Redis cannot be reached the
    shared pooled client is returned instead; its commands raise RedisError like any other
    failed command, which every caller handles.
    """
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    own = getattr(_local, "clients", None)
    if own is None:
        own = _local.clients = {}
    client = own.get(url)
    if client is None:
        if time.monotonic() < getattr(_local, "retry_at", 0.0):
            return _pooled_client(url)
        try:
            client = own[url] = Redis.from_url(url, single_connection_client=True, **_OPTIONS)
        except RedisError:  # it connects at once; not again on this thread for a while
            _local.retry_at = time.monotonic() + RETRY_SECONDS
            return _pooled_client(url)
    return client


def _pooled_client(url: str) -> Redis:
    client = _pooled.get(url)
    if client is None:
        client = _pooled.setdefault(url, Redis.from_url(url, **_OPTIONS))
    return client


def redis_key(*parts: object) -> str:
    """Namespace a key under REDIS_PREFIX so separate deployments and test runs never collide."""
    return current_app.config["REDIS_PREFIX"] + ":".join(str(p) for p in parts)

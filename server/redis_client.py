"""The optional Redis connection; the app runs on one machine without it."""

from flask import current_app
from redis import Redis

_clients: dict[str, Redis] = {}


def get_redis() -> Redis | None:
    """Return a shared Redis client for REDIS_URL, or None when Redis is not configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _clients[url] = client
    return client


def redis_key(*parts: object) -> str:
    """Namespace a key under REDIS_PREFIX so separate deployments and test runs never collide."""
    return current_app.config["REDIS_PREFIX"] + ":".join(str(p) for p in parts)

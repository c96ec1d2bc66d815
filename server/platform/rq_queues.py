"""RQ's connection and named queues, when REDIS_URL is set. Workers listen to every queue in
QUEUES, in that order: a notice never waits behind a long console export."""

from flask import current_app
from redis import Redis
from rq import Queue

QUEUES = ("notify", "exports")


def connection() -> Redis:
    """RQ's own connection (binary, pooled; not the app's per-thread clients)."""
    key = "rq_redis"
    if key not in current_app.extensions:
        current_app.extensions[key] = Redis.from_url(
            current_app.config["REDIS_URL"], socket_timeout=10, socket_connect_timeout=2
        )
    return current_app.extensions[key]


def queue(name: str) -> Queue:
    # Named under REDIS_PREFIX so deployments (and test runs) sharing a Redis never mix.
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(current_app.config["REDIS_PREFIX"] + name, connection=connection())


def all_queues() -> list[Queue]:
    return [queue(name) for name in QUEUES]


def background_enabled() -> bool:
    """Background work goes to RQ workers (NOTIFY_RQ: on by default when REDIS_URL is set)."""
    return bool(current_app.config.get("NOTIFY_RQ"))

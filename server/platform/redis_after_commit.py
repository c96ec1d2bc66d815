"""Redis writes that follow a database commit, all sent in one round trip.

Some Redis state mirrors committed rows: ranking sorted sets (server/points/rankings.py) and
profile versions (server/platform/profile_versions.py). Each domain collects what its
transaction changed and registers a collector here; after the commit one listener asks every
collector for its batch and applies them all with a single script call. A credit, say, bumps
its holder's profile version and three ranking sets in one command instead of one round trip
per module. Nothing is sent for a rolled-back transaction: collectors drop their pending
writes on rollback themselves.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import has_app_context
from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.platform.redis_client import get_redis

log = logging.getLogger(__name__)

# KEYS[i] gets ARGV[3i-2 .. 3i] = what, amount, ttl: what "+" is INCRBY amount, anything else
# ZINCRBY amount for that member; a ttl above 0 (seconds) is then set on the key.
_APPLY = """
for i, key in ipairs(KEYS) do
  local what, amount, ttl = ARGV[3 * i - 2], ARGV[3 * i - 1], tonumber(ARGV[3 * i])
  if what == '+' then
    redis.call('INCRBY', key, amount)
  else
    redis.call('ZINCRBY', key, amount, what)
  end
  if ttl > 0 then
    redis.call('EXPIRE', key, ttl)
  end
end
return #KEYS
"""


@dataclass
class Batch:
    incr: list[str] = field(default_factory=list)  # counters to add one to
    incr_ttl: int = 0  # seconds the counters live after their last increment (0: forever)
    zincrby: list[tuple[str, int, str]] = field(default_factory=list)  # (key, delta, member)
    on_failure: Callable[[Redis], None] | None = None  # what to undo when Redis refused


Collector = Callable[[Session], Batch | None]
_collectors: list[Collector] = []


def collector(fn: Collector) -> Collector:
    """Register `fn(session) -> Batch | None`; it must pop what it collected."""
    _collectors.append(fn)
    return fn


def _arguments(batches: list[Batch]) -> tuple[list[str], list]:
    keys: list[str] = []
    args: list = []
    for batch in batches:
        for key in batch.incr:
            keys.append(key)
            args += ["+", 1, batch.incr_ttl]
        for key, delta, member in batch.zincrby:
            keys.append(key)
            args += [member, delta, 0]
    return keys, args


# One script object for every client (each thread has its own, see redis_client); the client
# is passed per call.
_SCRIPT = Script(None, _APPLY.encode())


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    apply([batch for collect in _collectors if (batch := collect(session))])


def apply(batches: list[Batch]) -> None:
    """Send these batches now, in one round trip: for writes committed outside the session
    (an autocommit statement), whose commit the listener above never sees."""
    if not batches or not has_app_context():
        return
    redis = get_redis()
    if redis is None:
        return
    keys, args = _arguments(batches)
    if not keys:
        return
    try:
        _SCRIPT(keys=keys, args=args, client=redis)
    except RedisError:
        log.warning("redis writes after commit lost", exc_info=True)
        for batch in batches:
            if batch.on_failure is not None:
                try:
                    batch.on_failure(redis)
                except RedisError:
                    pass

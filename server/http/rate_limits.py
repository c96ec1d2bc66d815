"""Rate limits on the routes that declare one, through the `limits` library.

Verification (per staff member) wraps its views in `rate_limited`; login counts per address,
device and WeChat identity through `hit` (server/auth/login_limits.py); nothing else is
limited. Counters are fixed windows in Redis (under REDIS_PREFIX + "limits"), or in this
process's memory when there is no Redis, and while Redis cannot be reached (logged; a
cashier can still verify, and each process still limits). A refused request gets 429
`rate_limited` with Retry-After.

This used to be Flask-Limiter. Its decorator, which resolves the route's limits, its exemptions
and its request context on every call, cost verification about as much CPU as the Redis
command that counts the request; here one hit is one parsed limit and one storage call.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)
_EXTENSION = "rate_limits"


@dataclass(frozen=True)
class _Limiters:
    shared: FixedWindowRateLimiter  # Redis, or memory without Redis
    local: FixedWindowRateLimiter  # memory: while the shared storage cannot be reached


def init_rate_limits(app: Flask) -> None:
    prefix = app.config["REDIS_PREFIX"] + "limits"
    url = app.config["REDIS_URL"]
    shared = RedisStorage(url, key_prefix=prefix) if url else MemoryStorage()
    app.extensions[_EXTENSION] = _Limiters(
        FixedWindowRateLimiter(shared), FixedWindowRateLimiter(MemoryStorage())
    )


def storage(app: Flask) -> Storage:
    """The app's shared counters."""
    return app.extensions[_EXTENSION].shared.storage


def reset(app: Flask) -> None:
    """Forget every count (tests)."""
    limiters = app.extensions[_EXTENSION]
    limiters.shared.storage.reset()
    limiters.local.storage.reset()


@lru_cache(maxsize=64)
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)


def _remote_address() -> str:
    return request.remote_addr or "127.0.0.1"


def hit(scope: str, limit: str, who: str) -> None:
    """Count one request of `who` against `limit` (e.g. "30 per minute") under `scope`.

    Raises 429 when the window is full. Retry-After rounds up and adds a second, because Redis
    reports a counter's TTL rounded to whole seconds: a client that waits it is admitted.
    """
    limiters = current_app.extensions[_EXTENSION]
    item = _parsed(limit)
    limiter = limiters.shared
    try:
        allowed = limiter.hit(item, scope, who)
    except limiter.storage.base_exceptions:
        log.warning("rate-limit storage unreachable; counting in this process")
        limiter = limiters.local
        allowed = limiter.hit(item, scope, who)
    if not allowed:
        reset_at = limiter.get_window_stats(item, scope, who).reset_time
        raise TooManyRequests(retry_after=max(1, math.ceil(reset_at - time.time())) + 1)


def rate_limited(scope: str, limit: Callable[[], str], key: Callable[[], str] = _remote_address):
    """Allow `limit()` (e.g. "30 per minute") requests per `key()` to the decorated view.

    `scope` names the counter (verify and its preview each have their own; two routes given one
    scope would count together). Both callables run in the request, so a limit can follow the
    app's settings.
    """

    def decorator(view):
        @wraps(view)
        def limited(*args, **kwargs):
            hit(scope, limit(), key())
            return view(*args, **kwargs)

        return limited

    return decorator

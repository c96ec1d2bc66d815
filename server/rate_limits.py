"""Rate limits through Flask-Limiter, paid for only by the routes that declare one.

Login (per client IP) and verification (per staff member) declare their limits with
`@limiter.limit`; nothing else is limited.
"""

import time
from functools import partial

from flask import Flask

from server.extensions import limiter


def init_rate_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["REDIS_PREFIX"] + "limits")
    # X-RateLimit-* headers cost a storage round trip per limited request and no client of
    # this API reads them; a 429 still says when to retry (retry_after_seconds).
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return
    # Flask-Limiter's before_request hook evaluates default and application-wide limits for
    # every request, and a decorated route checks its own limits again in its decorator.
    # With neither kind configured the hook finds nothing to enforce, yet it took about a
    # seventh of GET /me's CPU; the decorators keep enforcing the declared limits.
    before = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [h for h in before if not _is_limiter_hook(h)]
    if not app.config["RATELIMIT_HEADERS_ENABLED"]:
        # Its after_request hook writes those headers and settles `deduct_when` limits, which
        # no route here declares.
        after = app.after_request_funcs.get(None, [])
        app.after_request_funcs[None] = [h for h in after if not _is_limiter_hook(h)]


def _is_limiter_hook(hook) -> bool:
    """Its before_request hook is a bound method, its after_request hook a partial."""
    if isinstance(hook, partial):
        return hook.args[:1] == (limiter,)
    return getattr(hook, "__self__", None) is limiter


def retry_after_seconds() -> int | None:
    """Seconds until the limit this request broke lets the caller in again, if known."""
    try:
        breached = limiter.current_limit
        if breached is None:
            return None
        return max(1, int(breached.reset_at - time.time()))
    except Exception:  # noqa: BLE001 - the 429 stands without the hint when storage is down
        return None

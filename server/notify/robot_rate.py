"""WeCom takes 20 messages a minute per robot. Each send is counted first in a moving window
per robot (the `limits` library's, on the app's rate-limit storage: Redis, shared by every
worker and machine, or this process's memory without Redis); a delivery over the limit waits
until the window admits it, queued, not dropped, and without spending an attempt. WeCom's own
45009 stays the backstop (retried with backoff) if the window is ever wrong."""

import hashlib
import logging
import time

from flask import current_app
from limits import parse
from limits.strategies import MovingWindowRateLimiter

from server.http.rate_limits import storage

log = logging.getLogger(__name__)
_EXTENSION = "notify_robot_limiter"


def _limiter() -> MovingWindowRateLimiter:
    limiter = current_app.extensions.get(_EXTENSION)
    if limiter is None:
        limiter = MovingWindowRateLimiter(storage(current_app))
        current_app.extensions[_EXTENSION] = limiter
    return limiter


def admit(robot_key: str) -> float:
    """0 when a send to the robot may go now (and is counted), else the seconds to wait.
    Counted per robot (a digest of its key, never the key), whichever channel posts to it."""
    limiter = _limiter()
    rate = parse(current_app.config["NOTIFY_ROBOT_RATE"])
    robot_id = hashlib.sha256(robot_key.encode()).hexdigest()[:24]
    try:
        if limiter.hit(rate, "robot", robot_id):
            return 0.0
        reset_at = limiter.get_window_stats(rate, "robot", robot_id).reset_time
    except limiter.storage.base_exceptions:
        log.warning("robot rate storage unreachable; sending, WeCom's 45009 is the backstop")
        return 0.0
    return max(0.2, reset_at - time.time())

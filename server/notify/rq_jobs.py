"""The notification work in RQ workers, when REDIS_URL is set.

A commit that wrote an event someone hears of queues one `pump_job` (coalesced: while one
waits in the queue no second is added); `flask --app server jobs cron` queues a pump every
15 s for retries and rate-limited waits, and a `tick_job` every minute for the scheduled jobs.
Workers (`flask --app server jobs worker`, as many as wanted, on any machine) run them in the
app. The state of record is in the database, so a lost Redis or a killed worker loses nothing:
the next pump sends what is due.
"""

import logging

from redis.exceptions import RedisError
from rq import Queue

from server.db.session import db
from server.notify.pump import pump
from server.notify.schedule import run_due
from server.platform.redis_client import redis_key
from server.platform.rq_queues import connection
from server.platform.rq_queues import queue as named_queue

log = logging.getLogger(__name__)
PUMP_EVERY, TICK_EVERY = 15, 60  # seconds, for the cron scheduler


def queue() -> Queue:
    return named_queue("notify")


def _queued_flag() -> str:
    return redis_key("notify", "pump-queued")


def request_pump() -> None:
    """Queue a pump unless one is already waiting (after a commit that wrote an event)."""
    try:
        if connection().set(_queued_flag(), "1", nx=True, ex=60):
            queue().enqueue(pump_job, job_timeout=600, result_ttl=60, failure_ttl=86400)
    except RedisError:  # the cron's next pump sends it; nothing is lost
        log.warning("could not queue a notification pump; the next scheduled one sends it")


def _job(work):
    try:
        return work()
    finally:
        db.session.remove()


def pump_job() -> dict:
    # Cleared first: an event committed while this runs queues the next pump.
    connection().delete(_queued_flag())
    return _job(pump)


def tick_job() -> dict:
    """The scheduled jobs due this minute, then a pump for the events they wrote."""
    return _job(lambda: {"jobs": run_due(), "pump": pump()})

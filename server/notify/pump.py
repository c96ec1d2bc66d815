"""One pass of the notification work: plan what new outbox events call for, then send what is
due. Every runner calls this: the in-process drain (embedded default), the RQ job (with Redis)
and `flask --app server notify drain` (cron). Each step is safe to run concurrently."""

from datetime import datetime

from server.notify.deliveries import deliver_due, plan_deliveries
from server.notify.messages import ROUTED

# Event types whose commit should wake a runner at once (the rest wait for the next tick).
WAKES: frozenset[str] = frozenset(ROUTED)


def pump(now: datetime | None = None) -> dict:
    """Plan, then send; a count per outcome (`planned`, `sent`, `pending`, `dead`)."""
    counts = {"planned": plan_deliveries()}
    for status, n in deliver_due(now).items():
        counts[status] = counts.get(status, 0) + n
    return counts

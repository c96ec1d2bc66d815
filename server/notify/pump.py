"""One pass of the notification work: plan what new outbox events call for, then send what is
due. Every runner calls this: the in-process drain (embedded default), the RQ job (with Redis)
and `flask --app server notify drain` (cron). Each step is safe to run concurrently."""

from datetime import datetime

from server.notify.deliveries import deliver_due, plan_deliveries
from server.notify.messages import ROUTED
from server.notify.personal_plan import PERSONAL
from server.notify.personal_send import send_personal_due

# Event types whose commit should wake a runner at once (the rest wait for the next tick).
WAKES: frozenset[str] = frozenset(ROUTED) | frozenset(PERSONAL)


def pump(now: datetime | None = None) -> dict:
    """Plan, then send group deliveries and personal notices; a count per outcome
    (`planned` deliveries, then `sent`, `pending`, `dead`, `no_consent` … of both)."""
    counts = {"planned": plan_deliveries()}
    for sent in (deliver_due(now), send_personal_due(now)):
        for status, n in sent.items():
            counts[status] = counts.get(status, 0) + n
    return counts

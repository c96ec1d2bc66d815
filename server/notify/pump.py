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


def pump(now: datetime | None = None, rounds: int = 50) -> dict:
    """Plan, then send group deliveries and personal notices, again while a round found work
    (each round takes at most a batch of each); a count per outcome (`planned` deliveries,
    then `sent`, `pending`, `dead`, `no_consent` … of both). A row a round touched is not due
    again in the next (sent, or rescheduled into the future), so the rounds end."""
    counts: dict[str, int] = {}
    for _ in range(rounds):
        planned = plan_deliveries()
        counts["planned"] = counts.get("planned", 0) + planned
        worked = planned
        for sent in (deliver_due(now), send_personal_due(now)):
            for status, n in sent.items():
                counts[status] = counts.get(status, 0) + n
                worked += n
        if not worked:
            break
    return counts

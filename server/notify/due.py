"""Sending what is due, for every kind of outgoing row (group deliveries, personal notices):
read the due ids once, end that read, then let each row's sender claim and send it."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow


def send_due(
    model,
    send_one: Callable[[int, datetime], str | None],
    now: datetime | None,
    limit: int,
    *also,
) -> dict:
    """Send the `model` rows due at `now` (and meeting `also`), oldest first; a count per
    resulting status (rows another worker won are not counted)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(model.id)
        .where(model.status == "pending", model.next_attempt_at <= now, *also)
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    counts: dict[str, int] = {}
    for row_id in due:
        status = send_one(row_id, now)
        if status is not None:
            counts[status] = counts.get(status, 0) + 1
    return counts

"""Wishes nobody claimed by their needed_by day expire (a periodic job: `flask grid expire-wishes`).

Each wish leaves through the same kind of gate as every other step: an UPDATE that still
requires it to be unclaimed, open and past due, so a wish claimed or reviewed at the same
moment is left alone. Every expiry writes a `wish.expired` event (the notice to the resident).
"""

from datetime import date

from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow
from server.grid.wish_models import UNCLAIMED_OPEN_STATUSES, Wish
from server.grid.wishes import emit, gate
from server.platform.localtime import local_today

BATCH = 200


def expire_wishes(today: date | None = None, batch: int = BATCH) -> int:
    """Expire every unclaimed open wish whose needed_by is before `today`; the count expired.

    Commits after each batch, so a long backlog never holds one long transaction.
    """
    today = today or local_today()
    expired, last_id = 0, 0
    while True:
        rows = db.session.scalars(
            select(Wish)
            .where(
                Wish.status.in_(UNCLAIMED_OPEN_STATUSES),
                Wish.needed_by < today,
                Wish.id > last_id,
            )
            .order_by(Wish.id)
            .limit(batch)
        ).all()
        if not rows:
            db.session.rollback()
            return expired
        for wish in rows:
            previous = wish.status
            if gate(
                wish,
                Wish.status == previous,
                Wish.claimer_id.is_(None),
                Wish.needed_by < today,
                status="expired",
                closed_at=utcnow(),
            ):
                emit("wish.expired", wish, previous_status=previous, needed_by=str(wish.needed_by))
                expired += 1
        last_id = rows[-1].id
        db.session.commit()

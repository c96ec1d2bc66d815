"""A reservation's end short of verification: cancelled by its owner, or expired by the job.

Either way the same close() gives back what reserve took, in reserve's lock order (see
server/rewards/redemption.py): the redemption row (under the still-reserved gate, so a close
racing a verification or another close wins at most once), the per-person slot, the held
points, one unit of stock. Also the owner's own redemptions, read and listed.
"""

from datetime import datetime

from sqlalchemy import select, update

from server.auth.models import User
from server.community.acting import record_act
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError, NotFound
from server.http.pagination import paginate_by_id
from server.outbox.emit import emit_event
from server.points import ledger
from server.rewards import gates
from server.rewards.models import Redemption
from server.rewards.redemption_queries import session_queries

REDEMPTIONS = Redemption.__table__


def redemption_view(r: Redemption) -> dict:
    offer = r.offer
    return {
        "id": r.id,
        "offer_id": r.offer_id,
        "offer_title": offer.title,
        "offer_image_url": offer.image_url,
        "merchant_id": r.merchant_id,
        "merchant_name": offer.merchant.name,
        "merchant_address": offer.merchant.address,
        "points": r.points,
        "status": r.status,
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "redeemed_at": r.redeemed_at,
        "closed_at": r.closed_at,
    }


def close(r: Redemption, status: str, *, reason: str, actor_id: int | None, now: datetime) -> None:
    """Move a reserved redemption to `cancelled` (still reserved) or `expired` (also past its
    expiry) and give back what it took; refuses (RedemptionStateError) when another outcome
    won. Does not commit."""
    gate = gates.due_for_expiry(now) if status == "expired" else gates.still_reserved()
    conn, q = session_queries()
    won = conn.execute(
        update(REDEMPTIONS)
        .where(REDEMPTIONS.c.id == r.id, gate)
        .values(status=status, closed_at=now)
        .returning(REDEMPTIONS.c.id)
    ).first()
    if won is None:
        db.session.refresh(r)
        raise gates.why_not_verifiable(r, told="cancel" if status == "cancelled" else "resident")
    db.session.expire(r)
    if r.counted:
        slot = {"p_user_id": r.user_id, "p_offer_id": r.offer_id, "p_period_key": r.period_key}
        conn.execute(q.give_back_limit_slot, slot)
    ledger.release(r.hold_id, reason=reason, actor_id=actor_id)
    gates.change_stock(r.offer_id, +1)
    db.session.expire(r.offer, ["stock"])
    emit_event(
        f"redemption.{status}",
        aggregate_type="redemption",
        aggregate_id=r.id,
        community_id=r.community_id,
        payload={"user_id": r.user_id, "offer_id": r.offer_id, "points": r.points},
    )


def own_redemption(user: User, redemption_id: int) -> Redemption:
    """The caller's own redemption; anyone else's answers 404 so ids reveal nothing."""
    r = db.session.get(Redemption, redemption_id)
    if r is None or r.user_id != user.id:
        raise NotFound("兑换记录不存在", code="redemption_not_found")
    return r


def cancel(
    user: User, redemption_id: int, *, now: datetime | None = None, acted_by: int | None = None
) -> Redemption:
    """The resident cancels before verification: points released, stock and limit restored.
    `acted_by`: who cancels for a card holder (recorded as the actor)."""
    now = now or utcnow()
    r = own_redemption(user, redemption_id)
    try:
        close(
            r,
            "cancelled",
            reason=f"取消兑换：{r.offer.title}",
            actor_id=acted_by or user.id,
            now=now,
        )
    except AppError:
        db.session.rollback()
        raise
    if acted_by is not None:
        record_act(acted_by, user.id, "redemption.cancel", "redemption", r.id)
    db.session.commit()
    return r


def expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Release every reservation past its expiry; safe beside verification and a second run."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Redemption.id)
            .where(gates.due_for_expiry(now))
            .order_by(Redemption.id)
            .limit(batch)
        )
    )
    db.session.rollback()  # end the read so each expiry is its own short transaction
    expired = 0
    for redemption_id in ids:
        r = db.session.get(Redemption, redemption_id)
        try:
            close(r, "expired", reason=f"兑换过期：{r.offer.title}", actor_id=None, now=now)
            db.session.commit()
            expired += 1
        except AppError:
            db.session.rollback()  # verified or cancelled meanwhile: that outcome stands
    return expired


def get_own(user: User, redemption_id: int) -> Redemption:
    return own_redemption(user, redemption_id)


def list_own(user: User, limit: int, cursor: str | None, status: str | None = None):
    stmt = select(Redemption).where(Redemption.user_id == user.id)
    if status:
        stmt = stmt.where(Redemption.status == status)
    return paginate_by_id(db.session, stmt, Redemption.id, limit, cursor)

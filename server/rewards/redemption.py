"""Reserving, cancelling and expiring redemptions: points held, stock and limits taken at once.

Lock order in every writer is the same (redemption row, per-person counter, hold and account,
offer last), so reserve, cancel, expiry and verification never deadlock one another on
PostgreSQL; the offer row is the one every resident shares, so it is locked last and held for
the shortest time.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from server.auth.authz import require_membership
from server.auth.models import User
from server.db_types import utcnow
from server.errors import AppError, Conflict, NotFound, Unprocessable
from server.extensions import db
from server.notify.outbox import emit_event
from server.pagination import paginate_by_id
from server.points import ledger
from server.rewards.models import Offer, Redemption, RedemptionCounter
from server.rewards.periods import local_today, period_key
from server.rewards.service import offer_unavailable_reason
from server.rewards.settings import setting
from server.rewards.windows import require_open

PERIOD_WORDS = {"month": "本月", "quarter": "本季度"}
PERIOD_NAMES = {"month": "每月", "quarter": "每季度"}


class RedemptionStateError(Conflict):
    """The redemption is no longer reserved; `code` says what it became."""


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


def expiry_days() -> int:
    return int(setting("REDEMPTION_EXPIRY_DAYS"))


def _insert_ignore(model):
    """INSERT ... ON CONFLICT DO NOTHING for the running dialect."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def state_error(r: Redemption, now: datetime) -> RedemptionStateError:
    """The refusal for acting on a redemption that is no longer reservable."""
    if r.status == "redeemed":
        return RedemptionStateError(
            "该兑换已核销", code="already_redeemed", details={"status": r.status}
        )
    if r.status == "cancelled":
        return RedemptionStateError(
            "该兑换已取消", code="redemption_cancelled", details={"status": r.status}
        )
    return RedemptionStateError(
        "该兑换已过期，积分已退回", code="redemption_expired", details={"status": "expired"}
    )


def _existing_for_key(user: User, client_key: str, offer_id: int) -> Redemption | None:
    existing = db.session.scalar(
        select(Redemption).where(Redemption.user_id == user.id, Redemption.client_key == client_key)
    )
    if existing is not None and existing.offer_id != offer_id:
        raise Unprocessable(
            "该请求标识已用于其他兑换",
            code="idempotency_key_reused",
            details={"offer_id": offer_id},
        )
    return existing


def reserve(
    user: User, offer_id: int, *, client_key: str | None = None, now: datetime | None = None
) -> tuple[Redemption, bool]:
    """Reserve one unit of an offer: hold the points, take stock and a limit slot atomically.

    Returns the redemption and whether it was created (False: replay of the same
    Idempotency-Key, which answers with the first result and changes nothing).
    """
    now = now or utcnow()
    membership = require_membership(user)
    if client_key:
        existing = _existing_for_key(user, client_key, offer_id)
        if existing is not None:
            return existing, False
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.community_id != membership.community_id:
        raise NotFound("兑换商品不存在", code="offer_not_found")
    today = local_today(now)
    reason = offer_unavailable_reason(offer, today)
    if reason is not None:
        raise Conflict(reason[1], code=reason[0])
    require_open(offer.community_id, today)
    if offer.stock <= 0:  # a fast refusal; the conditional UPDATE below is the guard
        raise Conflict("该商品已兑完", code="out_of_stock")
    account = ledger.account_for_user(offer.community_id, user.id)
    if account.balance - account.held < offer.points_cost:
        raise ledger.InsufficientPoints(
            "可用积分不足",
            details={"needed": offer.points_cost, "available": account.balance - account.held},
        )

    redemption = Redemption(
        community_id=offer.community_id,
        user_id=user.id,
        offer_id=offer.id,
        merchant_id=offer.merchant_id,
        points=offer.points_cost,
        period_key=period_key(today, offer.limit_period),
        status="reserved",
        client_key=client_key,
        counted=bool(offer.limit_per_person),
        expires_at=now + timedelta(days=expiry_days()),
        created_at=now,
    )
    # The redemption row first: a concurrent double tap waits here on the unique key
    # before either request has locked any shared row.
    if client_key:
        try:
            with db.session.begin_nested():
                db.session.add(redemption)
        except IntegrityError:
            existing = _existing_for_key(user, client_key, offer_id)
            if existing is None:
                raise
            db.session.commit()
            return existing, False
    else:
        db.session.add(redemption)
        db.session.flush()

    if offer.limit_per_person:
        _take_limit_slot(user, offer, redemption.period_key)
    hold = ledger.hold(
        account,
        offer.points_cost,
        reason=f"兑换预约：{offer.title}",
        idempotency_key=f"redemption:{redemption.id}:hold",
        cause_type="redemption",
        cause_id=redemption.id,
        actor_id=user.id,
    )
    redemption.hold_id = hold.id
    taken = db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.stock > 0)
        .values(stock=Offer.stock - 1)
        .returning(Offer.stock)
        .execution_options(synchronize_session=False)
    ).first()
    if taken is None:
        raise Conflict("该商品已兑完", code="out_of_stock")
    db.session.expire(offer, ["stock"])
    emit_event(
        "redemption.reserved",
        aggregate_type="redemption",
        aggregate_id=redemption.id,
        community_id=offer.community_id,
        payload={
            "user_id": user.id,
            "offer_id": offer.id,
            "merchant_id": offer.merchant_id,
            "points": offer.points_cost,
            "expires_at": redemption.expires_at.isoformat(),
        },
    )
    db.session.commit()
    return redemption, True


def _take_limit_slot(user: User, offer: Offer, period: str) -> None:
    """Count this reservation against the person's limit; the row lock serialises one person."""
    db.session.execute(
        _insert_ignore(RedemptionCounter)
        .values(user_id=user.id, offer_id=offer.id, period_key=period, used=0)
        .on_conflict_do_nothing()
    )
    slot = db.session.execute(
        update(RedemptionCounter)
        .where(
            RedemptionCounter.user_id == user.id,
            RedemptionCounter.offer_id == offer.id,
            RedemptionCounter.period_key == period,
            RedemptionCounter.used < offer.limit_per_person,
        )
        .values(used=RedemptionCounter.used + 1)
        .returning(RedemptionCounter.used)
        .execution_options(synchronize_session=False)
    ).first()
    if slot is None:
        limit, words = offer.limit_per_person, PERIOD_WORDS[offer.limit_period]
        raise Conflict(
            f"该商品{PERIOD_NAMES[offer.limit_period]}每人限兑{limit}次，您{words}已达上限",
            code="limit_reached",
            details={"limit": limit, "period": offer.limit_period, "period_key": period},
        )


def close(r: Redemption, status: str, *, reason: str, actor_id: int | None, now: datetime) -> None:
    """Move a reserved redemption to cancelled or expired and give back what it took."""
    where = [Redemption.id == r.id, Redemption.status == "reserved"]
    if status == "expired":
        where.append(Redemption.expires_at <= now)
    won = db.session.execute(
        update(Redemption)
        .where(*where)
        .values(status=status, closed_at=now)
        .returning(Redemption.id)
        .execution_options(synchronize_session=False)
    ).first()
    if won is None:
        db.session.refresh(r)
        raise state_error(r, now)
    db.session.expire(r)
    if r.counted:
        db.session.execute(
            update(RedemptionCounter)
            .where(
                RedemptionCounter.user_id == r.user_id,
                RedemptionCounter.offer_id == r.offer_id,
                RedemptionCounter.period_key == r.period_key,
                RedemptionCounter.used > 0,
            )
            .values(used=RedemptionCounter.used - 1)
            .execution_options(synchronize_session=False)
        )
    ledger.release(r.hold_id, reason=reason, actor_id=actor_id)
    db.session.execute(
        update(Offer)
        .where(Offer.id == r.offer_id)
        .values(stock=Offer.stock + 1)
        .execution_options(synchronize_session=False)
    )
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


def cancel(user: User, redemption_id: int, *, now: datetime | None = None) -> Redemption:
    """The resident cancels before verification: points released, stock and limit restored."""
    now = now or utcnow()
    r = own_redemption(user, redemption_id)
    if r.status == "redeemed":
        raise RedemptionStateError(
            "该兑换已核销，不能取消", code="already_redeemed", details={"status": r.status}
        )
    close(r, "cancelled", reason=f"取消兑换：{r.offer.title}", actor_id=user.id, now=now)
    db.session.commit()
    return r


def expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Release every reservation past its expiry; safe beside verification and a second run."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Redemption.id)
            .where(Redemption.status == "reserved", Redemption.expires_at <= now)
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

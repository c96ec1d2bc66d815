"""Reserving, cancelling and expiring redemptions: points held, stock and limits taken at once.

Lock order in every writer is the same (redemption row, per-person counter, hold and account,
offer last), so reserve, cancel, expiry and verification never deadlock one another on
PostgreSQL; the offer row is the one every resident shares, so it is locked last and held for
the shortest time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select, update

from server.auth.authz import NotAMember
from server.auth.models import User
from server.auth.tokens import TokenInvalid
from server.db.session import db
from server.db.types import MAX_ID, utcnow
from server.http.errors import AppError, Conflict, NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.notify.outbox import emit_event
from server.platform import profile_versions
from server.platform.localtime import local_today
from server.points import ledger
from server.rewards import reserve_at_once
from server.rewards.hot_statements import event_params, hot, run
from server.rewards.models import Offer, Redemption, RedemptionCounter
from server.rewards.periods import period_key
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


@dataclass(frozen=True, slots=True)
class Reservation:
    """A redemption as its owner sees it, built from values already known (nothing reloaded)."""

    id: int
    offer_id: int
    offer_title: str
    offer_image_url: str | None
    merchant_id: int
    merchant_name: str
    merchant_address: str
    points: int
    status: str
    created_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    closed_at: datetime | None
    period_key: str

    def view(self) -> dict:
        """The same dict redemption_view gives for this redemption."""
        return {
            "id": self.id,
            "offer_id": self.offer_id,
            "offer_title": self.offer_title,
            "offer_image_url": self.offer_image_url,
            "merchant_id": self.merchant_id,
            "merchant_name": self.merchant_name,
            "merchant_address": self.merchant_address,
            "points": self.points,
            "status": self.status,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "redeemed_at": self.redeemed_at,
            "closed_at": self.closed_at,
        }


def _reserve_context(conn, st, params: dict):
    """The reserve context row of an active member (else 401 or 403, like current_user).

    On PostgreSQL the new redemption is inserted in the same round trip (new_id, see
    hot_statements._reserve_inserting); the checks below and in reserve still decide, and a
    refusal rolls it back.
    """
    if st.reserve_inserting is None:
        row = conn.execute(st.reserve_context, params).one_or_none()
    else:
        row = conn.execute(st.reserve_inserting, params).one_or_none()
    if row is None or not row.is_active:
        raise TokenInvalid()
    if row.member_community_id is None:
        raise NotAMember()
    return row


def _check_same_offer(earlier_offer_id: int, offer_id: int) -> None:
    if earlier_offer_id != offer_id:
        raise Unprocessable(
            "该请求标识已用于其他兑换",
            code="idempotency_key_reused",
            details={"offer_id": offer_id},
        )


def _reservation_for_key(conn, st, user_id: int, client_key: str, offer_id: int) -> Reservation:
    """The reservation an Idempotency-Key already made, for replaying its first answer."""
    row = conn.execute(
        st.reservation_by_key, {"p_user_id": user_id, "p_client_key": client_key}
    ).one()
    _check_same_offer(row.offer_id, offer_id)
    return Reservation(**row._mapping)


def _offer_rules(row) -> SimpleNamespace:
    """The fields offer_unavailable_reason reads, from the reserve context row."""
    return SimpleNamespace(
        merchant=SimpleNamespace(status=row.merchant_status),
        active=row.active,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


def _check_reservable(offer, today) -> None:
    """Refuse an offer the caller cannot reserve today, in the order residents are told."""
    if offer.offer_id is None or offer.community_id != offer.member_community_id:
        raise NotFound("兑换商品不存在", code="offer_not_found")
    reason = offer_unavailable_reason(_offer_rules(offer), today)
    if reason is not None:
        raise Conflict(reason[1], code=reason[0])
    if offer.has_windows:  # no window rows at all: always open, nothing more to read
        require_open(offer.community_id, today)
    if offer.stock <= 0:  # a fast refusal; the conditional UPDATE below is the guard
        raise Conflict("该商品已兑完", code="out_of_stock")


def _covering_account(offer, user_id: int) -> int:
    """The caller's account id, refusing when its available points do not cover the offer."""
    if offer.account_id is None:  # first use in this community: create it, as before
        account = ledger.account_for_user(offer.community_id, user_id)
        account_id, available = account.id, account.balance - account.held
    else:
        account_id, available = offer.account_id, offer.balance - offer.held
    if available < offer.points_cost:
        raise ledger.InsufficientPoints(
            "可用积分不足", details={"needed": offer.points_cost, "available": available}
        )
    return account_id


def reserve(
    user: User | int,
    offer_id: int,
    *,
    client_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Reservation, bool]:
    """Reserve one unit of an offer: hold the points, take stock and a limit slot atomically.

    `user` is the caller or their id (checked active here, like current_user). Returns the
    reservation and whether it was created (False: replay of the same Idempotency-Key, which
    answers with the first result and changes nothing).
    """
    user_id = user if isinstance(user, int) else user.id
    now = now or utcnow()
    if not db.session().in_transaction() and db.engine.dialect.name == "postgresql":
        made = _reserve_at_once(user_id, offer_id, client_key, now)
        if made is not None:
            return made, True
    try:
        return _reserve(user_id, offer_id, client_key, now)
    except Exception:
        # On PostgreSQL the redemption row is written before the checks run: a refusal must
        # leave nothing behind for whoever commits the session next, not only for HTTP.
        db.session.rollback()
        raise


def _reserve_at_once(user_id: int, offer_id: int, client_key: str | None, now: datetime):
    """The whole reservation as one autocommit statement; None: the transactional path decides.

    Only when the session has no transaction open (every request): in a caller's transaction
    the transactional path runs, which sees the caller's uncommitted rows.
    """
    if not 0 < offer_id <= MAX_ID:
        return None  # cannot exist; the transactional path answers 404
    params = at_once_params(user_id, offer_id, client_key, now)
    row = reserve_at_once.run(params)
    if row is None:
        return None
    # The held points show on GET /me: the commit happened outside the session, so bump now.
    profile_versions.bump_now(user_id)
    return _reservation(row.new_id, row, now, params["p_expires_at"], row.period_key)


def at_once_params(user_id: int, offer_id: int, client_key: str | None, now: datetime) -> dict:
    """The binds of reserve_at_once's statement for a reservation made at `now`."""
    today = local_today(now)
    expires_at = now + timedelta(days=expiry_days())
    return {
        "p_user_id": user_id,
        "p_offer_id": offer_id,
        "p_client_key": client_key,
        "p_month_key": period_key(today, "month"),
        "p_quarter_key": period_key(today, "quarter"),
        "p_today": today,
        "p_now": now,
        "p_expires_at": expires_at,
        "p_expires_iso": expires_at.isoformat(),
    }


def _reservation(rid: int, offer, now: datetime, expires_at: datetime, period: str):
    """A new reservation from the offer's row (the context row, or the statement's row)."""
    return Reservation(
        id=rid,
        offer_id=offer.offer_id,
        offer_title=offer.title,
        offer_image_url=offer.image_url,
        merchant_id=offer.merchant_id,
        merchant_name=offer.merchant_name,
        merchant_address=offer.merchant_address,
        points=offer.points_cost,
        status="reserved",
        created_at=now,
        expires_at=expires_at,
        redeemed_at=None,
        closed_at=None,
        period_key=period,
    )


def _reserve(user_id: int, offer_id: int, client_key: str | None, now: datetime):
    conn, st = hot()
    today = local_today(now)
    expires_at = now + timedelta(days=expiry_days())
    # The redemption row first: a concurrent double tap waits on its unique key before either
    # request has locked any shared row. On PostgreSQL it is inserted with the context read.
    offer = _reserve_context(
        conn,
        st,
        {
            "p_user_id": user_id,
            "p_offer_id": offer_id,
            "p_client_key": client_key,
            "p_month_key": period_key(today, "month"),
            "p_quarter_key": period_key(today, "quarter"),
            "p_expires_at": expires_at,
            "p_created_at": now,
        },
    )
    if offer.earlier_offer_id is not None:
        _check_same_offer(offer.earlier_offer_id, offer_id)
        return _reservation_for_key(conn, st, user_id, client_key, offer_id), False
    _check_reservable(offer, today)
    account_id = _covering_account(offer, user_id)

    values = {
        "community_id": offer.community_id,
        "user_id": user_id,
        "offer_id": offer.offer_id,
        "merchant_id": offer.merchant_id,
        "points": offer.points_cost,
        "period_key": period_key(today, offer.limit_period),
        "status": "reserved",
        "client_key": client_key,
        "counted": bool(offer.limit_per_person),
        "expires_at": expires_at,
        "created_at": now,
    }
    if st.reserve_inserting is None:
        rid = conn.execute(st.insert_redemption, values).scalar_one_or_none()
    else:
        rid = offer.new_id  # the same values, inserted with the context
    if rid is None:  # the key's first request committed meanwhile: replay its answer
        existing = _reservation_for_key(conn, st, user_id, client_key, offer_id)
        db.session.commit()
        return existing, False

    if offer.limit_per_person:
        _take_limit_slot(conn, st, user_id, offer, values["period_key"])
    hold = ledger.hold(
        account_id,
        offer.points_cost,
        reason=f"兑换预约：{offer.title}",
        idempotency_key=f"redemption:{rid}:hold",
        cause_type="redemption",
        cause_id=rid,
        actor_id=user_id,
    )
    # Link the hold, take the stock (the shared offer row last) and record the event.
    event = event_params(
        "redemption.reserved",
        aggregate_type="redemption",
        aggregate_id=rid,
        community_id=offer.community_id,
        payload={
            "user_id": user_id,
            "offer_id": offer.offer_id,
            "merchant_id": offer.merchant_id,
            "points": offer.points_cost,
            "expires_at": values["expires_at"].isoformat(),
        },
    )
    params = {
        "p_id": rid,
        "p_hold_id": hold.id,
        "p_offer_id": offer.offer_id,
        "p_updated_at": utcnow(),
        **event,
    }
    if run(conn, st.finish_reserve, params).first() is None:
        raise Conflict("该商品已兑完", code="out_of_stock")
    db.session.commit()
    return _reservation(rid, offer, now, values["expires_at"], values["period_key"]), True


def _take_limit_slot(conn, st, user_id: int, offer, period: str) -> None:
    """Count this reservation against the person's limit; the row lock serialises one person."""
    params = {
        "p_user_id": user_id,
        "p_offer_id": offer.offer_id,
        "p_period_key": period,
        "p_limit": offer.limit_per_person,
    }
    if conn.execute(st.take_limit_slot, params).first() is None:
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

"""Reserving a reward: points held, a limit slot and one unit of stock taken in one transaction.

Lock order in every writer is the same - the redemption row, the per-person counter, the hold
and its account, the shared offer row last - so reserve, cancel, expiry and verification never
deadlock one another on PostgreSQL; the offer row is the one every resident shares, so it is
locked last and held for the shortest time. Cancel and expiry are in server/rewards/closing.py,
verification in server/rewards/verify.py.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.auth.models import User
from server.auth.tokens import TokenInvalid
from server.community.acting import record_act
from server.community.authz import NotAMember
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError, Conflict, NotFound, Unprocessable
from server.outbox.emit import emit_event
from server.platform.localtime import local_today
from server.points import ledger
from server.rewards import gates
from server.rewards.periods import period_key
from server.rewards.redemption_queries import session_queries
from server.rewards.settings import setting

PERIOD_WORDS = {"month": "本月", "quarter": "本季度"}
PERIOD_NAMES = {"month": "每月", "quarter": "每季度"}


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
        """The same dict closing.redemption_view gives for this redemption."""
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


def expiry_days() -> int:
    return int(setting("REDEMPTION_EXPIRY_DAYS"))


def reserve(
    user: User | int,
    offer_id: int,
    *,
    client_key: str | None = None,
    now: datetime | None = None,
    acted_by: int | None = None,
) -> tuple[Reservation, bool]:
    """Reserve one unit of an offer: hold the points, take a limit slot and stock, atomically.

    `user` is the caller or their id (checked active here, like current_user). Returns the
    reservation and whether it was created (False: a replay of the same Idempotency-Key, which
    answers with the first reservation and changes nothing). Commits; any refusal rolls the
    whole reservation back and says why. `acted_by`: who reserves for a card holder (recorded).
    """
    user_id = user if isinstance(user, int) else user.id
    try:
        return _reserve(user_id, offer_id, client_key, now or utcnow(), acted_by)
    except Exception:
        db.session.rollback()
        raise


def _reserve(user_id: int, offer_id: int, client_key: str | None, now: datetime, acted_by=None):
    conn, q = session_queries()
    today = local_today(now)
    offer = _context(conn, q, user_id, offer_id)
    expires_at = now + timedelta(days=expiry_days())
    period = period_key(today, offer.limit_period)
    # The redemption row first: a double tap waits on its unique key before either request
    # has locked any shared row, then replays the first answer.
    made = conn.execute(
        q.insert_redemption,
        {
            "community_id": offer.community_id,
            "user_id": user_id,
            "offer_id": offer.offer_id,
            "merchant_id": offer.merchant_id,
            "points": offer.points_cost,
            "period_key": period,
            "client_key": client_key,
            "counted": bool(offer.limit_per_person),
            "expires_at": expires_at,
            "created_at": now,
        },
    ).first()
    if made is None:
        return _replay(conn, q, user_id, client_key, offer_id), False
    rid = made.id
    if offer.limit_per_person:
        _take_limit_slot(conn, q, user_id, offer, period, today)
    _hold_and_take_stock(conn, q, offer, user_id, rid, today)
    emit_event(
        "redemption.reserved",
        aggregate_type="redemption",
        aggregate_id=rid,
        community_id=offer.community_id,
        payload={
            "user_id": user_id,
            "offer_id": offer.offer_id,
            "merchant_id": offer.merchant_id,
            "points": offer.points_cost,
            "expires_at": expires_at.isoformat(),
        },
    )
    if acted_by is not None:
        record_act(acted_by, user_id, "redemption.reserve", "redemption", rid)
    db.session.commit()
    reservation = Reservation(
        id=rid,
        offer_id=offer.offer_id,
        offer_title=offer.title,
        offer_image_url=offer.image_url,
        merchant_id=offer.merchant_id,
        merchant_name=offer.merchant_name,
        merchant_address=offer.merchant_address,
        points=offer.points_cost,
        status=made.status,
        created_at=now,
        expires_at=expires_at,
        redeemed_at=None,
        closed_at=None,
        period_key=period,
    )
    return reservation, True


def _context(conn, q, user_id: int, offer_id: int):
    """The caller (401 when inactive, 403 outside any community) and the offer in their
    community (404 otherwise: another community's offers do not exist for them)."""
    row = conn.execute(q.reserve_context, {"p_user_id": user_id, "p_offer_id": offer_id}).first()
    if row is None or not row.is_active:
        raise TokenInvalid()
    if row.member_community_id is None:
        raise NotAMember()
    if row.offer_id is None or row.community_id != row.member_community_id:
        raise NotFound("兑换商品不存在", code="offer_not_found")
    return row


def _replay(conn, q, user_id: int, client_key: str, offer_id: int) -> Reservation:
    """The reservation this Idempotency-Key already made, as it is now; nothing is written."""
    params = {"p_user_id": user_id, "p_client_key": client_key}
    row = conn.execute(q.reservation_by_key, params).mappings().one()
    db.session.rollback()  # end the transaction: a replay keeps nothing
    if row["offer_id"] != offer_id:
        raise Unprocessable(
            "该请求标识已用于其他兑换",
            code="idempotency_key_reused",
            details={"offer_id": offer_id},
        )
    return Reservation(**row)


def _refusal(offer_id: int, today, own: AppError | None = None) -> AppError:
    """Why a step refused: the offer's own state first (not reservable, out of stock), in the
    order residents are told, else the step's refusal (`own`)."""
    why = gates.why_not_reservable(offer_id, today)
    if why is not None:
        return why
    # The gate refused but the offer reads as reservable again (stock returned meanwhile).
    return own or Conflict("该商品已兑完", code="out_of_stock")


def _take_limit_slot(conn, q, user_id: int, offer, period: str, today) -> None:
    """Count this reservation against the person's limit; the row lock serialises one person."""
    params = {
        "p_user_id": user_id,
        "p_offer_id": offer.offer_id,
        "p_period_key": period,
        "p_limit": offer.limit_per_person,
    }
    if conn.execute(q.take_limit_slot, params).first() is None:
        limit, words = offer.limit_per_person, PERIOD_WORDS[offer.limit_period]
        raise _refusal(
            offer.offer_id,
            today,
            Conflict(
                f"该商品{PERIOD_NAMES[offer.limit_period]}每人限兑{limit}次，您{words}已达上限",
                code="limit_reached",
                details={"limit": limit, "period": offer.limit_period, "period_key": period},
            ),
        )


def _hold_and_take_stock(conn, q, offer, user_id: int, rid: int, today) -> None:
    """Hold the offer's points on the caller's account (made on first use in a community),
    then take one unit of stock, the shared offer row last, through both gates (reservable
    today, stock never below zero), and link the redemption to its hold.

    PostgreSQL runs the three as one statement (ledger.hold_then); elsewhere one by one.
    """
    account_id = offer.account_id
    if account_id is None:
        account_id = ledger.account_for_user(offer.community_id, user_id).id
    hold = {
        "reason": f"兑换预约：{offer.title}",
        "idempotency_key": f"redemption:{rid}:hold",
        "cause_type": "redemption",
        "cause_id": rid,
        "actor_id": user_id,
    }
    try:
        if ledger.fused_writes(conn):
            params = {"p_offer_id": offer.offer_id, "p_delta": -1, "p_today": today, "p_id": rid}
            row = ledger.hold_through(
                conn, q.hold_and_take, params, account_id, offer.points_cost, **hold
            )
            taken = row.passed
        else:
            held = ledger.hold(account_id, offer.points_cost, **hold)
            taken = gates.change_stock(offer.offer_id, -1, reservable_on=today)
            if taken is not None:
                conn.execute(q.link_hold, {"p_id": rid, "p_hold_id": held.id})
    except ledger.InsufficientPoints as refused:
        available = refused.details.get("available")
        raise _refusal(
            offer.offer_id,
            today,
            ledger.InsufficientPoints(
                "可用积分不足", details={"needed": offer.points_cost, "available": available}
            ),
        ) from None
    if taken is None:
        raise _refusal(offer.offer_id, today)

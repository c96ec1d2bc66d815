"""The redemption rules, one SQL predicate each (docs/architecture.md, "one gate per rule").

Each rule that decides a write is built here once with SQLAlchemy Core and used by both
databases inside a conditional write: the write's WHERE is the rule, so under concurrency the
database decides (on PostgreSQL under READ COMMITTED the WHERE is re-checked on the row a
concurrent writer just committed). When a gate refuses, a `why_not_*` function reads the state
only to tell the resident or the staff member why, with the codes and messages the
mini-program maps.

- offer reservable now: `offer_reservable(today)` (`offer_on_offer(today)` and the window
  open), explained by `why_not_reservable`;
- stock never below zero: `stock_never_negative(delta)`, written through `change_stock`;
- verifiable once: `verifiable(now)`; still reserved (cancel): `still_reserved()`; due for
  expiry: `due_for_expiry(now)`; all explained by `why_not_verifiable`.
"""

from datetime import date
from functools import cache

from sqlalchemy import Date, Integer, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from server.community.models import Merchant
from server.db.session import db
from server.http.errors import AppError, Conflict, NotFound
from server.platform.masking import mask_name
from server.rewards.models import Offer, Redemption, RedemptionWindow
from server.rewards.periods import chinese_date

OFFERS = Offer.__table__
MERCHANTS = Merchant.__table__
WINDOWS = RedemptionWindow.__table__
REDEMPTIONS = Redemption.__table__

# The status a reservation has until it is verified, cancelled or expired.
RESERVED = "reserved"


class RedemptionStateError(Conflict):
    """The redemption is no longer reserved (or past its expiry); `code` says what it became."""


# ---------------------------------------------------------------- offer reservable now


def window_covers(today) -> ColumnElement[bool]:
    """A redemption window (a row of redemption_windows) that includes `today`."""
    return and_(WINDOWS.c.starts_on <= today, WINDOWS.c.ends_on >= today)


def window_open(community_id, today) -> ColumnElement[bool]:
    """Reserving is open in the community: it has no windows at all, or one covers today."""
    of_community = WINDOWS.c.community_id == community_id
    return or_(~exists().where(of_community), exists().where(of_community, window_covers(today)))


def _reservable_parts(today) -> dict[str, ColumnElement[bool]]:
    """The parts of "reservable now", each named for the refusal it causes, in the order
    residents are told (the first part that fails is the reason)."""
    o = OFFERS.c
    return {
        "merchant_unavailable": exists().where(
            MERCHANTS.c.id == o.merchant_id, MERCHANTS.c.status == "approved"
        ),
        "offer_inactive": o.active.is_(True),
        "offer_not_started": or_(o.valid_from.is_(None), o.valid_from <= today),
        "offer_ended": or_(o.valid_until.is_(None), o.valid_until >= today),
        "redemption_window_closed": window_open(o.community_id, today),
    }


def offer_on_offer(today) -> ColumnElement[bool]:
    """An offer (a row of offers) residents see in the catalogue on `today`: active, its
    merchant approved, valid around today. Outside a redemption window it is still shown (with
    the window's state), so residents know what they are saving for."""
    parts = _reservable_parts(today)
    del parts["redemption_window_closed"]
    return and_(*parts.values())


def offer_reservable(today) -> ColumnElement[bool]:
    """An offer residents may reserve on `today` (a date or a bind): on offer, and the
    community's redemption window open."""
    return and_(*_reservable_parts(today).values())


def why_not_reservable(offer_id: int, today: date) -> AppError | None:
    """Why reserving one unit of the offer is refused today, or None if it no longer is.

    Reads the state after a gate refused (offer_reservable, or the stock), evaluating the
    same parts in SQL, and picks the first that fails.
    """
    parts = _reservable_parts(today)
    row = db.session.execute(
        select(
            OFFERS.c.community_id,
            OFFERS.c.valid_from,
            *(part.label(code) for code, part in parts.items()),
            stock_never_negative(-1).label("in_stock"),
        ).where(OFFERS.c.id == offer_id)
    ).first()
    if row is None:
        return NotFound("兑换商品不存在", code="offer_not_found")
    failed = next((code for code in parts if not getattr(row, code)), None)
    if failed == "redemption_window_closed":
        return _window_closed(row.community_id, today)
    if failed is not None:
        return Conflict(_REFUSALS[failed](row), code=failed)
    if not row.in_stock:
        return Conflict("该商品已兑完", code="out_of_stock")
    return None


_REFUSALS = {
    "merchant_unavailable": lambda row: "该商家暂停兑换",
    "offer_inactive": lambda row: "该商品已下架",
    "offer_not_started": lambda row: f"该商品将于{row.valid_from.isoformat()}开始兑换",
    "offer_ended": lambda row: "该商品兑换已结束",
}


def _window_closed(community_id: int, today: date) -> Conflict:
    """The closed-window refusal, saying when the next window opens."""
    nxt = db.session.scalar(
        select(func.min(WINDOWS.c.starts_on)).where(
            WINDOWS.c.community_id == community_id, WINDOWS.c.starts_on > today
        )
    )
    if nxt is not None:
        message = f"当前不在兑换时间内，下次兑换将于{chinese_date(nxt)}开放"
    else:
        message = "当前不在兑换时间内，暂无已安排的兑换时间，请留意社区通知"
    return Conflict(
        message,
        code="redemption_window_closed",
        details={"next_opens_on": nxt.isoformat() if nxt else None},
    )


# ---------------------------------------------------------------- stock never below zero


def stock_never_negative(delta) -> ColumnElement[bool]:
    """Changing an offer's stock by `delta` leaves it at zero or more (the CHECK's rule)."""
    return OFFERS.c.stock + delta >= 0


@cache
def stock_change_statement(kind: str):
    """UPDATE of one offer's stock by :p_delta under the gate; `kind` adds the reservable gate
    ("take") or an upper bound ("bounded"). Built once per kind."""
    delta = bindparam("p_delta", type_=Integer)
    where = [OFFERS.c.id == bindparam("p_offer_id"), stock_never_negative(delta)]
    if kind == "take":
        where.append(offer_reservable(bindparam("p_today", type_=Date)))
    elif kind == "bounded":
        where.append(OFFERS.c.stock + delta <= bindparam("p_max", type_=Integer))
    stock = OFFERS.c.stock
    return update(OFFERS).where(*where).values(stock=stock + delta).returning(stock)


def change_stock(
    offer_id: int, delta: int, *, reservable_on: date | None = None, at_most: int | None = None
) -> int | None:
    """Move an offer's stock by `delta` in the session's transaction; the new stock, or None
    when the gate refused (it would go below zero, above `at_most`, or, with `reservable_on`,
    the offer is not reservable that day)."""
    params = {"p_offer_id": offer_id, "p_delta": delta}
    kind = "plain"
    if reservable_on is not None:
        kind, params["p_today"] = "take", reservable_on
    elif at_most is not None:
        kind, params["p_max"] = "bounded", at_most
    return (
        db.session.connection().execute(stock_change_statement(kind), params).scalar_one_or_none()
    )


# ---------------------------------------------------------------- verifiable once


def still_reserved() -> ColumnElement[bool]:
    """A redemption (a row of redemptions) not yet verified, cancelled or expired."""
    return REDEMPTIONS.c.status == RESERVED


def verifiable(now) -> ColumnElement[bool]:
    """A redemption staff may verify at `now` (a datetime or a bind): still reserved and not
    past its expiry. The WHERE of the one UPDATE that marks it redeemed: exactly once."""
    return and_(still_reserved(), REDEMPTIONS.c.expires_at > now)


def due_for_expiry(now) -> ColumnElement[bool]:
    """A redemption the expiry job releases at `now`: still reserved and past its expiry."""
    return and_(still_reserved(), REDEMPTIONS.c.expires_at <= now)


# What a resident (their code, their cancel) or a staff member (preview, verify) is told
# about a redemption that is already verified.
_REDEEMED = {
    "staff": "该兑换已核销，请勿重复核销",
    "resident": "该兑换已核销",
    "cancel": "该兑换已核销，不能取消",
}


def why_not_verifiable(
    r, *, told: str = "staff", verifier_name: str | None = None
) -> RedemptionStateError:
    """Why a redemption the gate refused cannot be verified (or shown, or cancelled).

    `r` has id, status, redeemed_at and redeemed_by. Staff hear when and by whom (masked) it
    was verified; residents, its status.
    """
    if r.status == "redeemed":
        details = {"status": r.status}
        if told == "staff":
            details = {
                "redemption_id": r.id,
                "redeemed_at": r.redeemed_at.isoformat() if r.redeemed_at else None,
                "redeemed_by": mask_name(verifier_name) if verifier_name else None,
                "redeemed_by_id": r.redeemed_by,
            }
        return RedemptionStateError(_REDEEMED[told], code="already_redeemed", details=details)
    if r.status == "cancelled":
        return RedemptionStateError(
            "该兑换已取消", code="redemption_cancelled", details={"status": r.status}
        )
    # Expired by the job, or still reserved but past its expiry: the same to everyone.
    return RedemptionStateError(
        "该兑换已过期，积分已退回", code="redemption_expired", details={"status": "expired"}
    )

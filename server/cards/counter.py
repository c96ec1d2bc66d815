"""Redeeming with a card at a counter (积分超市 or a partner shop).

Staff scan the card; the holder types their PIN; then either a reward is reserved and
verified at once, or a reservation made for the holder earlier is verified. Both go through
the rewards services a phone's code uses - `reserve` and `verify` with a code signed here for
that redemption - so the hold, the stock and the exactly-once verification are the same
rules; the act is recorded as done by the staff member for the holder.
"""

from sqlalchemy import select

from server.auth.models import User
from server.cards.cards import scanned_holder
from server.cards.pins import verify_pin
from server.community.authz import grants_of
from server.db.session import db, get_by_id
from server.http.errors import NotFound, Unprocessable
from server.platform.masking import mask_name
from server.points.ledger import find_account
from server.rewards.codes import sign_code
from server.rewards.merchants import staff_merchant
from server.rewards.models import Offer, Redemption
from server.rewards.redemption import reserve
from server.rewards.verify import NotMerchantStaff, preview_view, verify

MAX_LISTED = 20


def _require_counter_staff(staff: User) -> None:
    """Someone who staffs no merchant hears first that only staff take cards."""
    if not any(g.role == "merchant_staff" for g in grants_of(staff)):
        raise NotMerchantStaff("只有商家店员可以刷积分卡")


def _counter(staff: User, merchant_id: int | None):
    """The merchant whose counter this is."""
    _require_counter_staff(staff)
    return staff_merchant(staff, merchant_id)


def _reservations(holder_id: int, merchant_id: int) -> list[dict]:
    rows = db.session.execute(
        select(Redemption, Offer.title)
        .join(Offer, Offer.id == Redemption.offer_id)
        .where(
            Redemption.user_id == holder_id,
            Redemption.merchant_id == merchant_id,
            Redemption.status == "reserved",
        )
        .order_by(Redemption.id)
        .limit(MAX_LISTED)
    ).all()
    return [
        {"id": r.id, "offer_title": title, "points": r.points, "expires_at": r.expires_at}
        for r, title in rows
    ]


def scan_card(staff: User, qr: str, merchant_id: int | None = None) -> dict:
    """Who the card belongs to (masked), whether it is locked, what they can spend and the
    reservations waiting at this merchant. Nothing is spent without the PIN."""
    merchant = _counter(staff, merchant_id)
    holder = scanned_holder(qr, merchant.community_id)
    user = db.session.get(User, holder.user_id)
    account = find_account(holder.community_id, "user", holder.user_id)
    return {
        "holder_name": mask_name(user.real_name),
        "merchant_id": merchant.id,
        "locked": holder.locked_at is not None,
        "available": account.available if account else 0,
        "reservations": _reservations(holder.user_id, merchant.id),
    }


def redeem_with_card(
    staff: User,
    qr: str,
    pin: str,
    *,
    offer_id: int | None = None,
    redemption_id: int | None = None,
    client_key: str | None = None,
) -> dict:
    """Verify the PIN, then redeem an offer now or a waiting reservation, exactly once."""
    _require_counter_staff(staff)
    if (offer_id is None) == (redemption_id is None):
        raise Unprocessable("请选择兑换的商品或预约", code="offer_or_redemption_required")
    if offer_id is not None:
        offer = get_by_id(Offer, offer_id)
        if offer is None:
            raise NotFound("商品不存在", code="offer_not_found")
        merchant_id = offer.merchant_id
    else:
        redemption = get_by_id(Redemption, redemption_id)
        if redemption is None:
            raise NotFound("预约不存在", code="redemption_not_found")
        merchant_id = redemption.merchant_id
    merchant = _counter(staff, merchant_id)
    holder = scanned_holder(qr, merchant.community_id)
    if redemption_id is not None and redemption.user_id != holder.user_id:
        raise NotFound("预约不存在", code="redemption_not_found")
    staff_id, holder_id = staff.id, holder.user_id
    verify_pin(holder, pin, merchant.id)
    if offer_id is not None:
        reservation, _created = reserve(
            holder_id, offer_id, client_key=client_key, acted_by=staff_id
        )
        redemption_id = reservation.id
    return preview_view(verify(staff_id, sign_code(redemption_id)["token"], by_card=True))

"""Offers: the reward catalogue, its stock and what residents can reserve now."""

from datetime import date, datetime

from sqlalchemy import select

from server.auth.models import User
from server.community.authz import require_membership
from server.community.models import Merchant
from server.db.audit import jsonable, record_audit
from server.db.session import db
from server.http.errors import Conflict, NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.platform.localtime import local_today
from server.rewards import (
    gates,
    offer_images,  # noqa: F401  (registers who may see offer pictures)
)
from server.rewards.merchants import get_merchant, is_merchant_manager, require_merchant_manager
from server.rewards.models import Offer

OFFER_FIELDS = (
    "title",
    "description",
    "image_url",
    "points_cost",
    "limit_per_person",
    "limit_period",
    "valid_from",
    "valid_until",
    "active",
)
MAX_STOCK = 1_000_000


def offer_view(offer: Offer) -> dict:
    return {
        "id": offer.id,
        "community_id": offer.community_id,
        "merchant_id": offer.merchant_id,
        "merchant_name": offer.merchant.name,
        "merchant_kind": offer.merchant.kind,
        "title": offer.title,
        "description": offer.description,
        "image_url": offer.image_url,
        "points_cost": offer.points_cost,
        "stock": offer.stock,
        "limit_per_person": offer.limit_per_person,
        "limit_period": offer.limit_period,
        "valid_from": offer.valid_from,
        "valid_until": offer.valid_until,
        "active": offer.active,
        "created_at": offer.created_at,
        "updated_at": offer.updated_at,
    }


def _check_dates(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from and valid_until and valid_until < valid_from:
        raise Unprocessable("截止日期不能早于开始日期", code="offer_ends_before_start")


def create_offer(actor: User, merchant_id: int, data: dict) -> Offer:
    """Add an offer to a merchant (its staff or a community admin; audited)."""
    merchant = get_merchant(merchant_id)
    require_merchant_manager(actor, merchant)
    offer = add_offer(merchant, actor.id, data)
    db.session.commit()
    return offer


def add_offer(merchant: Merchant, actor_id: int | None, data: dict) -> Offer:
    """create_offer's rule in the caller's transaction (the set-up import uses it too)."""
    _check_dates(data.get("valid_from"), data.get("valid_until"))
    offer = Offer(
        community_id=merchant.community_id,
        merchant_id=merchant.id,
        stock=data.get("stock", 0),
        **{k: data[k] for k in OFFER_FIELDS if k in data},
    )
    if offer.title is not None:
        offer.title = offer.title.strip()
    db.session.add(offer)
    db.session.flush()
    record_audit(
        actor_id=actor_id,
        action="offer.create",
        target_type="offer",
        target_id=offer.id,
        community_id=offer.community_id,
        after=jsonable(offer_view(offer)),
    )
    return offer


def get_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("兑换商品不存在", code="offer_not_found")
    return offer


def update_offer(actor: User, offer_id: int, changes: dict) -> Offer:
    """Change an offer; stock moves by `add_stock` so concurrent reservations are never lost."""
    offer = get_offer(offer_id)
    require_merchant_manager(actor, offer.merchant)
    _check_dates(
        changes.get("valid_from", offer.valid_from), changes.get("valid_until", offer.valid_until)
    )
    before = jsonable(offer_view(offer))
    add_stock = changes.pop("add_stock", 0) or 0
    if add_stock:
        if gates.change_stock(offer.id, add_stock, at_most=MAX_STOCK) is None:
            raise Conflict(
                "库存调整后不能小于 0", code="stock_out_of_range", details={"stock": offer.stock}
            )
        db.session.expire(offer, ["stock"])
    for name in OFFER_FIELDS:
        if name in changes:
            value = changes[name]
            setattr(offer, name, value.strip() if name == "title" else value)
    db.session.flush()
    record_audit(
        actor_id=actor.id,
        action="offer.update",
        target_type="offer",
        target_id=offer.id,
        community_id=offer.community_id,
        before=before,
        after=jsonable(offer_view(offer)),
    )
    db.session.commit()
    return offer


def read_offer(user: User, offer_id: int) -> Offer:
    """An offer for a member of its community; managers also see inactive ones."""
    offer = get_offer(offer_id)
    if is_merchant_manager(user, offer.merchant):
        return offer
    membership = require_membership(user)
    if membership.community_id != offer.community_id or offer.merchant.status != "approved":
        raise NotFound("兑换商品不存在", code="offer_not_found")
    return offer


def list_offers(
    user: User,
    limit: int,
    cursor: str | None,
    *,
    merchant_id: int | None = None,
    include_inactive: bool = False,
    now: datetime | None = None,
):
    """Offers on offer to residents today (see gates.offer_on_offer; reserving also needs the
    redemption window open); staff and admins may include inactive ones."""
    if include_inactive:
        if merchant_id is None:
            raise Unprocessable("查看全部商品需指定商家", code="merchant_required")
        merchant = get_merchant(merchant_id)
        require_merchant_manager(user, merchant)
        stmt = select(Offer).where(Offer.merchant_id == merchant.id)
        return paginate_by_id(db.session, stmt, Offer.id, limit, cursor)
    membership = require_membership(user)
    today = local_today(now)
    stmt = select(Offer).where(
        Offer.community_id == membership.community_id, gates.offer_on_offer(today)
    )
    if merchant_id is not None:
        stmt = stmt.where(Offer.merchant_id == merchant_id)
    return paginate_by_id(db.session, stmt, Offer.id, limit, cursor)

"""Merchants and their offers: applications, approval and the reward catalogue."""

from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from server.auth.authz import authorize, grants_of, has_role, require_membership
from server.auth.models import User
from server.db.audit import record_audit
from server.db.session import db
from server.http.errors import Conflict, NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.notify.outbox import emit_event
from server.platform.localtime import local_today
from server.rewards.models import Merchant, Offer

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


def _jsonable(view: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in view.items()}


# -- merchants ---------------------------------------------------------------------------------


def merchant_view(merchant: Merchant) -> dict:
    return {
        "id": merchant.id,
        "community_id": merchant.community_id,
        "name": merchant.name,
        "kind": merchant.kind,
        "status": merchant.status,
        "address": merchant.address,
        "created_at": merchant.created_at,
    }


def get_merchant(merchant_id: int) -> Merchant:
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound("商家不存在", code="merchant_not_found")
    return merchant


def is_merchant_manager(user: User, merchant: Merchant) -> bool:
    """Staff of this merchant, or an admin of its community."""
    return has_role(user, merchant.community_id, "merchant_staff", "admin", merchant_id=merchant.id)


def require_merchant_manager(user: User, merchant: Merchant) -> None:
    authorize(
        user,
        community_id=merchant.community_id,
        roles=("merchant_staff", "admin"),
        merchant_id=merchant.id,
        message="您不是该商家的工作人员",
    )


def staff_merchant(user: User, merchant_id: int | None) -> Merchant:
    """The merchant a staff member acts for: the given one, or their only one."""
    if merchant_id is None:
        ids = {g.merchant_id for g in grants_of(user) if g.role == "merchant_staff"}
        if len(ids) != 1:
            raise Unprocessable(
                "请指定商家", code="merchant_required", details={"merchant_ids": sorted(ids)}
            )
        merchant_id = ids.pop()
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound("商家不存在", code="merchant_not_found")
    require_merchant_manager(user, merchant)
    return merchant


def create_merchant(user: User, *, name: str, kind: str, address: str = "") -> Merchant:
    """Register a merchant in the caller's community.

    Admins add approved merchants (including the 积分超市); a member applying for a partner
    shop (商居联盟) creates a pending merchant that an admin approves.
    """
    membership = require_membership(user)
    community_id = membership.community_id
    is_admin = has_role(user, community_id, "admin")
    if not is_admin and kind != "partner":
        raise Unprocessable("只能申请加入商居联盟", code="merchant_kind_not_allowed")
    merchant = Merchant(
        community_id=community_id,
        name=name.strip(),
        kind=kind,
        status="approved" if is_admin else "pending",
        address=address.strip(),
        applicant_id=user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(merchant)
    except IntegrityError:
        raise Conflict("同名商家已存在", code="merchant_exists") from None
    db.session.flush()
    view = _jsonable(merchant_view(merchant))
    if is_admin:
        record_audit(
            actor_id=user.id,
            action="merchant.create",
            target_type="merchant",
            target_id=merchant.id,
            community_id=community_id,
            after=view,
        )
    emit_event(
        "merchant.created" if is_admin else "merchant.applied",
        aggregate_type="merchant",
        aggregate_id=merchant.id,
        community_id=community_id,
        payload=view,
    )
    db.session.commit()
    return merchant


def set_merchant_status(actor: User, merchant_id: int, status: str) -> Merchant:
    """Approve or suspend a merchant (admins of its community; audited)."""
    merchant = get_merchant(merchant_id)
    authorize(actor, community_id=merchant.community_id, roles=("admin",))
    if merchant.status == status:
        return merchant
    before = _jsonable(merchant_view(merchant))
    merchant.status = status
    record_audit(
        actor_id=actor.id,
        action=f"merchant.{'approve' if status == 'approved' else 'suspend'}",
        target_type="merchant",
        target_id=merchant.id,
        community_id=merchant.community_id,
        before=before,
        after=_jsonable(merchant_view(merchant)),
    )
    emit_event(
        f"merchant.{status}",
        aggregate_type="merchant",
        aggregate_id=merchant.id,
        community_id=merchant.community_id,
        payload={"merchant_id": merchant.id, "status": status},
    )
    db.session.commit()
    return merchant


def list_merchants(user: User, limit: int, cursor: str | None, status: str | None = None):
    """Approved merchants for members; admins see every status and may filter by it."""
    membership = require_membership(user)
    stmt = select(Merchant).where(Merchant.community_id == membership.community_id)
    if has_role(user, membership.community_id, "admin"):
        if status:
            stmt = stmt.where(Merchant.status == status)
    else:
        stmt = stmt.where(Merchant.status == "approved")
    return paginate_by_id(db.session, stmt, Merchant.id, limit, cursor, desc=False)


def read_merchant(user: User, merchant_id: int) -> Merchant:
    merchant = get_merchant(merchant_id)
    if merchant.status != "approved" and not is_merchant_manager(user, merchant):
        raise NotFound("商家不存在", code="merchant_not_found")
    authorize(
        user,
        community_id=merchant.community_id,
        roles=("resident", "merchant_staff", "admin"),
        merchant_id=merchant.id,
    )
    return merchant


# -- offers ------------------------------------------------------------------------------------


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
        actor_id=actor.id,
        action="offer.create",
        target_type="offer",
        target_id=offer.id,
        community_id=offer.community_id,
        after=_jsonable(offer_view(offer)),
    )
    db.session.commit()
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
    before = _jsonable(offer_view(offer))
    add_stock = changes.pop("add_stock", 0) or 0
    if add_stock:
        moved = db.session.execute(
            update(Offer)
            .where(
                Offer.id == offer.id,
                Offer.stock + add_stock >= 0,
                Offer.stock + add_stock <= MAX_STOCK,
            )
            .values(stock=Offer.stock + add_stock)
            .returning(Offer.stock)
            .execution_options(synchronize_session=False)
        ).first()
        if moved is None:
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
        after=_jsonable(offer_view(offer)),
    )
    db.session.commit()
    return offer


def offer_unavailable_reason(offer: Offer, today: date) -> tuple[str, str] | None:
    """Why residents cannot reserve this offer today (code, message), or None."""
    if offer.merchant.status != "approved":
        return "merchant_unavailable", "该商家暂停兑换"
    if not offer.active:
        return "offer_inactive", "该商品已下架"
    if offer.valid_from and today < offer.valid_from:
        return "offer_not_started", f"该商品将于{offer.valid_from.isoformat()}开始兑换"
    if offer.valid_until and today > offer.valid_until:
        return "offer_ended", "该商品兑换已结束"
    return None


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
    """Offers residents can reserve now; staff and admins may include inactive ones."""
    if include_inactive:
        if merchant_id is None:
            raise Unprocessable("查看全部商品需指定商家", code="merchant_required")
        merchant = get_merchant(merchant_id)
        require_merchant_manager(user, merchant)
        stmt = select(Offer).where(Offer.merchant_id == merchant.id)
        return paginate_by_id(db.session, stmt, Offer.id, limit, cursor)
    membership = require_membership(user)
    today = local_today(now)
    stmt = (
        select(Offer)
        .join(Merchant, Merchant.id == Offer.merchant_id)
        .where(
            Offer.community_id == membership.community_id,
            Offer.active.is_(True),
            Merchant.status == "approved",
            or_(Offer.valid_from.is_(None), Offer.valid_from <= today),
            or_(Offer.valid_until.is_(None), Offer.valid_until >= today),
        )
    )
    if merchant_id is not None:
        stmt = stmt.where(Offer.merchant_id == merchant_id)
    return paginate_by_id(db.session, stmt, Offer.id, limit, cursor)

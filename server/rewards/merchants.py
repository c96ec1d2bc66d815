"""Merchants of a community: applications, approval, and who manages or staffs them."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.authz import authorize, grants_of, has_role, require_membership
from server.community.models import Merchant
from server.db.audit import jsonable, record_audit
from server.db.session import db
from server.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.outbox.emit import emit_event


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
        grants = grants_of(user)
        ids = {g.merchant_id for g in grants if g.role == "merchant_staff"}
        if not ids and not any(g.role == "admin" for g in grants):  # not staff: say so
            raise Forbidden("您不是商家工作人员", code="not_merchant_staff")
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
    is_admin = has_role(user, membership.community_id, "admin")
    if not is_admin and kind != "partner":
        raise Unprocessable("只能申请加入商居联盟", code="merchant_kind_not_allowed")
    merchant = add_merchant(
        membership.community_id,
        user.id,
        name=name,
        kind=kind,
        address=address,
        status="approved" if is_admin else "pending",
    )
    db.session.commit()
    return merchant


def add_merchant(
    community_id: int,
    actor_id: int | None,
    *,
    name: str,
    kind: str,
    address: str = "",
    status: str = "approved",
) -> Merchant:
    """create_merchant's rule in the caller's transaction (the set-up import uses it too):
    names are unique in a community; an approved merchant is audited, either is announced."""
    merchant = Merchant(
        community_id=community_id,
        name=name.strip(),
        kind=kind,
        status=status,
        address=address.strip(),
        applicant_id=actor_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(merchant)
    except IntegrityError:
        raise Conflict("同名商家已存在", code="merchant_exists") from None
    db.session.flush()
    view = jsonable(merchant_view(merchant))
    if status == "approved":
        record_audit(
            actor_id=actor_id,
            action="merchant.create",
            target_type="merchant",
            target_id=merchant.id,
            community_id=community_id,
            after=view,
        )
    emit_event(
        "merchant.created" if status == "approved" else "merchant.applied",
        aggregate_type="merchant",
        aggregate_id=merchant.id,
        community_id=community_id,
        payload=view,
    )
    return merchant


def set_merchant_status(actor: User, merchant_id: int, status: str) -> Merchant:
    """Approve or suspend a merchant (admins of its community; audited)."""
    merchant = get_merchant(merchant_id)
    authorize(actor, community_id=merchant.community_id, roles=("admin",))
    if merchant.status == status:
        return merchant
    before = jsonable(merchant_view(merchant))
    merchant.status = status
    record_audit(
        actor_id=actor.id,
        action=f"merchant.{'approve' if status == 'approved' else 'suspend'}",
        target_type="merchant",
        target_id=merchant.id,
        community_id=merchant.community_id,
        before=before,
        after=jsonable(merchant_view(merchant)),
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

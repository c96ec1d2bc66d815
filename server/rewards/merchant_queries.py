"""The merchants a staff member manages, for the office console: a community's admins manage
every merchant in it, merchant staff only their own shops; anyone else sees nothing (404)."""

from sqlalchemy import select

from server.auth.models import User
from server.community.authz import grants_of, has_role
from server.community.models import Merchant, RoleGrant
from server.db.session import db
from server.http.errors import NotFound
from server.http.pagination import paginate_by_id
from server.platform.masking import mask_name
from server.rewards.merchants import is_merchant_manager
from server.rewards.models import Offer

MAX_NAME_FILTER = 32


def managed_merchant(user: User, merchant_id: int) -> Merchant:
    """A merchant the user manages; 404 otherwise, so ids of other shops cannot be probed."""
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None or not is_merchant_manager(user, merchant):
        raise NotFound("商家不存在", code="merchant_not_found")
    return merchant


def managed_offer(user: User, merchant_id: int, offer_id: int) -> Offer:
    """One of a managed merchant's offers; another shop's offer is a 404 like its merchant."""
    merchant = managed_merchant(user, merchant_id)
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.merchant_id != merchant.id:
        raise NotFound("兑换商品不存在", code="offer_not_found")
    return offer


def list_managed_merchants(
    user: User,
    community_id: int,
    limit: int,
    cursor: str | None,
    *,
    status: str | None = None,
    kind: str | None = None,
    name: str | None = None,
):
    """Merchants of the community the user manages (every one for an admin, else the shops
    they staff), oldest first, filtered by status, kind and part of the name."""
    stmt = select(Merchant).where(Merchant.community_id == community_id)
    if not has_role(user, community_id, "admin"):
        staffed = [
            g.merchant_id for g in grants_of(user, community_id) if g.role == "merchant_staff"
        ]
        stmt = stmt.where(Merchant.id.in_(staffed))
    if status:
        stmt = stmt.where(Merchant.status == status)
    if kind:
        stmt = stmt.where(Merchant.kind == kind)
    if name:
        stmt = stmt.where(Merchant.name.contains(name[:MAX_NAME_FILTER], autoescape=True))
    return paginate_by_id(db.session, stmt, Merchant.id, limit, cursor, desc=False)


def list_merchant_staff(user: User, merchant_id: int, limit: int, cursor: str | None):
    """The merchant's staff (grant id, masked name, since when) for those who manage it."""
    merchant = managed_merchant(user, merchant_id)
    stmt = select(RoleGrant).where(
        RoleGrant.merchant_id == merchant.id, RoleGrant.role == "merchant_staff"
    )
    page = paginate_by_id(db.session, stmt, RoleGrant.id, limit, cursor, desc=False)
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_([g.user_id for g in page.items]))
        )
    }
    page.items = [
        {
            "grant_id": grant.id,
            "name": mask_name(users[grant.user_id].display_name),
            "since": grant.created_at,
        }
        for grant in page.items
    ]
    return page

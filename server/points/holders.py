"""Who holds a point account and who may act for it: a person for themselves, the staff of
an organisation (驻区单位) or of a shop (信用店铺) for its account."""

from server.auth.models import User
from server.community.authz import authorize, grants_of, has_role, require_membership
from server.community.models import Merchant, Organisation
from server.db.session import db
from server.http.errors import NotFound

# holder_type -> (staff role, the grant's scope column, the holder's model, its name in errors)
STAFF = {
    "organisation": ("org_staff", "organisation_id", Organisation, "单位"),
    "merchant": ("merchant_staff", "merchant_id", Merchant, "店铺"),
}


def staffs(user: User, community_id: int, holder_type: str, holder_id: int) -> bool:
    """True when `user` is the holder, or staff of the organisation or shop holding it."""
    if holder_type == "user":
        return holder_id == user.id
    role, column, _model, _name = STAFF[holder_type]
    return has_role(user, community_id, role, **{column: holder_id})


def staffed_ids(user: User, community_id: int, holder_type: str) -> list[int]:
    """The organisations or shops of `holder_type` the user is staff of, in grant order."""
    role, column, _model, _name = STAFF[holder_type]
    grants = grants_of(user, community_id)
    return [getattr(g, column) for g in grants if g.role == role and getattr(g, column)]


def readable_holder(
    user: User, organisation_id: int | None = None, merchant_id: int | None = None
) -> tuple[int, str, int]:
    """(community_id, holder_type, holder_id) of the account the caller may read: their own,
    or an organisation's or shop's they are staff of (or admin of its community)."""
    if organisation_id is None and merchant_id is None:
        return require_membership(user).community_id, "user", user.id
    holder_type = "organisation" if organisation_id is not None else "merchant"
    holder_id = organisation_id if organisation_id is not None else merchant_id
    role, column, model, name = STAFF[holder_type]
    holder = db.session.get(model, holder_id)
    if holder is None:
        raise NotFound(f"{name}不存在", code=f"{holder_type}_not_found")
    authorize(
        user,
        community_id=holder.community_id,
        roles=(role, "admin"),
        **{column: holder.id},
        message=f"您不是该{name}的工作人员",
    )
    return holder.community_id, holder_type, holder.id

"""One authorisation helper for every route: role + community scope + object ownership."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server.auth.models import User
from server.community.models import Membership, RoleGrant
from server.db.session import db
from server.http.errors import Forbidden


class NotAMember(Forbidden):
    code, message = "not_a_member", "请先加入社区"


def membership_of(user: User) -> Membership | None:
    # Community and grid come in the same query: nearly every caller shows or checks them.
    stmt = (
        select(Membership)
        .options(joinedload(Membership.community), joinedload(Membership.grid))
        .where(Membership.user_id == user.id)
    )
    return db.session.scalar(stmt)


def require_membership(user: User, community_id: int | None = None) -> Membership:
    """The user's membership, which must be in `community_id` when one is given."""
    membership = membership_of(user)
    if membership is None:
        raise NotAMember()
    if community_id is not None and membership.community_id != community_id:
        raise Forbidden("您不是该社区的成员")
    return membership


def grants_of(user: User, community_id: int | None = None) -> list[RoleGrant]:
    stmt = select(RoleGrant).where(RoleGrant.user_id == user.id)
    if community_id is not None:
        stmt = stmt.where(RoleGrant.community_id == community_id)
    return list(db.session.scalars(stmt.order_by(RoleGrant.id)))


def has_role(
    user: User,
    community_id: int,
    *roles: str,
    grid_id: int | None = None,
    merchant_id: int | None = None,
    organisation_id: int | None = None,
) -> bool:
    """True if the user holds one of `roles` in the community (and the given scope, if any).

    `admin` of a community covers every scope inside it; grid, merchant and organisation
    roles cover only their own grid, merchant or organisation.
    """
    for grant in grants_of(user, community_id):
        if grant.role == "admin" and "admin" in roles:
            return True
        if grant.role not in roles:
            continue
        if grid_id is not None and grant.role == "grid_worker" and grant.grid_id != grid_id:
            continue
        if merchant_id is not None and grant.role == "merchant_staff":
            if grant.merchant_id != merchant_id:
                continue
        if organisation_id is not None and grant.role == "org_staff":
            if grant.organisation_id != organisation_id:
                continue
        return True
    return False


def authorize(
    user: User,
    *,
    community_id: int,
    roles: tuple[str, ...] = (),
    owner_id: int | None = None,
    grid_id: int | None = None,
    merchant_id: int | None = None,
    organisation_id: int | None = None,
    message: str | None = None,
) -> None:
    """Allow the owner of an object, or a holder of one of `roles` in its community and scope.

    Raise 403 otherwise. `resident` in `roles` means any member of that community.
    """
    if owner_id is not None and owner_id == user.id:
        return
    if "resident" in roles:
        membership = membership_of(user)
        if membership is not None and membership.community_id == community_id:
            return
    privileged = tuple(r for r in roles if r != "resident")
    if privileged and has_role(
        user,
        community_id,
        *privileged,
        grid_id=grid_id,
        merchant_id=merchant_id,
        organisation_id=organisation_id,
    ):
        return
    raise Forbidden(message)

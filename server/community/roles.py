"""Role grants: who may review, organise, serve a grid, staff a merchant or act for a unit."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.authz import membership_of
from server.community.models import (
    GRANTABLE_ROLES,
    PARTY_KINDS,
    Merchant,
    Organisation,
    RoleGrant,
    scope_key_for,
)
from server.community.service import get_community, grid_in, require_admin
from server.db.audit import jsonable, record_audit
from server.db.session import db
from server.http.errors import Conflict, NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.outbox.emit import emit_event


def grant_view(grant: RoleGrant) -> dict:
    return {
        "id": grant.id,
        "user_id": grant.user_id,
        "community_id": grant.community_id,
        "role": grant.role,
        "grid_id": grant.grid_id,
        "merchant_id": grant.merchant_id,
        "organisation_id": grant.organisation_id,
        "party_kind": grant.party_kind,
        "created_at": grant.created_at,
    }


def check_grant_scope(
    community_id: int, role: str, grid_id, merchant_id, organisation_id, party_kind
) -> None:
    """Check that the role is grantable and its scope fits the role and lies in the community."""
    if role not in GRANTABLE_ROLES:
        raise Unprocessable("未知角色", code="unknown_role", details={"role": role})
    given = {
        "grid_id": grid_id,
        "merchant_id": merchant_id,
        "organisation_id": organisation_id,
        "party_kind": party_kind,
    }
    needed = {
        "grid_worker": "grid_id",
        "merchant_staff": "merchant_id",
        "org_staff": "organisation_id",
        "party_member": "party_kind",
    }.get(role)
    extra = [k for k, v in given.items() if v is not None and k != needed]
    if extra:
        raise Unprocessable(
            "该角色不需要这些范围参数", code="scope_not_allowed", details={"fields": extra}
        )
    if needed and given[needed] is None:
        raise Unprocessable("该角色需要指定范围", code="scope_required", details={"field": needed})
    if role == "grid_worker":
        grid_in(community_id, grid_id)
    elif role == "merchant_staff":
        merchant = db.session.get(Merchant, merchant_id)
        if merchant is None or merchant.community_id != community_id:
            raise Unprocessable("商家不属于该社区", code="merchant_not_in_community")
    elif role == "org_staff":
        org = db.session.get(Organisation, organisation_id)
        if org is None or org.community_id != community_id:
            raise Unprocessable("单位不属于该社区", code="organisation_not_in_community")
    elif role == "party_member" and party_kind not in PARTY_KINDS:
        raise Unprocessable("党员类型应为在职、自管或流动", code="invalid_party_kind")


def grant_role(
    actor: User | None,
    community_id: int,
    user_id: int,
    role: str,
    *,
    grid_id: int | None = None,
    merchant_id: int | None = None,
    organisation_id: int | None = None,
    party_kind: str | None = None,
) -> RoleGrant:
    """Grant a role inside one community; admins only, audited, announced in the outbox."""
    community = get_community(community_id)
    require_admin(actor, community.id)
    grant = add_grant(
        actor.id if actor else None,
        community.id,
        user_id,
        role,
        grid_id=grid_id,
        merchant_id=merchant_id,
        organisation_id=organisation_id,
        party_kind=party_kind,
    )
    db.session.commit()
    return grant


def add_grant(
    granted_by: int | None,
    community_id: int,
    user_id: int,
    role: str,
    *,
    grid_id: int | None = None,
    merchant_id: int | None = None,
    organisation_id: int | None = None,
    party_kind: str | None = None,
) -> RoleGrant:
    """The grant itself, in the caller's transaction (grant_role and accepting an invitation):
    a member of the community, a scope inside it, audited with `granted_by` as the actor."""
    if role not in GRANTABLE_ROLES:
        raise Unprocessable("未知角色", code="unknown_role", details={"role": role})
    target = db.session.get(User, user_id)
    target_membership = membership_of(target) if target else None
    if (
        target is None
        or target_membership is None
        or target_membership.community_id != community_id
    ):
        raise Unprocessable("该用户不是本社区成员", code="user_not_member")
    check_grant_scope(community_id, role, grid_id, merchant_id, organisation_id, party_kind)
    grant = RoleGrant(
        user_id=target.id,
        community_id=community_id,
        role=role,
        scope_key=scope_key_for(grid_id, merchant_id, organisation_id),
        grid_id=grid_id,
        merchant_id=merchant_id,
        organisation_id=organisation_id,
        party_kind=party_kind,
        granted_by=granted_by,
    )
    try:
        with db.session.begin_nested():
            db.session.add(grant)
    except IntegrityError:
        raise Conflict("该用户已拥有此角色", code="role_already_granted") from None
    db.session.flush()
    view = grant_view(grant)
    record_audit(
        actor_id=granted_by,
        action="role.grant",
        target_type="role_grant",
        target_id=grant.id,
        community_id=community_id,
        before=None,
        after=jsonable(view),
    )
    emit_event(
        "role.granted",
        aggregate_type="user",
        aggregate_id=target.id,
        community_id=community_id,
        payload=jsonable(view),
    )
    return grant


def revoke_role(actor: User | None, community_id: int, grant_id: int) -> None:
    """Revoke a grant of this community; an admin cannot remove their own admin role."""
    community = get_community(community_id)
    require_admin(actor, community.id)
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.community_id != community.id:
        raise NotFound("角色授权不存在", code="grant_not_found")
    if actor is not None and grant.user_id == actor.id and grant.role == "admin":
        raise Conflict("不能撤销自己的管理员角色", code="cannot_revoke_own_admin")
    view = jsonable(grant_view(grant))
    db.session.delete(grant)
    record_audit(
        actor_id=actor.id if actor else None,
        action="role.revoke",
        target_type="role_grant",
        target_id=grant_id,
        community_id=community.id,
        before=view,
        after=None,
    )
    emit_event(
        "role.revoked",
        aggregate_type="user",
        aggregate_id=view["user_id"],
        community_id=community.id,
        payload=view,
    )
    db.session.commit()


def list_grants(
    actor: User, community_id: int, limit: int, cursor: str | None, role=None, user_id=None
):
    community = get_community(community_id)
    require_admin(actor, community.id)
    stmt = select(RoleGrant).where(RoleGrant.community_id == community.id)
    if role:
        stmt = stmt.where(RoleGrant.role == role)
    if user_id:
        stmt = stmt.where(RoleGrant.user_id == user_id)
    return paginate_by_id(db.session, stmt, RoleGrant.id, limit, cursor)

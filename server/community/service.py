"""Communities, joining, profile edits, organisations and role grants."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.auth.authz import authorize, membership_of
from server.auth.models import User
from server.community.models import (
    GRANTABLE_ROLES,
    PARTY_KINDS,
    Community,
    Grid,
    Membership,
    Organisation,
    RoleGrant,
    scope_key_for,
)
from server.db.audit import record_audit
from server.db.session import db
from server.http.errors import Conflict, NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.notify.outbox import emit_event
from server.platform.masking import mask_phone
from server.rewards.models import Merchant

PROFILE_FIELDS = ("nickname", "real_name", "avatar_url")


def get_community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None or not community.is_active:
        raise NotFound("社区不存在", code="community_not_found")
    return community


def list_communities(limit: int, cursor: str | None, q: str | None = None):
    stmt = select(Community).where(Community.is_active.is_(True))
    if q:
        stmt = stmt.where(Community.name.contains(q))
    return paginate_by_id(db.session, stmt, Community.id, limit, cursor, desc=False)


def list_grids(community_id: int, limit: int, cursor: str | None):
    get_community(community_id)
    stmt = select(Grid).where(Grid.community_id == community_id)
    return paginate_by_id(db.session, stmt, Grid.id, limit, cursor, desc=False)


def _grid_in(community_id: int, grid_id: int | None) -> Grid | None:
    if grid_id is None:
        return None
    grid = db.session.get(Grid, grid_id)
    if grid is None or grid.community_id != community_id:
        raise Unprocessable(
            "所选网格不属于该社区", code="grid_not_in_community", details={"grid_id": grid_id}
        )
    return grid


def join_community(user: User, community_id: int, grid_id: int | None = None) -> Membership:
    """Join a community (and grid); members may move between grids of their own community."""
    community = get_community(community_id)
    grid = _grid_in(community.id, grid_id)
    membership = membership_of(user)
    if membership is not None and membership.community_id != community.id:
        raise Conflict(
            "您已加入其他社区，如需迁移请联系原社区管理员",
            code="already_in_other_community",
            details={"community_id": membership.community_id},
        )
    if membership is None:
        membership = Membership(user_id=user.id, community_id=community.id, grid_id=grid_id)
        try:
            with db.session.begin_nested():
                db.session.add(membership)
        except IntegrityError:
            raise Conflict("请勿重复提交", code="join_in_progress") from None
        db.session.flush()
        emit_event(
            "member.joined",
            aggregate_type="membership",
            aggregate_id=membership.id,
            community_id=community.id,
            payload={"user_id": user.id, "grid_id": grid_id},
        )
    elif grid is not None and membership.grid_id != grid.id:
        emit_event(
            "member.grid_changed",
            aggregate_type="membership",
            aggregate_id=membership.id,
            community_id=community.id,
            payload={"user_id": user.id, "from": membership.grid_id, "to": grid.id},
        )
        membership.grid_id = grid.id
    db.session.commit()
    return membership


def update_profile(user: User, changes: dict) -> User:
    for name in PROFILE_FIELDS:
        if name in changes:
            value = changes[name]
            setattr(user, name, value.strip() if isinstance(value, str) else value)
    db.session.commit()
    return user


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


def membership_view(membership: Membership) -> dict:
    """The community and grid a member belongs to, as the profile shows them."""
    grid = membership.grid
    return {
        "community": {"id": membership.community_id, "name": membership.community.name},
        "grid": {"id": grid.id, "name": grid.name} if grid else None,
        "joined_at": membership.joined_at,
    }


def _require_admin(actor: User | None, community_id: int) -> None:
    # actor None is the operator's CLI, which bootstraps the first admin.
    if actor is not None:
        authorize(actor, community_id=community_id, roles=("admin",))


def _scope_for(community_id: int, role: str, grid_id, merchant_id, organisation_id, party_kind):
    """Check that the scope fits the role and lies inside the community."""
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
        _grid_in(community_id, grid_id)
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
    _require_admin(actor, community.id)
    if role not in GRANTABLE_ROLES:
        raise Unprocessable("未知角色", code="unknown_role", details={"role": role})
    target = db.session.get(User, user_id)
    target_membership = membership_of(target) if target else None
    if (
        target is None
        or target_membership is None
        or target_membership.community_id != community.id
    ):
        raise Unprocessable("该用户不是本社区成员", code="user_not_member")
    _scope_for(community.id, role, grid_id, merchant_id, organisation_id, party_kind)
    grant = RoleGrant(
        user_id=target.id,
        community_id=community.id,
        role=role,
        scope_key=scope_key_for(grid_id, merchant_id, organisation_id),
        grid_id=grid_id,
        merchant_id=merchant_id,
        organisation_id=organisation_id,
        party_kind=party_kind,
        granted_by=actor.id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(grant)
    except IntegrityError:
        raise Conflict("该用户已拥有此角色", code="role_already_granted") from None
    db.session.flush()
    view = grant_view(grant)
    record_audit(
        actor_id=actor.id if actor else None,
        action="role.grant",
        target_type="role_grant",
        target_id=grant.id,
        community_id=community.id,
        before=None,
        after=_jsonable(view),
    )
    emit_event(
        "role.granted",
        aggregate_type="user",
        aggregate_id=target.id,
        community_id=community.id,
        payload=_jsonable(view),
    )
    db.session.commit()
    return grant


def revoke_role(actor: User | None, community_id: int, grant_id: int) -> None:
    """Revoke a grant of this community; an admin cannot remove their own admin role."""
    community = get_community(community_id)
    _require_admin(actor, community.id)
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.community_id != community.id:
        raise NotFound("角色授权不存在", code="grant_not_found")
    if actor is not None and grant.user_id == actor.id and grant.role == "admin":
        raise Conflict("不能撤销自己的管理员角色", code="cannot_revoke_own_admin")
    view = _jsonable(grant_view(grant))
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
    _require_admin(actor, community.id)
    stmt = select(RoleGrant).where(RoleGrant.community_id == community.id)
    if role:
        stmt = stmt.where(RoleGrant.role == role)
    if user_id:
        stmt = stmt.where(RoleGrant.user_id == user_id)
    return paginate_by_id(db.session, stmt, RoleGrant.id, limit, cursor)


def list_members(actor: User, community_id: int, limit: int, cursor: str | None, q=None):
    """Members for the admin console, newest first; phones masked even here."""
    community = get_community(community_id)
    _require_admin(actor, community.id)
    stmt = select(Membership).where(Membership.community_id == community.id)
    if q:
        stmt = stmt.join(User, User.id == Membership.user_id).where(
            func.coalesce(User.real_name, User.nickname, "").contains(q)
        )
    page = paginate_by_id(db.session, stmt, Membership.id, limit, cursor)
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_([m.user_id for m in page.items]))
        )
    }
    page.items = [
        {
            "user_id": m.user_id,
            "name": users[m.user_id].display_name,
            "phone": mask_phone(users[m.user_id].phone),
            "grid_id": m.grid_id,
            "joined_at": m.joined_at,
        }
        for m in page.items
    ]
    return page


def create_organisation(
    actor: User | None, community_id: int, name: str, kind: str
) -> Organisation:
    community = get_community(community_id)
    _require_admin(actor, community.id)
    org = Organisation(community_id=community.id, name=name.strip(), kind=kind)
    try:
        with db.session.begin_nested():
            db.session.add(org)
    except IntegrityError:
        raise Conflict("同名单位已存在", code="organisation_exists") from None
    db.session.flush()
    record_audit(
        actor_id=actor.id if actor else None,
        action="organisation.create",
        target_type="organisation",
        target_id=org.id,
        community_id=community.id,
        after={"name": org.name, "kind": org.kind},
    )
    db.session.commit()
    return org


def list_organisations(user: User, community_id: int, limit: int, cursor: str | None):
    community = get_community(community_id)
    authorize(user, community_id=community.id, roles=("resident", "admin"))
    stmt = select(Organisation).where(Organisation.community_id == community.id)
    return paginate_by_id(db.session, stmt, Organisation.id, limit, cursor, desc=False)


def _jsonable(view: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in view.items()}

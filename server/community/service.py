"""Communities, joining, profile edits, organisations and role grants."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.authz import authorize, membership_of
from server.community.models import (
    Community,
    Grid,
    Membership,
    Organisation,
)
from server.db.audit import record_audit
from server.db.session import db
from server.http.errors import Conflict, NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.outbox.emit import emit_event
from server.platform.masking import mask_phone

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


def grid_in(community_id: int, grid_id: int | None) -> Grid | None:
    if grid_id is None:
        return None
    grid = db.session.get(Grid, grid_id)
    if grid is None or grid.community_id != community_id:
        raise Unprocessable(
            "所选网格不属于该社区", code="grid_not_in_community", details={"grid_id": grid_id}
        )
    return grid


def require_admin(actor: User | None, community_id: int) -> None:
    # actor None is the operator's CLI, which bootstraps the first admin.
    if actor is not None:
        authorize(actor, community_id=community_id, roles=("admin",))


def join_community(user: User, community_id: int, grid_id: int | None = None) -> Membership:
    """Join a community (and grid); members may move between grids of their own community."""
    membership = admit_member(user, community_id, grid_id)
    db.session.commit()
    return membership


def admit_member(user: User, community_id: int, grid_id: int | None = None) -> Membership:
    """join_community's rule in the caller's transaction (accepting an invitation joins too)."""
    community = get_community(community_id)
    grid = grid_in(community.id, grid_id)
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
    return membership


def update_profile(user: User, changes: dict) -> User:
    for name in PROFILE_FIELDS:
        if name in changes:
            value = changes[name]
            setattr(user, name, value.strip() if isinstance(value, str) else value)
    db.session.commit()
    return user


def membership_view(membership: Membership) -> dict:
    """The community and grid a member belongs to, as the profile shows them."""
    grid = membership.grid
    return {
        "community": {"id": membership.community_id, "name": membership.community.name},
        "grid": {"id": grid.id, "name": grid.name} if grid else None,
        "joined_at": membership.joined_at,
    }


def list_members(actor: User, community_id: int, limit: int, cursor: str | None, q=None):
    """Members for the admin console, newest first; phones masked even here."""
    community = get_community(community_id)
    require_admin(actor, community.id)
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
    require_admin(actor, community.id)
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

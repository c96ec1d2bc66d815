"""Registering a resident without a smartphone, and finding them again.

Office staff register anyone in their community (any grid, or none); a grid worker registers
residents of their own grid. The holder is a user without an openid, a member of the
community, with an account like everyone's and a first card. Lists show masked names and
the building and unit, never a phone number; the phone is shown masked to staff only.
"""

import re

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from server.auth.models import User
from server.cards import cards
from server.community.acting import STAFF_ROLES, holder_for
from server.community.authz import grants_of, has_role, require_membership
from server.community.card_holder_models import CardHolder
from server.community.models import Grid, Membership
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.http.errors import Forbidden, Unprocessable
from server.http.pagination import Page, paginate_by_id
from server.outbox.emit import emit_event
from server.platform.masking import mask_name, mask_phone

PIN = re.compile(r"^[0-9]{4,6}$")
PHONE = re.compile(r"^1[3-9][0-9]{9}$")


def check_pin(pin: str) -> str:
    if not isinstance(pin, str) or not PIN.match(pin):
        raise Unprocessable("密码应为 4 到 6 位数字", code="invalid_pin", details={"field": "pin"})
    if len(set(pin)) == 1:
        raise Unprocessable("密码不能是同一个数字", code="weak_pin", details={"field": "pin"})
    return pin


def pin_hash(pin: str) -> str:
    """A slow, salted hash (werkzeug's scrypt): a stolen table does not give PINs away."""
    return generate_password_hash(check_pin(pin))


def _registering_grid(actor: User, community_id: int, grid_id: int | None) -> int | None:
    """The grid the new holder joins: any of the community's (or none) for office staff, one
    of their own grids for a grid worker."""
    if grid_id is not None:
        grid = get_by_id(Grid, grid_id)
        if grid is None or grid.community_id != community_id:
            raise Unprocessable("网格不存在", code="unknown_grid", details={"grid_id": grid_id})
    if has_role(actor, community_id, *STAFF_ROLES):
        return grid_id
    own = [
        g.grid_id for g in grants_of(actor, community_id) if g.role == "grid_worker" and g.grid_id
    ]
    if not own:
        raise Forbidden("只有社区工作人员或网格员可以登记持卡居民", code="not_card_staff")
    if grid_id is None:
        if len(own) > 1:
            raise Unprocessable("请选择网格", code="grid_required")
        return own[0]
    if grid_id not in own:
        raise Forbidden("您不是该网格的网格员", code="not_grid_worker_of_grid")
    return grid_id


def register_card_holder(
    actor: User,
    *,
    real_name: str,
    building: str,
    unit: str = "",
    phone: str | None = None,
    pin: str,
    grid_id: int | None = None,
) -> CardHolder:
    """Register a resident who has no WeChat and issue their first card."""
    community_id = require_membership(actor).community_id
    grid = _registering_grid(actor, community_id, grid_id)
    real_name, building, unit = real_name.strip(), building.strip(), (unit or "").strip()
    if not real_name or not building:
        raise Unprocessable("请填写姓名和楼栋", code="name_and_building_required")
    phone = (phone or "").strip() or None
    if phone is not None and not PHONE.match(phone):
        raise Unprocessable("手机号格式不正确", code="invalid_phone", details={"field": "phone"})
    hashed = pin_hash(pin)
    user = User(openid=None, real_name=real_name, phone=phone)
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, community_id=community_id, grid_id=grid))
    holder = CardHolder(
        user_id=user.id,
        community_id=community_id,
        building=building,
        unit=unit,
        pin_hash=hashed,
        registered_by=actor.id,
    )
    db.session.add(holder)
    db.session.flush()
    card = cards.issue_card(actor, holder)
    record_audit(
        actor_id=actor.id,
        action="card_holder.register",
        target_type="user",
        target_id=user.id,
        community_id=community_id,
        after={"grid_id": grid, "building": building, "unit": unit, "card_id": card.id},
    )
    emit_event(
        "card_holder.registered",
        aggregate_type="user",
        aggregate_id=user.id,
        community_id=community_id,
        payload={"user_id": user.id, "grid_id": grid, "registered_by": actor.id},
    )
    db.session.commit()
    return holder


def holder_view(holder: CardHolder, *, with_phone: bool = False) -> dict:
    user = db.session.get(User, holder.user_id)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    card = cards.active_card(holder.user_id)
    view = {
        "id": user.id,
        "name": mask_name(user.real_name),
        "building": holder.building,
        "unit": holder.unit,
        "grid": (
            {"id": membership.grid.id, "name": membership.grid.name}
            if membership and membership.grid
            else None
        ),
        "card": cards.card_view(card) if card else None,
        "locked": holder.locked_at is not None,
        "bound": holder.bound_at is not None,
        "registered_at": holder.registered_at,
    }
    if with_phone:
        view["phone"] = mask_phone(user.phone)
    return view


def get_card_holder(actor: User, holder_id: int) -> dict:
    """One holder for the staff who may act for them (the phone masked)."""
    return holder_view(holder_for(actor, holder_id), with_phone=True)


def search_card_holders(
    actor: User, q: str | None, limit: int, cursor: str | None, grid_id: int | None = None
) -> Page:
    """Card holders the caller may act for (a worker: their grids'), by a part of the name."""
    community_id = require_membership(actor).community_id
    stmt = (
        select(CardHolder)
        .join(Membership, Membership.user_id == CardHolder.user_id)
        .join(User, User.id == CardHolder.user_id)
        .where(CardHolder.community_id == community_id, User.is_active.is_(True))
    )
    if not has_role(actor, community_id, *STAFF_ROLES):
        own = [
            g.grid_id
            for g in grants_of(actor, community_id)
            if g.role == "grid_worker" and g.grid_id
        ]
        if not own:
            raise Forbidden("只有社区工作人员或网格员可以查看持卡居民", code="not_card_staff")
        stmt = stmt.where(Membership.grid_id.in_(own))
    if grid_id is not None:
        stmt = stmt.where(Membership.grid_id == grid_id)
    if q and q.strip():
        name = func.coalesce(User.real_name, "")
        stmt = stmt.where(name.contains(q.strip(), autoescape=True))
    page = paginate_by_id(db.session, stmt, CardHolder.user_id, limit, cursor)
    page.items = [holder_view(h) for h in page.items]
    return page

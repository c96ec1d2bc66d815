"""The catalogue of grid-service items (走访, 调解, 代办, 帮扶 ...), managed by admins."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.authz import authorize, has_role, require_membership
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.grid.service_log_models import ServiceItem
from server.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.http.pagination import paginate_by_id

ITEM_FIELDS = ("name", "description", "points", "rule", "beneficiary", "active", "sort_order")
# Keeps the catalogue (and the per-kind counts of a performance row) a short list.
MAX_ITEMS_PER_COMMUNITY = 100


def item_view(item: ServiceItem) -> dict:
    return {
        "id": item.id,
        "code": item.code,
        **{field: getattr(item, field) for field in ITEM_FIELDS},
    }


def _admin_community(actor: User) -> int:
    """The community the admin manages (their own); 403 for anyone else."""
    membership = require_membership(actor)
    authorize(
        actor,
        community_id=membership.community_id,
        roles=("admin",),
        message="只有管理员可以管理网格服务项目",
    )
    return membership.community_id


def item_in(community_id: int, item_id: int) -> ServiceItem:
    """An item of this community; 422 otherwise (another community's looks absent)."""
    item = get_by_id(ServiceItem, item_id)
    if item is None or item.community_id != community_id:
        raise Unprocessable(
            "网格服务项目不存在", code="unknown_service_item", details={"item_id": item_id}
        )
    return item


def list_items(user: User, limit: int, cursor: str | None, *, include_inactive: bool = False):
    """The caller's community catalogue, oldest first; inactive items only for its admins."""
    community_id = require_membership(user).community_id
    if include_inactive and not has_role(user, community_id, "admin"):
        raise Forbidden("只有管理员可以查看已停用的项目", code="not_an_admin")
    stmt = select(ServiceItem).where(ServiceItem.community_id == community_id)
    if not include_inactive:
        stmt = stmt.where(ServiceItem.active.is_(True))
    page = paginate_by_id(db.session, stmt, ServiceItem.id, limit, cursor, desc=False)
    page.items = [item_view(item) for item in page.items]
    return page


def create_item(actor: User, **fields) -> ServiceItem:
    """Add a service item to the admin's community (audited)."""
    community_id = _admin_community(actor)
    count = db.session.scalar(
        select(func.count(ServiceItem.id)).where(ServiceItem.community_id == community_id)
    )
    if count >= MAX_ITEMS_PER_COMMUNITY:
        raise Conflict(
            f"每个社区最多 {MAX_ITEMS_PER_COMMUNITY} 个网格服务项目",
            code="service_items_full",
            details={"max": MAX_ITEMS_PER_COMMUNITY},
        )
    item = ServiceItem(
        community_id=community_id,
        code=fields["code"].strip(),
        name=fields["name"].strip(),
        description=(fields.get("description") or "").strip(),
        points=fields["points"],
        rule=fields.get("rule") or "review",
        beneficiary=fields.get("beneficiary") or "worker",
        active=fields.get("active", True),
        sort_order=fields.get("sort_order") or 0,
    )
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        raise Conflict("项目编码已存在", code="service_item_code_exists") from None
    record_audit(
        actor_id=actor.id,
        action="service_item.create",
        target_type="service_item",
        target_id=item.id,
        community_id=community_id,
        after=item_view(item),
    )
    db.session.commit()
    return item


def update_item(actor: User, item_id: int, changes: dict) -> ServiceItem:
    """Change an item's name, description, points, rule, order or active flag (audited).

    Logs already recorded keep the points and rule they were recorded with.
    """
    community_id = _admin_community(actor)
    item = get_by_id(ServiceItem, item_id)
    if item is None or item.community_id != community_id:
        raise NotFound("网格服务项目不存在", code="service_item_not_found")
    before = item_view(item)
    for field in ITEM_FIELDS:
        if field in changes:
            value = changes[field]
            setattr(item, field, value.strip() if isinstance(value, str) else value)
    after = item_view(item)
    if after != before:
        record_audit(
            actor_id=actor.id,
            action="service_item.update",
            target_type="service_item",
            target_id=item.id,
            community_id=community_id,
            before=before,
            after=after,
        )
    db.session.commit()
    return item

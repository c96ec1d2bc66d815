"""The point catalogue: categories, items and their dated values, managed by admins."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from server.auth.models import User
from server.community.authz import authorize, has_role, require_membership
from server.db.audit import jsonable, record_audit
from server.db.session import db, get_by_id
from server.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.http.pagination import paginate_by_id
from server.platform.localtime import local_today
from server.points.catalogue_views import item_view, version_view
from server.points.models import PointCategory, PointItem, PointItemVersion

ITEM_FIELDS = ("name", "category_id", "account_kinds", "daily_cap", "monthly_cap", "active")


def _admin_community(actor: User) -> int:
    """The community the admin manages (their own); 403 for anyone else."""
    membership = require_membership(actor)
    authorize(actor, community_id=membership.community_id, roles=("admin",))
    return membership.community_id


def _category_in(community_id: int, category_id: int) -> PointCategory:
    category = get_by_id(PointCategory, category_id)
    if category is None or category.community_id != community_id:
        raise Unprocessable(
            "积分类别不存在", code="unknown_category", details={"category_id": category_id}
        )
    return category


def item_in(community_id: int, item_id: int) -> PointItem:
    """An item of this community; 422 `unknown_item` otherwise (other communities' look absent)."""
    item = get_by_id(PointItem, item_id)
    if item is None or item.community_id != community_id:
        raise Unprocessable("积分项目不存在", code="unknown_item", details={"item_id": item_id})
    return item


def _admin_item(actor: User, item_id: int) -> PointItem:
    community_id = _admin_community(actor)
    item = get_by_id(PointItem, item_id)
    if item is None or item.community_id != community_id:
        raise NotFound("积分项目不存在", code="item_not_found")
    return item


def list_categories(user: User, limit: int, cursor: str | None):
    membership = require_membership(user)
    stmt = select(PointCategory).where(PointCategory.community_id == membership.community_id)
    return paginate_by_id(db.session, stmt, PointCategory.id, limit, cursor, desc=False)


def list_items(
    user: User,
    limit: int,
    cursor: str | None,
    *,
    category_id: int | None = None,
    include_inactive: bool = False,
):
    """The caller's community catalogue; inactive items only for its admins."""
    membership = require_membership(user)
    community_id = membership.community_id
    if include_inactive and not has_role(user, community_id, "admin"):
        raise Forbidden("只有管理员可以查看已停用的项目")
    stmt = (
        select(PointItem)
        .where(PointItem.community_id == community_id)
        .options(selectinload(PointItem.versions), selectinload(PointItem.category))
    )
    if not include_inactive:
        stmt = stmt.where(PointItem.active.is_(True))
    if category_id is not None:
        stmt = stmt.where(PointItem.category_id == category_id)
    page = paginate_by_id(db.session, stmt, PointItem.id, limit, cursor, desc=False)
    today = local_today()
    page.items = [item_view(item, today) for item in page.items]
    return page


def create_category(actor: User, **fields) -> PointCategory:
    """Add a category (code, name, sort_order) to the admin's community (audited)."""
    category = add_category(_admin_community(actor), actor.id, **fields)
    db.session.commit()
    return category


def add_category(
    community_id: int, actor_id: int | None, *, code: str, name: str, sort_order: int = 0
) -> PointCategory:
    """create_category's rule in the caller's transaction (the set-up import uses it too)."""
    category = PointCategory(
        community_id=community_id, code=code.strip(), name=name.strip(), sort_order=sort_order
    )
    try:
        with db.session.begin_nested():
            db.session.add(category)
    except IntegrityError:
        raise Conflict("类别编码已存在", code="category_code_exists") from None
    record_audit(
        actor_id=actor_id,
        action="point_category.create",
        target_type="point_category",
        target_id=category.id,
        community_id=community_id,
        after={"code": category.code, "name": category.name, "sort_order": sort_order},
    )
    return category


def create_item(actor: User, **fields) -> PointItem:
    """Add an item with its first value, in force from `effective_from` (default today)."""
    item = add_item(_admin_community(actor), actor.id, **fields)
    db.session.commit()
    return item


def add_item(
    community_id: int,
    actor_id: int | None,
    *,
    category_id: int,
    code: str,
    name: str,
    points: int,
    direction: str = "earn",
    account_kinds: list[str] | None = None,
    daily_cap: int | None = None,
    monthly_cap: int | None = None,
    active: bool = True,
    effective_from: date | None = None,
) -> PointItem:
    """create_item's rule in the caller's transaction (the set-up import uses it too)."""
    category = _category_in(community_id, category_id)
    effective_from = effective_from or local_today()
    _check_not_past(effective_from)
    item = PointItem(
        community_id=community_id,
        category_id=category.id,
        code=code.strip(),
        name=name.strip(),
        direction=direction,
        daily_cap=daily_cap,
        monthly_cap=monthly_cap,
        active=active,
    )
    if account_kinds is not None:
        item.account_kinds = list(account_kinds)
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        raise Conflict("项目编码已存在", code="item_code_exists") from None
    db.session.add(PointItemVersion(item_id=item.id, points=points, effective_from=effective_from))
    db.session.flush()
    db.session.refresh(item)
    view = item_view(item)
    if view["points"] is None and view["next_version"] is None:
        view["next_version"] = {"points": points, "effective_from": effective_from}
    record_audit(
        actor_id=actor_id,
        action="point_item.create",
        target_type="point_item",
        target_id=item.id,
        community_id=community_id,
        after=jsonable(view),
    )
    return item


def update_item(actor: User, item_id: int, changes: dict) -> PointItem:
    """Change an item's name, category, caps, account kinds or active flag (audited)."""
    item = _admin_item(actor, item_id)
    if "category_id" in changes:
        _category_in(item.community_id, changes["category_id"])
    before = {f: getattr(item, f) for f in ITEM_FIELDS}
    for field in ITEM_FIELDS:
        if field in changes:
            value = changes[field]
            if field == "name":
                value = value.strip()
            if field == "account_kinds":
                value = list(value)
            setattr(item, field, value)
    after = {f: getattr(item, f) for f in ITEM_FIELDS}
    if after != before:
        record_audit(
            actor_id=actor.id,
            action="point_item.update",
            target_type="point_item",
            target_id=item.id,
            community_id=item.community_id,
            before=before,
            after=after,
        )
    db.session.commit()
    db.session.refresh(item)
    return item


def _check_not_past(effective_from: date) -> None:
    # Entries already posted used the values of past days; those values never change.
    today = local_today()
    if effective_from < today:
        raise Unprocessable(
            "生效日期不能早于今天",
            code="effective_from_in_past",
            details={"today": today.isoformat()},
        )


def add_version(actor: User, item_id: int, *, points: int, effective_from: date):
    """Give an item a new value from a date on (today or later); older values are kept.

    A value already scheduled for a future date may be replaced (nothing has used it yet);
    one in force today may not.
    """
    item = _admin_item(actor, item_id)
    _check_not_past(effective_from)
    existing = db.session.scalar(
        select(PointItemVersion).where(
            PointItemVersion.item_id == item.id,
            PointItemVersion.effective_from == effective_from,
        )
    )
    before_current = item.version_on(effective_from)
    before = jsonable(version_view(before_current)) if before_current else None
    if existing is not None:
        if effective_from <= local_today():
            raise Conflict(
                "该日期已有生效的分值，请选择以后的日期",
                code="version_exists",
                details={"version_id": existing.id},
            )
        existing.points = points
        version = existing
        action = "point_item.version_replace"
    else:
        version = PointItemVersion(item_id=item.id, points=points, effective_from=effective_from)
        try:
            with db.session.begin_nested():
                db.session.add(version)
        except IntegrityError:
            raise Conflict("该日期的分值正在被修改，请重试", code="version_exists") from None
        action = "point_item.version_add"
    db.session.flush()
    record_audit(
        actor_id=actor.id,
        action=action,
        target_type="point_item",
        target_id=item.id,
        community_id=item.community_id,
        before=before,
        after=jsonable(version_view(version)),
    )
    db.session.commit()
    return version


def list_versions(actor: User, item_id: int, limit: int, cursor: str | None):
    """The value history of an item, oldest first (admins)."""
    item = _admin_item(actor, item_id)
    stmt = select(PointItemVersion).where(PointItemVersion.item_id == item.id)
    return paginate_by_id(db.session, stmt, PointItemVersion.id, limit, cursor, desc=False)

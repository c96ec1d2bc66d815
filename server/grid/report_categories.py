"""Report categories and the reporter-points setting: admin-managed, audited, per community."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.authz import require_membership
from server.community.service import require_admin
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.grid.report_models import DEFAULT_REPORTER_POINTS, ReportCategory, ReportSettings
from server.http.errors import Conflict, NotFound
from server.http.pagination import paginate_by_id

CATEGORY_FIELDS = ("name", "photo_required", "accept_within", "resolve_within", "active")


class CategoryNotFound(NotFound):
    code, message = "report_category_not_found", "问题分类不存在"


def category_view(category: ReportCategory) -> dict:
    return {"id": category.id, **{name: getattr(category, name) for name in CATEGORY_FIELDS}}


def list_categories(user: User, limit: int, cursor: str | None, include_inactive=False):
    """The caller's community's categories (active ones unless asked otherwise)."""
    membership = require_membership(user)
    stmt = select(ReportCategory).where(ReportCategory.community_id == membership.community_id)
    if not include_inactive:
        stmt = stmt.where(ReportCategory.active.is_(True))
    page = paginate_by_id(db.session, stmt, ReportCategory.id, limit, cursor, desc=False)
    page.items = [category_view(c) for c in page.items]
    return page


def category_in(community_id: int, category_id: int) -> ReportCategory:
    category = get_by_id(ReportCategory, category_id)
    if category is None or category.community_id != community_id:
        raise CategoryNotFound(details={"category_id": category_id})
    return category


def _save(category: ReportCategory) -> None:
    # Read before the flush: a refused UPDATE expires the row, and loading it again would fail.
    name = category.name
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            "同名的问题分类已存在", code="report_category_exists", details={"name": name}
        ) from None


def create_category(actor: User, **fields) -> dict:
    """Add a category to the admin's community (audited)."""
    community_id = require_membership(actor).community_id
    require_admin(actor, community_id)
    category = ReportCategory(community_id=community_id, **fields)
    db.session.add(category)
    _save(category)
    record_audit(
        actor_id=actor.id,
        action="report_category.create",
        target_type="report_category",
        target_id=category.id,
        community_id=community_id,
        after=category_view(category),
    )
    db.session.commit()
    return category_view(category)


def update_category(actor: User, category_id: int, changes: dict) -> dict:
    """Change a category; reports already posted keep the SLA they were posted with."""
    community_id = require_membership(actor).community_id
    require_admin(actor, community_id)
    category = category_in(community_id, category_id)
    before = category_view(category)
    for name, value in changes.items():
        setattr(category, name, value)
    _save(category)
    record_audit(
        actor_id=actor.id,
        action="report_category.update",
        target_type="report_category",
        target_id=category.id,
        community_id=community_id,
        before=before,
        after=category_view(category),
    )
    db.session.commit()
    return category_view(category)


def reporter_points(community_id: int) -> int:
    """Points a validated report earns its reporter in this community."""
    settings = db.session.get(ReportSettings, community_id)
    return DEFAULT_REPORTER_POINTS if settings is None else settings.reporter_points


def get_settings(actor: User) -> dict:
    community_id = require_membership(actor).community_id
    require_admin(actor, community_id)
    return {"reporter_points": reporter_points(community_id)}


def update_settings(actor: User, *, reporter_points: int) -> dict:
    """Set the points a validated report earns (audited); 0 turns the reward off."""
    community_id = require_membership(actor).community_id
    require_admin(actor, community_id)
    settings = db.session.get(ReportSettings, community_id)
    before = {"reporter_points": DEFAULT_REPORTER_POINTS if settings is None else None}
    if settings is None:
        settings = ReportSettings(community_id=community_id)
        db.session.add(settings)
    else:
        before = {"reporter_points": settings.reporter_points}
    settings.reporter_points = reporter_points
    record_audit(
        actor_id=actor.id,
        action="report_settings.update",
        target_type="community",
        target_id=community_id,
        community_id=community_id,
        before=before,
        after={"reporter_points": reporter_points},
    )
    db.session.commit()
    return {"reporter_points": reporter_points}

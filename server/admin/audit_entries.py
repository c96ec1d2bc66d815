"""操作日志: the community's audit entries (server/db/audit.py), newest first, for its admins
and reviewers; filters by action, actor name, target type and local dates. The console shows
them (`readable`), the API returns them as they are (GET /admin/communities/{id}/audit-entries)."""

import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from server.auth.models import User
from server.community.authz import authorize
from server.community.people import display_names
from server.db.audit import AuditLog
from server.db.session import db
from server.http.errors import BadRequest
from server.http.pagination import Page, paginate_by_id
from server.platform.localtime import SHANGHAI

FIELD_MAX = 64


def _bounded(value: str | None, label: str) -> str | None:
    value = (value or "").strip() or None
    if value and len(value) > FIELD_MAX:
        raise BadRequest(f"{label}最多 {FIELD_MAX} 个字", code="invalid_filter")
    return value


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def readable(change: dict | None) -> str:
    """A before/after snapshot as `field: value` lines (nested values as compact JSON)."""
    if not change:
        return "—"
    return "\n".join(f"{key}: {_shown(value)}" for key, value in change.items())


def _shown(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


def list_audit_entries(
    user: User,
    community_id: int,
    *,
    action: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """The community's audit entries, newest first; `actor` matches part of the actor's name."""
    authorize(user, community_id=community_id, roles=("admin", "reviewer"))
    action, target_type = _bounded(action, "操作"), _bounded(target_type, "对象类型")
    actor = _bounded(actor, "操作人")
    if day_from and day_to and day_from > day_to:
        raise BadRequest("开始日期不能晚于结束日期", code="invalid_date_range")
    stmt = select(AuditLog).where(AuditLog.community_id == community_id)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action, autoescape=True))
    if target_type:
        stmt = stmt.where(AuditLog.target_type == target_type)
    if actor:
        name = func.coalesce(User.real_name, User.nickname, "")
        stmt = stmt.where(
            AuditLog.actor_id.in_(select(User.id).where(name.contains(actor, autoescape=True)))
        )
    if day_from:
        stmt = stmt.where(AuditLog.created_at >= _start_of(day_from))
    if day_to:
        stmt = stmt.where(AuditLog.created_at < _start_of(day_to + timedelta(days=1)))
    page = paginate_by_id(db.session, stmt, AuditLog.id, limit, cursor)
    names = display_names(row.actor_id for row in page.items)
    items = [
        {
            "id": row.id,
            "at": row.created_at,
            "actor_id": row.actor_id,
            "actor": names.get(row.actor_id, "系统" if row.actor_id is None else "—"),
            "action": row.action,
            "target_type": row.target_type,
            "target_id": row.target_id,
            "before": row.before,
            "after": row.after,
        }
        for row in page.items
    ]
    return Page(items, page.next_cursor)


def audit_target_types(user: User, community_id: int) -> list[str]:
    """The target types the community's entries use (the filter's choices)."""
    authorize(user, community_id=community_id, roles=("admin", "reviewer"))
    stmt = select(AuditLog.target_type).where(AuditLog.community_id == community_id).distinct()
    return sorted(db.session.scalars(stmt.limit(100)))

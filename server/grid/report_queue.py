"""Who sees a report, the report views, the lists and the per-grid open and overdue counts.

A resident sees their own reports; a grid worker the reports now routed to their grid
(transfers to it included, once released from content review); the community's reviewers
and admins every report of their community. Anything else looks absent (404).
"""

from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select

from server.auth.models import User
from server.community.authz import grants_of, has_role, require_membership
from server.community.models import Grid
from server.db.session import db, get_by_id
from server.grid import report_sla
from server.grid.report_models import OPEN_STATUSES, Report, ReportCategory
from server.http.errors import Forbidden, NotFound
from server.http.pagination import paginate_by_id
from server.platform.masking import mask_name
from server.uploads import service as uploads

COMMUNITY_ROLES = ("reviewer", "admin")
REOPEN_WINDOW = timedelta(days=7)


class ReportNotFound(NotFound):
    code, message = "report_not_found", "问题不存在或无权查看"


def worker_grid_ids(user: User, community_id: int) -> list[int]:
    return [
        g.grid_id
        for g in grants_of(user, community_id)
        if g.role == "grid_worker" and g.grid_id is not None
    ]


def is_community_handler(user: User, community_id: int) -> bool:
    return has_role(user, community_id, *COMMUNITY_ROLES)


def is_grid_handler(user: User, report: Report) -> bool:
    return report.grid_id is not None and has_role(
        user, report.community_id, "grid_worker", grid_id=report.grid_id
    )


def can_see(user: User, report: Report) -> bool:
    if report.reporter_id == user.id:
        return True
    if is_community_handler(user, report.community_id):
        return True
    return report.status != "in_review" and is_grid_handler(user, report)


def _photo_visible(user: User, upload) -> bool:
    try:
        report = db.session.get(Report, int(upload.attached_id))
    except (TypeError, ValueError):
        return False
    return report is not None and can_see(user, report)


uploads.register_access_check("report", _photo_visible)


def visible_report(user: User, report_id: int) -> Report:
    report = get_by_id(Report, report_id)
    if report is None or not can_see(user, report):
        raise ReportNotFound()
    return report


def _person(users: dict, user_id: int | None, viewer: User):
    if user_id is None:
        return None
    name = users[user_id].display_name
    return {"id": user_id, "name": name if user_id == viewer.id else mask_name(name)}


def _photos(ids) -> list[dict]:
    return [{"id": pid, "url": f"/api/v1/uploads/{pid}"} for pid in ids or []]


def report_views(viewer: User, reports: list[Report]) -> list[dict]:
    """Reports as the API shows them; names masked except the viewer's own, no phones."""
    if not reports:
        return []
    user_ids = {r.reporter_id for r in reports}
    user_ids |= {r.accepted_by for r in reports if r.accepted_by}
    user_ids |= {r.resolved_by for r in reports if r.resolved_by}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    categories = {
        c.id: c
        for c in db.session.scalars(
            select(ReportCategory).where(ReportCategory.id.in_({r.category_id for r in reports}))
        )
    }
    grid_ids = {r.grid_id for r in reports if r.grid_id}
    grids = {g.id: g for g in db.session.scalars(select(Grid).where(Grid.id.in_(grid_ids)))}
    at = report_sla.now()
    out = []
    for r in reports:
        grid = grids.get(r.grid_id)
        out.append(
            {
                "id": r.id,
                "community_id": r.community_id,
                "category": {"id": r.category_id, "name": categories[r.category_id].name},
                "grid": {"id": grid.id, "name": grid.name} if grid else None,
                "reporter": _person(users, r.reporter_id, viewer),
                "text": r.text,
                "place": r.place,
                "latitude": r.latitude,
                "longitude": r.longitude,
                "photos": _photos(r.photo_ids),
                "status": r.status,
                "content_verdict": r.content_verdict,
                "accept_due_at": r.accept_due_at,
                "resolve_due_at": r.resolve_due_at,
                "overdue": report_sla.is_overdue(r, at),
                "paused": r.status == "waiting",
                "accepted_by": _person(users, r.accepted_by, viewer),
                "accepted_at": r.accepted_at,
                "resolved_by": _person(users, r.resolved_by, viewer),
                "resolved_at": r.resolved_at,
                "resolution_note": r.resolution_note,
                "resolution_photos": _photos(r.resolution_photo_ids),
                "reopen_until": (r.resolved_at + REOPEN_WINDOW if r.status == "resolved" else None),
                "rating": r.rating,
                "feedback": r.feedback,
                "confirmed_at": r.confirmed_at,
                "duplicate_of_id": r.duplicate_of_id,
                "last_reason": r.last_reason,
                "reopened_count": r.reopened_count,
                "points_credited": r.reporter_entry_id is not None,
                "created_at": r.created_at,
            }
        )
    return out


def overdue_clause(at):
    """The SQL of report_sla.is_overdue, for lists and counts."""
    return or_(
        and_(Report.status == "submitted", Report.accept_due_at < at),
        and_(Report.status.in_(OPEN_STATUSES), Report.resolve_due_at < at),
    )


def list_reports(user: User, limit: int, cursor: str | None, *, scope="mine", **filters):
    """`mine`: the caller's reports, newest first. `grid`: the caller's grids' queue, oldest
    first. `community`: every report of the community (reviewers and admins), oldest first."""
    community_id = require_membership(user).community_id
    stmt = select(Report).where(Report.community_id == community_id)
    desc = scope == "mine"
    if scope == "mine":
        stmt = stmt.where(Report.reporter_id == user.id)
    elif scope == "grid":
        grid_ids = worker_grid_ids(user, community_id)
        if not grid_ids:
            raise Forbidden("只有网格员可以查看网格问题队列", code="not_a_grid_worker")
        stmt = stmt.where(Report.grid_id.in_(grid_ids), Report.status != "in_review")
    else:
        if not is_community_handler(user, community_id):
            raise Forbidden("只有审核员或管理员可以查看社区问题", code="not_a_reviewer")
        if filters.get("unassigned"):
            stmt = stmt.where(Report.grid_id.is_(None))
    if filters.get("grid_id"):
        stmt = stmt.where(Report.grid_id == filters["grid_id"])
    if filters.get("status"):
        stmt = stmt.where(Report.status == filters["status"])
    elif filters.get("open_only"):
        stmt = stmt.where(Report.status.in_(OPEN_STATUSES))
    if filters.get("overdue") is not None:
        clause = overdue_clause(report_sla.now())
        stmt = stmt.where(clause if filters["overdue"] else ~clause)
    page = paginate_by_id(db.session, stmt, Report.id, limit, cursor, desc=desc)
    page.items = report_views(user, page.items)
    return page


def _counts(community_id: int, grid_ids: list[int] | None) -> dict:
    at = report_sla.now()
    stmt = (
        select(
            Report.grid_id,
            func.count(Report.id),
            func.sum(case((overdue_clause(at), 1), else_=0)),
        )
        .where(Report.community_id == community_id, Report.status.in_(OPEN_STATUSES))
        .group_by(Report.grid_id)
    )
    if grid_ids is not None:
        stmt = stmt.where(Report.grid_id.in_(grid_ids))
    else:
        stmt = stmt.where(Report.grid_id.is_(None))
    return {grid_id: (n, int(late or 0)) for grid_id, n, late in db.session.execute(stmt)}


def grid_stats(user: User, limit: int, cursor: str | None) -> dict:
    """Open and overdue report counts per grid (a page of grids) and in the community queue."""
    community_id = require_membership(user).community_id
    if not is_community_handler(user, community_id):
        raise Forbidden("只有审核员或管理员可以查看网格统计", code="not_a_reviewer")
    stmt = select(Grid).where(Grid.community_id == community_id)
    page = paginate_by_id(db.session, stmt, Grid.id, limit, cursor, desc=False)
    counts = _counts(community_id, [g.id for g in page.items])
    queue = _counts(community_id, None).get(None, (0, 0))
    items = [
        {
            "grid": {"id": g.id, "name": g.name},
            "open": counts.get(g.id, (0, 0))[0],
            "overdue": counts.get(g.id, (0, 0))[1],
        }
        for g in page.items
    ]
    return {
        "items": items,
        "next_cursor": page.next_cursor,
        "queue": {"open": queue[0], "overdue": queue[1]},
    }

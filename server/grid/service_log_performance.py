"""Monthly performance of grid workers, from their service logs and the reports they closed.

A worker sees their own month; the community's reviewers and admins see every worker's.
Only approved (credited) logs count as delivered service; pending ones are counted apart.
Reports count in the month their reporter confirmed them (report_points.closed_reports_by_worker).
The month is the Asia/Shanghai month of `served_at`, stored on each log as `served_month`.
"""

from sqlalchemy import distinct, func, select

from server.auth.models import User
from server.community.authz import has_role, require_membership
from server.community.models import RoleGrant
from server.db.session import db
from server.db.types import utcnow
from server.grid.report_points import closed_reports_by_worker
from server.grid.service_log_models import ServiceItem, ServiceLog
from server.grid.service_log_queue import REVIEWER_ROLES
from server.grid.service_logs import NotAGridWorker
from server.http.errors import Forbidden
from server.http.pagination import paginate_by_id
from server.platform.localtime import month_of
from server.platform.masking import mask_name


def _empty(user: User, month: str) -> dict:
    return {
        "worker": {"id": user.id, "name": mask_name(user.display_name)},
        "month": month,
        "logs": 0,
        "pending_logs": 0,
        "minutes": 0,
        "hours": 0.0,
        "points": 0,
        "residents_reached": 0,
        "kinds": [],
        "reports_closed": 0,
        "average_rating": None,
    }


def _stats(community_id: int, month: str, workers: list[User]) -> list[dict]:
    """One performance row per worker, in the given order, in three grouped queries."""
    rows = {w.id: _empty(w, month) for w in workers}
    if not rows:
        return []
    scope = (
        ServiceLog.community_id == community_id,
        ServiceLog.served_month == month,
        ServiceLog.worker_id.in_(list(rows)),
    )
    totals = db.session.execute(
        select(
            ServiceLog.worker_id,
            ServiceLog.status,
            func.count(ServiceLog.id),
            func.coalesce(func.sum(ServiceLog.duration_minutes), 0),
            func.coalesce(func.sum(ServiceLog.points), 0),
            func.count(distinct(ServiceLog.resident_id)),
        )
        .where(*scope, ServiceLog.status.in_(("approved", "pending")))
        .group_by(ServiceLog.worker_id, ServiceLog.status)
    )
    for worker_id, status, count, minutes, points, residents in totals:
        row = rows[worker_id]
        if status == "pending":
            row["pending_logs"] = count
            continue
        row.update(
            logs=count,
            minutes=int(minutes),
            hours=round(int(minutes) / 60, 1),
            points=int(points),
            residents_reached=residents,
        )
    kinds = db.session.execute(
        select(ServiceLog.worker_id, ServiceItem.id, ServiceItem.code, ServiceItem.name)
        .add_columns(func.count(ServiceLog.id))
        .join(ServiceItem, ServiceItem.id == ServiceLog.item_id)
        .where(*scope, ServiceLog.status == "approved")
        .group_by(ServiceLog.worker_id, ServiceItem.id, ServiceItem.code, ServiceItem.name)
        .order_by(ServiceLog.worker_id, ServiceItem.id)
    )
    for worker_id, item_id, code, name, count in kinds:
        rows[worker_id]["kinds"].append(
            {"item_id": item_id, "code": code, "name": name, "count": count}
        )
    for worker_id, closed in closed_reports_by_worker(community_id, month).items():
        if worker_id in rows:
            rows[worker_id].update(
                reports_closed=closed["closed"], average_rating=closed["average_rating"]
            )
    return [rows[w.id] for w in workers]


def my_performance(user: User, month: str | None = None) -> dict:
    """The caller's own month (grid workers)."""
    community_id = require_membership(user).community_id
    if not has_role(user, community_id, "grid_worker"):
        raise NotAGridWorker()
    return _stats(community_id, month or month_of(utcnow()), [user])[0]


def community_performance(
    user: User,
    limit: int,
    cursor: str | None,
    month: str | None = None,
    grid_id: int | None = None,
    worker_id: int | None = None,
):
    """Every grid worker of the caller's community (or of one grid, or one worker), by id
    (reviewers, admins)."""
    community_id = require_membership(user).community_id
    if not has_role(user, community_id, *REVIEWER_ROLES):
        raise Forbidden("只有审核员或管理员可以查看网格员绩效", code="not_a_reviewer")
    workers = select(RoleGrant.user_id).where(
        RoleGrant.community_id == community_id, RoleGrant.role == "grid_worker"
    )
    if grid_id is not None:
        workers = workers.where(RoleGrant.grid_id == grid_id)
    if worker_id is not None:
        workers = workers.where(RoleGrant.user_id == worker_id)
    stmt = select(User).where(User.id.in_(workers))
    page = paginate_by_id(db.session, stmt, User.id, limit, cursor, desc=False)
    page.items = _stats(community_id, month or month_of(utcnow()), page.items)
    return page

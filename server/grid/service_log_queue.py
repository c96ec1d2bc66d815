"""Who sees a service log (its worker, the community's reviewers and admins), and the lists."""

from sqlalchemy import select

from server.auth.models import User
from server.community.authz import has_role, membership_of
from server.community.models import Grid
from server.db.session import db, get_by_id
from server.grid.service_log_models import ServiceItem, ServiceLog
from server.http.errors import Forbidden, NotFound
from server.http.pagination import paginate_by_id
from server.platform.masking import mask_name
from server.uploads import service as uploads

REVIEWER_ROLES = ("reviewer", "admin")
ATTACHED_TYPE = "service_log"


class ServiceLogNotFound(NotFound):
    code, message = "service_log_not_found", "服务记录不存在或无权查看"


def can_see(user: User, log: ServiceLog) -> bool:
    """The worker who recorded it, and the reviewers and admins of its community."""
    return log.worker_id == user.id or has_role(user, log.community_id, *REVIEWER_ROLES)


def _photo_visible(user: User, upload) -> bool:
    try:
        log = db.session.get(ServiceLog, int(upload.attached_id))
    except (TypeError, ValueError):
        return False
    return log is not None and can_see(user, log)


uploads.register_access_check(ATTACHED_TYPE, _photo_visible)


def _person(users: dict, user_id: int | None) -> dict | None:
    # Logs are read by people other than those they name: names are always masked.
    if user_id is None:
        return None
    return {"id": user_id, "name": mask_name(users[user_id].display_name)}


def log_views(logs: list[ServiceLog]) -> list[dict]:
    """Logs as the API shows them, loading names, items and grids in a few queries."""
    if not logs:
        return []
    user_ids = {log.worker_id for log in logs}
    user_ids |= {log.resident_id for log in logs if log.resident_id}
    user_ids |= {log.decided_by for log in logs if log.decided_by}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    items = {
        i.id: i
        for i in db.session.scalars(
            select(ServiceItem).where(ServiceItem.id.in_({log.item_id for log in logs}))
        )
    }
    grids = {
        g.id: g
        for g in db.session.scalars(select(Grid).where(Grid.id.in_({log.grid_id for log in logs})))
    }
    out = []
    for log in logs:
        item, grid = items[log.item_id], grids[log.grid_id]
        out.append(
            {
                "id": log.id,
                "community_id": log.community_id,
                "grid": {"id": grid.id, "name": grid.name},
                "worker": _person(users, log.worker_id),
                "item": {"id": item.id, "code": item.code, "name": item.name},
                "resident": _person(users, log.resident_id),
                "duration_minutes": log.duration_minutes,
                "notes": log.notes,
                "place": log.place,
                "served_at": log.served_at,
                "photos": [
                    {"id": pid, "url": f"/api/v1/uploads/{pid}"} for pid in log.photo_ids or []
                ],
                "rule": log.rule,
                "points": log.points,
                "beneficiary": log.beneficiary,
                "status": log.status,
                "decided_by": _person(users, log.decided_by),
                "decided_at": log.decided_at,
                "decision_reason": log.decision_reason,
                "ledger_entry_id": log.ledger_entry_id,
                "created_at": log.created_at,
            }
        )
    return out


def get_log(user: User, log_id: int) -> ServiceLog:
    log = get_by_id(ServiceLog, log_id)
    if log is None or not can_see(user, log):
        raise ServiceLogNotFound()
    return log


def list_logs(user: User, limit: int, cursor: str | None, *, scope: str = "mine", **filters):
    """`mine`: the caller's own logs, newest first.
    `queue`: the community's logs for its reviewers, oldest first, pending ones by default."""
    stmt = select(ServiceLog)
    if scope == "queue":
        membership = membership_of(user)
        if membership is None or not has_role(user, membership.community_id, *REVIEWER_ROLES):
            raise Forbidden("只有审核员或管理员可以查看审核队列", code="not_a_reviewer")
        stmt = stmt.where(
            ServiceLog.community_id == membership.community_id,
            ServiceLog.status == (filters.get("status") or "pending"),
        )
        desc = False
    else:
        stmt = stmt.where(ServiceLog.worker_id == user.id)
        if filters.get("status"):
            stmt = stmt.where(ServiceLog.status == filters["status"])
        desc = True
    for name in ("grid_id", "worker_id", "item_id"):
        if filters.get(name):
            stmt = stmt.where(getattr(ServiceLog, name) == filters[name])
    page = paginate_by_id(db.session, stmt, ServiceLog.id, limit, cursor, desc=desc)
    page.items = log_views(page.items)
    return page

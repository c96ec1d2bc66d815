"""Recording grid service: a worker logs a service in their own grid, credited per its item.

Decisions on logs that wait for review are in service_log_review.py; who sees what and the
lists in service_log_queue.py.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from server.auth.models import User
from server.community.authz import grants_of, require_membership
from server.community.models import Membership
from server.db.session import db
from server.db.types import utcnow
from server.grid.service_log_items import item_in
from server.grid.service_log_models import ServiceLog
from server.grid.service_log_queue import ATTACHED_TYPE
from server.grid.service_log_review import credit_log, emit_approved
from server.http.errors import Forbidden, Unprocessable
from server.http.pagination import paginate_by_id
from server.outbox.emit import emit_event
from server.platform.localtime import month_of
from server.platform.masking import mask_name
from server.uploads import service as uploads

DEFAULT_MAX_AGE_DAYS = 60
# A phone's clock may run a little ahead of ours; more than this is a wrong date.
FUTURE_LEEWAY = timedelta(minutes=10)


class NotAGridWorker(Forbidden):
    code, message = "not_a_grid_worker", "只有网格员可以进行此操作"


def worker_grid(user: User, community_id: int, grid_id: int | None) -> int:
    """The grid the worker acts in: the one asked for, which must be theirs, or their only one."""
    grids = [
        g.grid_id for g in grants_of(user, community_id) if g.role == "grid_worker" and g.grid_id
    ]
    if not grids:
        raise NotAGridWorker()
    if grid_id is None:
        if len(grids) > 1:
            raise Unprocessable(
                "您负责多个网格，请选择网格", code="grid_required", details={"grid_ids": grids}
            )
        return grids[0]
    if grid_id not in grids:
        raise Forbidden("您不是该网格的网格员", code="not_grid_worker_of_grid")
    return grid_id


def search_residents(user: User, q: str, limit: int, cursor: str | None, grid_id=None):
    """Members of the worker's own grid whose name contains `q`: ids and masked names only."""
    community_id = require_membership(user).community_id
    grid = worker_grid(user, community_id, grid_id)
    if not q.strip():
        raise Unprocessable("请输入居民姓名中的字", code="query_required")
    name = func.coalesce(User.real_name, User.nickname, "")
    stmt = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.community_id == community_id,
            Membership.grid_id == grid,
            User.is_active.is_(True),
            name.contains(q.strip(), autoescape=True),
        )
    )
    page = paginate_by_id(db.session, stmt, User.id, limit, cursor, desc=False)
    page.items = [{"id": u.id, "name": mask_name(u.display_name)} for u in page.items]
    return page


def _check_resident(worker: User, community_id: int, grid_id: int, resident_id: int) -> None:
    if resident_id == worker.id:
        raise Unprocessable("服务对象不能是自己", code="cannot_serve_self")
    in_grid = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == resident_id,
            Membership.community_id == community_id,
            Membership.grid_id == grid_id,
        )
    )
    if in_grid is None:  # another grid's or community's resident, or nobody: all look alike
        raise Unprocessable(
            "该居民不在您负责的网格内",
            code="resident_not_in_grid",
            details={"resident_id": resident_id},
        )


def _check_served_at(served_at: datetime) -> None:
    now = utcnow()
    max_age = int(current_app.config.get("SERVICE_LOG_MAX_AGE_DAYS") or DEFAULT_MAX_AGE_DAYS)
    if served_at > now + FUTURE_LEEWAY:
        raise Unprocessable("服务时间不能晚于现在", code="served_at_in_future")
    if served_at < now - timedelta(days=max_age):
        raise Unprocessable(
            f"只能登记 {max_age} 天内的服务", code="served_at_too_old", details={"days": max_age}
        )


def record_service(
    worker: User,
    *,
    item_id: int,
    duration_minutes: int,
    served_at: datetime,
    place: str,
    notes: str = "",
    resident_id: int | None = None,
    grid_id: int | None = None,
    photo_ids: list[int] | None = None,
) -> ServiceLog:
    """Record a service: credited at once for an `auto` item, else pending a reviewer."""
    photo_ids = list(photo_ids or [])
    place = place.strip()
    if not place:
        raise Unprocessable("请填写服务地点", code="place_required")
    community_id = require_membership(worker).community_id
    grid = worker_grid(worker, community_id, grid_id)
    item = item_in(community_id, item_id)
    if not item.active:
        raise Unprocessable(
            "该项目已停用", code="service_item_inactive", details={"item_id": item.id}
        )
    if resident_id is not None:
        _check_resident(worker, community_id, grid, resident_id)
    elif item.beneficiary == "resident":
        raise Unprocessable(
            "该项目为居民记分，请选择服务对象",
            code="resident_required",
            details={"item_id": item.id},
        )
    _check_served_at(served_at)
    uploads.check_attachable(worker, photo_ids)
    automatic = item.rule == "auto"
    log = ServiceLog(
        community_id=community_id,
        grid_id=grid,
        worker_id=worker.id,
        item_id=item.id,
        resident_id=resident_id,
        duration_minutes=duration_minutes,
        notes=(notes or "").strip(),
        place=place,
        served_at=served_at,
        served_month=month_of(served_at),
        photo_ids=photo_ids,
        rule=item.rule,
        points=item.points,
        beneficiary=item.beneficiary,
        status="approved" if automatic else "pending",
        decided_at=utcnow() if automatic else None,
    )
    db.session.add(log)
    db.session.flush()
    uploads.attach(worker, photo_ids, ATTACHED_TYPE, log.id)
    emit_event(
        "service_log.recorded",
        aggregate_type="service_log",
        aggregate_id=log.id,
        community_id=community_id,
        payload={
            "service_log_id": log.id,
            "worker_id": worker.id,
            "grid_id": grid,
            "item_id": item.id,
            "resident_id": resident_id,
            "rule": log.rule,
            "points": log.points,
            "status": log.status,
        },
    )
    if automatic:
        credit_log(log, None)  # the admin's rule decided; no person decided this log
        emit_approved(log)
    db.session.commit()
    return log

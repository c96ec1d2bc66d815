"""Publishing a task, editing it before it starts, and cancelling it with a reason."""

from datetime import timedelta

from sqlalchemy import select, update

from server.auth.models import User
from server.community.models import PARTY_KINDS, Grid
from server.db.audit import record_audit
from server.db.session import db
from server.http.errors import Conflict, Unprocessable
from server.outbox.emit import emit_event
from server.platform.localtime import local_date
from server.points.models import PointItem
from server.tasks import clock, windows
from server.tasks.models import Task, TaskSignup
from server.tasks.organisers import managed_task, require_organiser
from server.tasks.signup import lock_task, promote_waitlisted

MAX_DURATION = timedelta(days=31)
MAX_LEAD = timedelta(days=366)
EDITABLE = (
    "title",
    "description",
    "reward_kind",
    "point_item_id",
    "points_per_hour",
    "points_cap",
    "starts_at",
    "ends_at",
    "signup_deadline",
    "cancel_deadline",
    "place_name",
    "latitude",
    "longitude",
    "radius_m",
    "capacity",
    "audience",
    "audience_grid_id",
    "audience_party_kind",
    "cover_upload_id",
    "cover_url",
)


def _invalid(message: str, code: str, **details) -> Unprocessable:
    return Unprocessable(message, code=code, details=details)


def _check_reward(community_id: int, f: dict) -> None:
    if f["reward_kind"] == "item":
        if f.get("point_item_id") is None:
            raise _invalid("请选择任务对应的积分项目", "point_item_required", field="point_item_id")
        if f.get("points_per_hour") is not None or f.get("points_cap") is not None:
            raise _invalid("按项目计分的任务不设时长积分", "reward_fields_conflict")
        item = db.session.get(PointItem, f["point_item_id"])
        if item is None or item.community_id != community_id:
            raise _invalid("积分项目不属于本社区", "point_item_not_in_community")
        if not item.active or item.direction != "earn":
            raise _invalid("该积分项目不可用于志愿任务", "point_item_unusable")
        if item.version_on(local_date(f["starts_at"])) is None:
            raise _invalid("该积分项目在任务日期尚无分值", "point_item_no_value")
    else:
        if f.get("points_per_hour") is None or f.get("points_cap") is None:
            raise _invalid("按时长计分需填写每小时积分和封顶积分", "hours_rate_required")
        if f.get("point_item_id") is not None:
            raise _invalid("按时长计分的任务不关联积分项目", "reward_fields_conflict")


def _check_times(f: dict, now) -> None:
    starts, ends = f["starts_at"], f["ends_at"]
    if ends <= starts:
        raise _invalid("结束时间必须晚于开始时间", "invalid_window", field="ends_at")
    if ends - starts > MAX_DURATION:
        raise _invalid("单个任务最长 31 天", "window_too_long", field="ends_at")
    if starts <= now:
        raise _invalid("开始时间必须在当前时间之后", "starts_in_past", field="starts_at")
    if starts - now > MAX_LEAD:
        raise _invalid("只能发布一年内的任务", "starts_too_late", field="starts_at")
    if f["signup_deadline"] > starts:
        raise _invalid("报名截止时间不能晚于开始时间", "invalid_deadline", field="signup_deadline")
    if f["cancel_deadline"] > starts:
        raise _invalid("取消截止时间不能晚于开始时间", "invalid_deadline", field="cancel_deadline")


def _check_place(f: dict) -> None:
    has_lat, has_lng = f.get("latitude") is not None, f.get("longitude") is not None
    if has_lat != has_lng:
        raise _invalid("经纬度需同时填写", "incomplete_location")
    if f.get("radius_m") is not None and not has_lat:
        raise _invalid("设置签到范围需先填写地点经纬度", "radius_without_location")


def _check_audience(community_id: int, f: dict) -> None:
    audience = f["audience"]
    if audience == "grid":
        grid = db.session.get(Grid, f["audience_grid_id"]) if f.get("audience_grid_id") else None
        if grid is None or grid.community_id != community_id:
            raise _invalid("请选择本社区的网格", "grid_not_in_community", field="audience_grid_id")
    elif f.get("audience_grid_id") is not None:
        raise _invalid("仅网格任务需要选择网格", "audience_fields_conflict")
    if f.get("audience_party_kind") is not None:
        if audience != "party_members":
            raise _invalid("仅党员任务可限定党员类型", "audience_fields_conflict")
        if f["audience_party_kind"] not in PARTY_KINDS:
            raise _invalid("党员类型应为在职、自管或流动", "invalid_party_kind")


def _check_cover(f: dict) -> None:
    if f.get("cover_upload_id") is not None and f.get("cover_url") is not None:
        raise _invalid("封面图片只能选择上传文件或链接之一", "cover_fields_conflict")


def validate_fields(community_id: int, f: dict) -> None:
    """Check a complete set of task fields against every publishing rule."""
    now = clock.now()
    _check_times(f, now)
    _check_reward(community_id, f)
    _check_place(f)
    _check_audience(community_id, f)
    _check_cover(f)


def _with_defaults(fields: dict) -> dict:
    f = {name: fields.get(name) for name in EDITABLE}
    f["description"] = (fields.get("description") or "").strip()
    f["title"] = fields["title"].strip()
    f["audience"] = fields.get("audience") or "everyone"
    if f["signup_deadline"] is None:
        f["signup_deadline"] = f["starts_at"]
    if f["cancel_deadline"] is None:
        f["cancel_deadline"] = f["signup_deadline"]
    return f


def snapshot(task: Task) -> dict:
    """The editable fields as JSON-ready values, for audit rows and events."""
    out = {}
    for name in EDITABLE:
        value = getattr(task, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    out["status"] = task.status
    return out


def publish_task(user: User, community_id: int, fields: dict) -> Task:
    """Publish a task in the organiser's community (audited, announced in the outbox)."""
    require_organiser(user, community_id)
    f = _with_defaults(fields)
    validate_fields(community_id, f)
    task = Task(community_id=community_id, organiser_id=user.id, status="published", **f)
    task.confirmed_count = task.waitlisted_count = task.signup_seq = 0
    db.session.add(task)
    db.session.flush()
    after = snapshot(task)
    record_audit(
        actor_id=user.id,
        action="task.publish",
        target_type="task",
        target_id=task.id,
        community_id=community_id,
        after=after,
    )
    emit_event(
        "task.published",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=community_id,
        payload={
            "task_id": task.id,
            "title": task.title,
            "starts_at": after["starts_at"],
            "grid_id": task.audience_grid_id,  # its grid's group hears of it too
        },
    )
    db.session.commit()
    return task


def edit_task(user: User, task_id: int, changes: dict) -> Task:
    """Change a published task (after it starts, only its wording); raising capacity
    promotes the waitlist."""
    managed_task(user, task_id)
    task = lock_task(task_id)
    if task.status != "published":
        raise Conflict("任务已取消或已结束，不能修改", code="task_not_editable")
    windows.require_editable(task, clock.now(), changes)
    before = snapshot(task)
    f = {name: getattr(task, name) for name in EDITABLE}
    f.update(changes)
    if "title" in changes:
        f["title"] = changes["title"].strip()
    if "reward_kind" in changes:
        # Switching the kind drops the other kind's fields unless they are given again.
        other = (
            ("points_per_hour", "points_cap") if f["reward_kind"] == "item" else ("point_item_id",)
        )
        for name in other:
            f[name] = changes.get(name)
    if "audience" in changes:
        for name in ("audience_grid_id", "audience_party_kind"):
            f[name] = changes.get(name)
    if not set(changes) <= windows.WORDING:  # the wording alone meets no publishing rule
        validate_fields(task.community_id, f)
    new_capacity = f.pop("capacity")
    if new_capacity != task.capacity:
        # Never below the seats already given: refuse rather than drop confirmed people.
        resized = db.session.execute(
            update(Task)
            .where(Task.id == task.id, Task.confirmed_count <= new_capacity)
            .values(capacity=new_capacity)
            .returning(Task.id)
        ).first()
        if resized is None:
            raise Conflict(
                "名额不能少于已确认报名人数",
                code="capacity_below_confirmed",
                details={"confirmed": task.confirmed_count},
            )
    for name, value in f.items():
        setattr(task, name, value)
    db.session.flush()
    db.session.refresh(task)
    promoted = promote_waitlisted(task)
    db.session.refresh(task)
    after = snapshot(task)
    record_audit(
        actor_id=user.id,
        action="task.edit",
        target_type="task",
        target_id=task.id,
        community_id=task.community_id,
        before=before,
        after=after,
    )
    changed = sorted(k for k in after if after[k] != before[k])
    emit_event(
        "task.updated",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=task.community_id,
        payload={"task_id": task.id, "changed": changed, "promoted_user_ids": promoted},
    )
    db.session.commit()
    return task


def cancel_task(user: User, task_id: int, reason: str) -> Task:
    """Cancel a published task; every active sign-up is told through the outbox."""
    managed_task(user, task_id)
    task = lock_task(task_id)
    reason = reason.strip()
    if not reason:
        raise _invalid("请填写取消原因", "reason_required", field="reason")
    now = clock.now()
    cancelled = db.session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == "published")
        .values(status="cancelled", cancel_reason=reason, cancelled_at=now, updated_at=now)
        .returning(Task.id)
    ).first()
    if cancelled is None:
        raise Conflict("任务已取消或已结束", code="task_not_cancellable")
    db.session.refresh(task)
    user_ids = list(
        db.session.scalars(
            select(TaskSignup.user_id)
            .where(
                TaskSignup.task_id == task.id,
                TaskSignup.status.in_(("confirmed", "waitlisted")),
            )
            .order_by(TaskSignup.seq)
        )
    )
    for uid in user_ids:
        emit_event(
            "task.signup.task_cancelled",
            aggregate_type="task",
            aggregate_id=task.id,
            community_id=task.community_id,
            payload={"task_id": task.id, "user_id": uid, "title": task.title, "reason": reason},
        )
    record_audit(
        actor_id=user.id,
        action="task.cancel",
        target_type="task",
        target_id=task.id,
        community_id=task.community_id,
        before={"status": "published"},
        after={"status": "cancelled", "reason": reason},
    )
    emit_event(
        "task.cancelled",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=task.community_id,
        payload={"task_id": task.id, "reason": reason, "notified": len(user_ids)},
    )
    db.session.commit()
    return task

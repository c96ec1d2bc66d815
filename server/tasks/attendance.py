"""Attendance: check in and out by scanning the organiser's code, or marked by hand."""

import math
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.acting import record_act
from server.community.authz import membership_of
from server.db.audit import record_audit
from server.db.session import db
from server.db.types import MAX_ID
from server.http.errors import Conflict, Forbidden, Unprocessable
from server.tasks import clock, windows
from server.tasks.checkin_codes import verify_code
from server.tasks.models import Task, TaskAttendance, TaskSignup
from server.tasks.organisers import managed_task, visible_task
from server.tasks.signup import NO_SYNC, signup_of, waitlist_position

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _check_place(task: Task, location: dict | None) -> tuple[float | None, float | None]:
    """Enforce the task's radius; return the coordinates to record."""
    if location is None:
        if task.radius_m is not None:
            raise Unprocessable(
                "该任务需要定位签到，请允许获取位置后重试", code="location_required"
            )
        return None, None
    lat, lng = location["latitude"], location["longitude"]
    if task.radius_m is not None:
        distance = haversine_m(task.latitude, task.longitude, lat, lng)
        if distance > task.radius_m:
            raise Unprocessable(
                "您不在任务地点的签到范围内",
                code="outside_radius",
                details={"distance_m": round(distance), "radius_m": task.radius_m},
            )
    return lat, lng


def served_minutes(task: Task, checkin_at: datetime, checkout_at: datetime | None) -> int:
    """Minutes of service, clamped to the task window; no check-out counts to the task's end."""
    start = max(checkin_at, task.starts_at)
    end = min(checkout_at or task.ends_at, task.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


def attendance_of(task_id: int, user_id: int) -> TaskAttendance | None:
    return db.session.scalar(
        select(TaskAttendance).where(
            TaskAttendance.task_id == task_id, TaskAttendance.user_id == user_id
        )
    )


def _open_task(user: User, task_id: int) -> Task:
    task = visible_task(user, task_id)
    if task.status != "published":
        raise Conflict("任务已取消或已结束", code="task_not_open")
    return task


def check_in(
    user: User, task_id: int, token: str, location: dict | None, acted_by: int | None = None
) -> TaskAttendance:
    """Check a confirmed attendee in with the organiser's current code, once (`acted_by`:
    who scanned it for a card holder)."""
    task = _open_task(user, task_id)
    now = clock.now()
    windows.require_checkin_open(task, now)
    verify_code(task.id, token, now)
    signup = signup_of(task.id, user.id)
    if signup is not None and signup.status == "waitlisted":
        position = waitlist_position(signup)
        raise Conflict(
            f"您在候补名单第 {position} 位，递补为正式报名后才能签到",
            code="on_waitlist",
            details={"waitlist_position": position},
        )
    if signup is None or signup.status != "confirmed":
        raise Conflict("您没有该任务的确认报名", code="signup_not_confirmed")
    lat, lng = _check_place(task, location)
    if attendance_of(task.id, user.id) is not None:
        raise Conflict("您已签到", code="already_checked_in")
    row = TaskAttendance(
        task_id=task.id,
        user_id=user.id,
        method="scan",
        checkin_at=now,
        checkin_latitude=lat,
        checkin_longitude=lng,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise Conflict("您已签到", code="already_checked_in") from None
    if acted_by is not None:
        record_act(acted_by, user.id, "task.checkin", "task_attendance", row.id)
    db.session.commit()
    return row


def check_out(
    user: User, task_id: int, token: str, location: dict | None, acted_by: int | None = None
) -> TaskAttendance:
    """Check out once, with a current code, up to two hours after the task ends."""
    task = _open_task(user, task_id)
    now = clock.now()
    if now > windows.checkout_closes_at(task):
        raise Conflict("已超过签退时间", code="checkout_closed")
    verify_code(task.id, token, now)
    lat, lng = _check_place(task, location)
    row = attendance_of(task.id, user.id)
    if row is None:
        raise Conflict("请先签到", code="not_checked_in")
    done = db.session.execute(
        update(TaskAttendance)
        .where(
            TaskAttendance.id == row.id,
            TaskAttendance.checkout_at.is_(None),
            TaskAttendance.credited_at.is_(None),
        )
        .values(checkout_at=now, checkout_latitude=lat, checkout_longitude=lng)
        .returning(TaskAttendance.id),
        execution_options=NO_SYNC,
    ).first()
    if done is None:
        raise Conflict("您已签退", code="already_checked_out")
    if acted_by is not None:
        record_act(acted_by, user.id, "task.checkout", "task_attendance", row.id)
    db.session.commit()
    db.session.refresh(row)
    return row


def _view(row: TaskAttendance | None) -> dict | None:
    if row is None:
        return None
    return {
        "checkin_at": row.checkin_at.isoformat(),
        "checkout_at": row.checkout_at.isoformat() if row.checkout_at else None,
        "method": row.method,
    }


def _ensure_walk_in(task: Task, user_id: int, now) -> None:
    """Someone present without an active sign-up is recorded as a walk-in (holds no seat)."""
    signup = signup_of(task.id, user_id)
    if signup is not None and signup.status != "cancelled":
        return
    seq = db.session.execute(
        update(Task)
        .where(Task.id == task.id)
        .values(signup_seq=Task.signup_seq + 1)
        .returning(Task.signup_seq),
        execution_options=NO_SYNC,
    ).scalar_one()
    if signup is not None:
        db.session.execute(
            update(TaskSignup)
            .where(TaskSignup.id == signup.id, TaskSignup.status == "cancelled")
            .values(status="walk_in", seq=seq, signed_up_at=now, cancelled_at=None),
            execution_options=NO_SYNC,
        )
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                TaskSignup(
                    task_id=task.id, user_id=user_id, status="walk_in", seq=seq, signed_up_at=now
                )
            )
    except IntegrityError:
        raise Conflict("该居民的报名状态正在变化，请重试", code="signup_changed") from None


def mark_attendance(
    actor: User,
    task_id: int,
    user_id: int,
    checkin_at: datetime | None = None,
    checkout_at: datetime | None = None,
) -> TaskAttendance:
    """Record attendance by hand for someone without a phone (organiser; audited).

    Never one's own: attendance decides points, and nobody earns points on a decision of
    their own (a second organiser or an admin marks an organiser present).
    """
    task = managed_task(actor, task_id)
    if user_id == actor.id:
        raise Forbidden(
            "不能为自己登记出勤，请由其他组织者或社区管理员登记", code="cannot_mark_own_attendance"
        )
    if task.status == "cancelled":
        raise Conflict("任务已取消", code="task_not_open")
    now = clock.now()
    if now < task.starts_at:
        raise Conflict("任务开始后才能登记出勤", code="task_not_started")
    target = db.session.get(User, user_id) if user_id <= MAX_ID else None
    membership = membership_of(target) if target else None
    if membership is None or membership.community_id != task.community_id:
        raise Unprocessable("该用户不是本社区成员", code="user_not_member")
    checkin_at = checkin_at or task.starts_at
    checkout_at = checkout_at or task.ends_at
    if checkout_at <= checkin_at:
        raise Unprocessable("签退时间必须晚于签到时间", code="invalid_attendance_times")
    if checkin_at > now:
        raise Unprocessable("签到时间不能晚于当前时间", code="invalid_attendance_times")
    existing = attendance_of(task.id, user_id)
    if existing is not None and existing.credited_at is not None:
        raise Conflict("该出勤已确认计分，不能再修改", code="attendance_already_credited")
    before = _view(existing)
    values = {
        "method": "manual",
        "checkin_at": checkin_at,
        "checkout_at": checkout_at,
        "marked_by": actor.id,
    }
    if existing is not None:
        changed = db.session.execute(
            update(TaskAttendance)
            .where(TaskAttendance.id == existing.id, TaskAttendance.credited_at.is_(None))
            .values(**values)
            .returning(TaskAttendance.id),
            execution_options=NO_SYNC,
        ).first()
        if changed is None:
            raise Conflict("该出勤已确认计分，不能再修改", code="attendance_already_credited")
        row = existing
    else:
        _ensure_walk_in(task, user_id, now)
        row = TaskAttendance(task_id=task.id, user_id=user_id, **values)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            raise Conflict("该居民刚刚完成签到，请刷新后重试", code="attendance_changed") from None
    db.session.flush()
    db.session.refresh(row)
    record_audit(
        actor_id=actor.id,
        action="task.attendance.mark",
        target_type="task_attendance",
        target_id=row.id,
        community_id=task.community_id,
        before=before,
        after={"task_id": task.id, "user_id": user_id, **_view(row)},
    )
    db.session.commit()
    return row

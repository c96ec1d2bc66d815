"""Completion: confirm attendance, credit every attendee exactly once, record no-shows.

Safe to repeat: each attendance row is credited under a conditional UPDATE (`credited_at IS
NULL`) and the ledger credit carries the key `task:{task_id}:attendee:{user_id}`, so a second
call (or a retry after a crash) credits only people marked since, and nobody twice.
"""

from sqlalchemy import select, update

from server.auth.models import User
from server.db.audit import record_audit
from server.db.session import db
from server.http.errors import Conflict
from server.outbox.emit import emit_event
from server.platform import profile_versions
from server.platform.localtime import local_date
from server.points.ledger import account_for_user, credit
from server.points.models import PointItem
from server.tasks import clock, windows
from server.tasks.attendance import served_minutes
from server.tasks.models import Task, TaskAttendance, TaskSignup
from server.tasks.organisers import managed_task
from server.tasks.signup import NO_SYNC, lock_task


def idempotency_key(task_id: int, user_id: int) -> str:
    return f"task:{task_id}:attendee:{user_id}"


def points_for(task: Task, minutes: int) -> tuple[int, int | None]:
    """Points earned for `minutes` of service, and the catalogue version they came from."""
    if task.reward_kind == "item":
        item = db.session.get(PointItem, task.point_item_id)
        version = item.version_on(local_date(task.starts_at)) if item else None
        return (version.points, version.id) if version else (0, None)
    return min(task.points_cap, minutes * task.points_per_hour // 60), None


def _credit(task: Task, row: TaskAttendance, actor: User, now) -> int:
    """Credit one attendance row if nobody has yet; return the points (0 if already done)."""
    minutes = served_minutes(task, row.checkin_at, row.checkout_at)
    points, version_id = points_for(task, minutes)
    claimed = db.session.execute(
        update(TaskAttendance)
        .where(TaskAttendance.id == row.id, TaskAttendance.credited_at.is_(None))
        .values(credited_at=now, minutes=minutes, points=points)
        .returning(TaskAttendance.id),
        execution_options=NO_SYNC,
    ).first()
    if claimed is None:
        return 0
    profile_versions.touch(row.user_id)  # credited minutes show as volunteer hours on GET /me
    if points <= 0:
        return 0

    entry = credit(
        account_for_user(task.community_id, row.user_id),
        points,
        reason=f"志愿服务：{task.title}",
        idempotency_key=idempotency_key(task.id, row.user_id),
        cause_type="task_attendance",
        cause_id=row.id,
        actor_id=actor.id,
        item_version_id=version_id,
    )
    db.session.execute(
        update(TaskAttendance).where(TaskAttendance.id == row.id).values(ledger_entry_id=entry.id),
        execution_options=NO_SYNC,
    )
    emit_event(
        "task.attendance.credited",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=task.community_id,
        payload={"task_id": task.id, "user_id": row.user_id, "points": points, "minutes": minutes},
    )
    return points


def left_to_another(actor: User, row: TaskAttendance) -> bool:
    """Whether this completion must leave the row uncredited: the completer's own attendance
    marked by hand. Nobody earns points on a decision of their own; another organiser or an
    admin completing the task credits it. (A scanned check-in is evidence, not a decision.)"""
    return row.user_id == actor.id and row.method == "manual"


def _record_outcomes(task_id: int) -> None:
    present = select(TaskAttendance.user_id).where(TaskAttendance.task_id == task_id)
    db.session.execute(
        update(TaskSignup)
        .where(TaskSignup.task_id == task_id, TaskSignup.user_id.in_(present))
        .values(outcome="attended"),
        execution_options=NO_SYNC,
    )
    db.session.execute(
        update(TaskSignup)
        .where(
            TaskSignup.task_id == task_id,
            TaskSignup.status == "confirmed",
            TaskSignup.user_id.not_in(present),
        )
        .values(outcome="no_show"),
        execution_options=NO_SYNC,
    )


def complete_task(actor: User, task_id: int) -> dict:
    """Close the task and credit each attendee once; repeating credits only new attendees."""
    managed_task(actor, task_id)
    task = lock_task(task_id)
    now = clock.now()
    if task.status == "cancelled":
        raise Conflict("任务已取消，不能完成", code="task_cancelled")
    windows.require_completion_open(task, now)
    first_time = task.status == "published"
    if first_time:
        db.session.execute(
            update(Task)
            .where(Task.id == task.id, Task.status == "published")
            .values(status="completed", completed_at=now, updated_at=now),
            execution_options=NO_SYNC,
        )
    pending = list(
        db.session.scalars(
            select(TaskAttendance)
            .where(TaskAttendance.task_id == task.id, TaskAttendance.credited_at.is_(None))
            .order_by(TaskAttendance.id)
        )
    )
    left = [row for row in pending if left_to_another(actor, row)]
    pending = [row for row in pending if not left_to_another(actor, row)]
    credited = total = 0
    for row in pending:
        points = _credit(task, row, actor, now)
        credited += 1 if points else 0
        total += points
    _record_outcomes(task.id)
    db.session.flush()
    summary = summary_of(task.id)
    summary.update(newly_credited=credited, points_credited=total, awaiting_second_person=len(left))
    if first_time or pending:
        record_audit(
            actor_id=actor.id,
            action="task.complete",
            target_type="task",
            target_id=task.id,
            community_id=task.community_id,
            before={"status": "published" if first_time else "completed"},
            after={k: v for k, v in summary.items() if k != "task_id"},
        )
    if first_time:
        emit_event(
            "task.completed",
            aggregate_type="task",
            aggregate_id=task.id,
            community_id=task.community_id,
            payload={k: v for k, v in summary.items() if k != "awaiting_second_person"},
        )
    db.session.commit()
    return summary


def summary_of(task_id: int) -> dict:
    rows = db.session.execute(
        select(TaskAttendance.credited_at, TaskAttendance.points).where(
            TaskAttendance.task_id == task_id
        )
    ).all()
    no_shows = db.session.scalar(
        select(db.func.count())
        .select_from(TaskSignup)
        .where(TaskSignup.task_id == task_id, TaskSignup.outcome == "no_show")
    )
    return {
        "task_id": task_id,
        "status": "completed",
        "attendees": len(rows),
        "credited": sum(1 for r in rows if r.credited_at is not None),
        "no_shows": no_shows,
        "points_total": sum(r.points or 0 for r in rows),
    }

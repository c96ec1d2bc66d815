"""Sign-up: confirmed while seats remain, then waitlisted; cancelling promotes in sign-up order.

Every change to a task's seats happens under that task's row lock, taken first (the seat
UPDATE or `lock_task`), so sign-ups, cancellations and promotions of one task serialise and
never deadlock with each other. The seat itself is a conditional UPDATE
(`confirmed_count < capacity`), re-checked by PostgreSQL against the latest committed row.
"""

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.auth.authz import grants_of, require_membership
from server.auth.models import User
from server.community.models import Membership
from server.errors import Conflict, Forbidden, NotFound
from server.extensions import db
from server.notify.outbox import emit_event
from server.tasks import clock
from server.tasks.models import Task, TaskSignup
from server.tasks.organisers import visible_task, visible_task_and_membership

ACTIVE = ("confirmed", "waitlisted")
NO_SYNC = {"synchronize_session": False}


def lock_task(task_id: int) -> Task:
    """Lock the task's row for this transaction and return it freshly loaded."""
    return db.session.execute(
        select(Task)
        .where(Task.id == task_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def check_audience(user: User, task: Task, membership: Membership | None = None) -> None:
    """Raise 403 unless the user belongs to the task's audience."""
    membership = membership or require_membership(user, task.community_id)
    if task.audience == "grid" and membership.grid_id != task.audience_grid_id:
        raise Forbidden("该任务仅限指定网格的居民报名", code="audience_mismatch")
    if task.audience == "party_members":
        kinds = {
            g.party_kind for g in grants_of(user, task.community_id) if g.role == "party_member"
        }
        if not kinds:
            raise Forbidden("该任务仅限党员报名", code="audience_mismatch")
        if task.audience_party_kind and task.audience_party_kind not in kinds:
            raise Forbidden(
                f"该任务仅限{task.audience_party_kind}党员报名", code="audience_mismatch"
            )


def signup_of(task_id: int, user_id: int) -> TaskSignup | None:
    return db.session.scalar(
        select(TaskSignup).where(TaskSignup.task_id == task_id, TaskSignup.user_id == user_id)
    )


def waitlist_position(signup: TaskSignup) -> int | None:
    """1 for the next person to be promoted; None unless waitlisted."""
    if signup.status != "waitlisted":
        return None
    ahead = db.session.scalar(
        select(func.count())
        .select_from(TaskSignup)
        .where(
            TaskSignup.task_id == signup.task_id,
            TaskSignup.status == "waitlisted",
            TaskSignup.seq < signup.seq,
        )
    )
    return ahead + 1


def _insert(model):
    """INSERT with ON CONFLICT support for the session's dialect."""
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model)


def _take_place(task: Task, now) -> tuple[str, int, int | None]:
    """Take a seat if one is free and nobody waits, else a waitlist place, in one UPDATE.

    Return (status, sign-up order, waitlist position). SET expressions see the row as it was,
    so the new waitlist length tells which branch ran: a seat leaves it at 0. The newest
    waitlisted person is last in line, so their position is the waitlist's length.
    """
    seat = and_(Task.confirmed_count < Task.capacity, Task.waitlisted_count == 0)
    row = db.session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == "published", Task.signup_deadline >= now)
        .values(
            confirmed_count=Task.confirmed_count + case((seat, 1), else_=0),
            waitlisted_count=Task.waitlisted_count + case((seat, 0), else_=1),
            signup_seq=Task.signup_seq + 1,
        )
        .returning(Task.signup_seq, Task.waitlisted_count),
        execution_options=NO_SYNC,
    ).first()
    if row is None:
        raise Conflict("报名已截止或任务已取消", code="signup_closed")
    seq, waiting = row
    return ("waitlisted", seq, waiting) if waiting else ("confirmed", seq, None)


def sign_up(user: User, task_id: int) -> dict:
    """Sign the user up once: `confirmed` while seats remain, else `waitlisted`.

    Hot path of a sign-up rush: the task row stays locked from the seat UPDATE to the commit,
    so only the sign-up INSERT and the outbox INSERT happen under the lock.
    """
    task, membership = visible_task_and_membership(user, task_id)
    check_audience(user, task, membership)
    now = clock.now()
    if task.status != "published":
        raise Conflict("任务已取消或已结束", code="task_not_open")
    if now > task.signup_deadline:
        raise Conflict(
            "报名已截止",
            code="signup_closed",
            details={"signup_deadline": task.signup_deadline.isoformat()},
        )
    status, seq, position = _take_place(task, now)
    values = {"status": status, "seq": seq, "signed_up_at": now}
    row = db.session.execute(
        _insert(TaskSignup)
        .values(task_id=task.id, user_id=user.id, **values)
        .on_conflict_do_nothing(index_elements=["task_id", "user_id"])
        .returning(TaskSignup.id),
        execution_options=NO_SYNC,
    ).first()
    if row is None:
        # A sign-up exists: it may be reused only if cancelled. Raising rolls our place back.
        row = db.session.execute(
            update(TaskSignup)
            .where(
                TaskSignup.task_id == task.id,
                TaskSignup.user_id == user.id,
                TaskSignup.status == "cancelled",
            )
            .values(cancelled_at=None, promoted_at=None, outcome=None, **values)
            .returning(TaskSignup.id),
            execution_options=NO_SYNC,
        ).first()
        if row is None:
            raise Conflict("您已报名该任务", code="already_signed_up")
    emit_event(
        f"task.signup.{status}",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=task.community_id,
        payload={"task_id": task.id, "user_id": user.id, "title": task.title},
    )
    view = {
        "id": row[0],
        "task_id": task.id,
        "status": status,
        "waitlist_position": position,
        "outcome": None,
        "signed_up_at": now,
        "promoted_at": None,
        "cancelled_at": None,
    }
    db.session.commit()
    return view


def promote_waitlisted(task: Task) -> list[int]:
    """Fill free seats from the waitlist in sign-up order; the caller holds the task lock."""
    if task.status != "published":
        return []
    promoted = []
    now = clock.now()
    while True:
        nxt = db.session.execute(
            select(TaskSignup.id, TaskSignup.user_id)
            .where(TaskSignup.task_id == task.id, TaskSignup.status == "waitlisted")
            .order_by(TaskSignup.seq)
            .limit(1)
            .with_for_update()
        ).first()
        if nxt is None:
            break
        seat = db.session.execute(
            update(Task)
            .where(Task.id == task.id, Task.confirmed_count < Task.capacity)
            .values(
                confirmed_count=Task.confirmed_count + 1,
                waitlisted_count=Task.waitlisted_count - 1,
            )
            .returning(Task.id),
            execution_options=NO_SYNC,
        ).first()
        if seat is None:
            break
        moved = db.session.execute(
            update(TaskSignup)
            .where(TaskSignup.id == nxt.id, TaskSignup.status == "waitlisted")
            .values(status="confirmed", promoted_at=now)
            .returning(TaskSignup.id),
            execution_options=NO_SYNC,
        ).first()
        if moved is None:  # cannot happen under the task lock; never leave a seat half-moved
            raise Conflict("候补状态已变化，请重试", code="waitlist_changed")
        promoted.append(nxt.user_id)
        emit_event(
            "task.signup.promoted",
            aggregate_type="task",
            aggregate_id=task.id,
            community_id=task.community_id,
            payload={"task_id": task.id, "user_id": nxt.user_id, "title": task.title},
        )
    return promoted


def _leave(task_id: int, user_id: int, status: str, now) -> bool:
    row = db.session.execute(
        update(TaskSignup)
        .where(
            TaskSignup.task_id == task_id,
            TaskSignup.user_id == user_id,
            TaskSignup.status == status,
        )
        .values(status="cancelled", cancelled_at=now)
        .returning(TaskSignup.id),
        execution_options=NO_SYNC,
    ).first()
    return row is not None


def _too_late(task: Task) -> Conflict:
    return Conflict(
        "已过取消截止时间，如需请假请联系组织者",
        code="cancel_closed",
        details={"cancel_deadline": task.cancel_deadline.isoformat()},
    )


def cancel_signup(user: User, task_id: int) -> dict:
    """Cancel one's own sign-up; a freed seat goes to the first waitlisted person."""
    task = visible_task(user, task_id)
    now = clock.now()
    if task.status != "published":
        raise Conflict("任务已取消或已结束", code="task_not_open")
    if now >= task.starts_at:
        raise Conflict("任务已开始，不能取消报名", code="cancel_closed")
    existing = signup_of(task.id, user.id)
    if existing is None or existing.status not in ACTIVE:
        raise NotFound("您没有报名该任务", code="not_signed_up")
    if existing.status == "confirmed" and now > task.cancel_deadline:
        raise _too_late(task)
    task = lock_task(task.id)
    promoted: list[int] = []
    if _leave(task.id, user.id, "confirmed", now):
        # Waitlisted people may always leave; a confirmed seat only until the cancel deadline.
        if now > task.cancel_deadline:
            raise _too_late(task)
        db.session.execute(
            update(Task)
            .where(Task.id == task.id, Task.confirmed_count > 0)
            .values(confirmed_count=Task.confirmed_count - 1),
            execution_options=NO_SYNC,
        )
        promoted = promote_waitlisted(task)
        was = "confirmed"
    elif _leave(task.id, user.id, "waitlisted", now):
        db.session.execute(
            update(Task)
            .where(Task.id == task.id, Task.waitlisted_count > 0)
            .values(waitlisted_count=Task.waitlisted_count - 1),
            execution_options=NO_SYNC,
        )
        was = "waitlisted"
    else:
        raise NotFound("您没有报名该任务", code="not_signed_up")
    emit_event(
        "task.signup.cancelled",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=task.community_id,
        payload={"task_id": task.id, "user_id": user.id, "was": was},
    )
    result = {"task_id": task.id, "status": "cancelled", "was": was, "promoted_user_ids": promoted}
    db.session.commit()
    return result

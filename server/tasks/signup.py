"""Sign-up: confirmed while seats remain, then waitlisted; cancelling promotes in sign-up order.

Every change to a task's seats happens under that task's row lock, taken first (the seat
UPDATE or `lock_task`), so sign-ups, cancellations and promotions of one task serialise and
never deadlock with each other. The seat itself is a conditional UPDATE
(`confirmed_count < capacity`), re-checked by PostgreSQL against the latest committed row.
"""

from functools import cache

from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.auth.authz import NotAMember, grants_of, require_membership
from server.auth.models import User
from server.community.models import Membership
from server.db_types import MAX_ID
from server.errors import Conflict, Forbidden, NotFound
from server.extensions import db
from server.notify.outbox import append_event, emit_event
from server.tasks import clock
from server.tasks.models import Task, TaskSignup
from server.tasks.organisers import visible_task

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


@cache
def _statements(dialect: str):
    """The sign-up statements, built once: building them costs more CPU than running them.

    Core on the table, not ORM entities: a rush sign-up needs a handful of task columns and the
    caller's membership, which one SELECT reads together. Bind names avoid column names, which
    INSERT/UPDATE reserve.
    """
    tasks, members = Task.__table__, Membership.__table__
    context = (
        select(
            tasks.c.id,
            tasks.c.community_id,
            tasks.c.title,
            tasks.c.status,
            tasks.c.signup_deadline,
            tasks.c.audience,
            tasks.c.audience_grid_id,
            tasks.c.audience_party_kind,
            members.c.community_id.label("member_community_id"),
            members.c.grid_id.label("member_grid_id"),
        )
        .select_from(tasks.outerjoin(members, members.c.user_id == bindparam("p_user_id")))
        .where(tasks.c.id == bindparam("p_task_id"))
    )
    t = tasks.c
    seat = and_(t.confirmed_count < t.capacity, t.waitlisted_count == 0)
    take_place = (
        update(tasks)
        .where(
            t.id == bindparam("p_task_id"),
            t.status == "published",
            t.signup_deadline >= bindparam("p_now", type_=t.signup_deadline.type),
        )
        .values(
            confirmed_count=t.confirmed_count + case((seat, 1), else_=0),
            waitlisted_count=t.waitlisted_count + case((seat, 0), else_=1),
            signup_seq=t.signup_seq + 1,
        )
        .returning(t.signup_seq, t.waitlisted_count)
    )
    module = postgresql if dialect == "postgresql" else sqlite
    signups = TaskSignup.__table__
    insert_signup = (
        module.insert(signups)
        .on_conflict_do_nothing(index_elements=["task_id", "user_id"])
        .returning(signups.c.id)
    )
    return context, take_place, insert_signup


class _Membership:
    """The two membership fields check_audience reads, from the sign-up context row."""

    __slots__ = ("community_id", "grid_id")

    def __init__(self, community_id: int, grid_id: int | None):
        self.community_id, self.grid_id = community_id, grid_id


def _signup_context(user: User, task_id: int):
    """The task row and the caller's membership, with visible_task_and_membership's answers.

    404 for a missing task, 403 (not a member) without a membership, and 404 for another
    community's task - in that order, like visible_task_and_membership.
    """
    conn = db.session.connection()
    context = _statements(conn.dialect.name)[0]
    row = None
    if 0 < task_id <= MAX_ID:
        row = conn.execute(context, {"p_user_id": user.id, "p_task_id": task_id}).one_or_none()
    if row is None:
        raise NotFound("志愿任务不存在", code="task_not_found")
    if row.member_community_id is None:
        raise NotAMember()
    if row.member_community_id != row.community_id:
        raise NotFound("志愿任务不存在", code="task_not_found")
    return row, _Membership(row.member_community_id, row.member_grid_id)


def _take_place(task, now) -> tuple[str, int, int | None]:
    """Take a seat if one is free and nobody waits, else a waitlist place, in one UPDATE.

    Return (status, sign-up order, waitlist position). SET expressions see the row as it was,
    so the new waitlist length tells which branch ran: a seat leaves it at 0. The newest
    waitlisted person is last in line, so their position is the waitlist's length.
    """
    conn = db.session.connection()
    take_place = _statements(conn.dialect.name)[1]
    row = conn.execute(take_place, {"p_task_id": task.id, "p_now": now}).first()
    if row is None:
        raise Conflict("报名已截止或任务已取消", code="signup_closed")
    seq, waiting = row
    return ("waitlisted", seq, waiting) if waiting else ("confirmed", seq, None)


def sign_up(user: User, task_id: int) -> dict:
    """Sign the user up once: `confirmed` while seats remain, else `waitlisted`.

    Hot path of a sign-up rush: the task row stays locked from the seat UPDATE to the commit,
    so only the sign-up INSERT and the outbox INSERT happen under the lock.
    """
    task, membership = _signup_context(user, task_id)
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
    conn = db.session.connection()
    insert_signup = _statements(conn.dialect.name)[2]
    row = conn.execute(insert_signup, {"task_id": task.id, "user_id": user.id, **values}).first()
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
    append_event(
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

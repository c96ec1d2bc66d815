"""Sign-up: confirmed while seats remain, then waitlisted; cancelling promotes in sign-up order.

One path on both databases, in the session's transaction. The caller's context (who, which
task, their sign-up) is one SELECT checked in Python; then one conditional UPDATE of the task
takes a seat (`SEAT_IS_FREE` and nobody waiting) or a waitlist place, and holds the task's
row lock until the commit. Every change to a task's seats takes that lock first (the seat
UPDATE or the cancel's locking read), so sign-ups, cancellations and promotions of one task
serialise and never deadlock with each other.
"""

from sqlalchemy import func, select

from server.auth.models import User
from server.auth.tokens import TokenInvalid
from server.community.acting import record_act
from server.community.authz import NotAMember
from server.db.session import db
from server.db.types import MAX_ID
from server.http.errors import AppError, Conflict, Forbidden, NotFound
from server.outbox.emit import emit_event
from server.tasks import clock
from server.tasks.models import Task, TaskSignup
from server.tasks.signup_statements import statements

ACTIVE = ("confirmed", "waitlisted")
NO_SYNC = {"synchronize_session": False}  # for the ORM UPDATEs of attendance and completion


def lock_task(task_id: int) -> Task:
    """Lock the task's row for this transaction and return it freshly loaded."""
    return db.session.execute(
        select(Task)
        .where(Task.id == task_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def audience_refusal(
    task, grid_id: int | None, party_member: bool, holds_kind: bool
) -> Forbidden | None:
    """Why someone is outside the task's audience, or None: the rule sign-up and views share.

    `party_member`: any party-member grant in the task's community; `holds_kind`: one of the
    task's party kind.
    """
    if task.audience == "grid" and grid_id != task.audience_grid_id:
        return Forbidden("该任务仅限指定网格的居民报名", code="audience_mismatch")
    if task.audience == "party_members":
        if not party_member:
            return Forbidden("该任务仅限党员报名", code="audience_mismatch")
        if task.audience_party_kind and not holds_kind:
            return Forbidden(
                f"该任务仅限{task.audience_party_kind}党员报名", code="audience_mismatch"
            )
    return None


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


def _read_context(conn, user_id: int, task_id: int):
    """The task, the caller's membership and sign-up: one row, checked in this order.

    401 for a deactivated or deleted caller, 404 for a missing task, 403 (not a member) without
    a membership, and 404 for another community's task.
    """
    in_range = 0 < task_id <= MAX_ID  # a larger id cannot exist and must not reach SQL
    params = {"p_user_id": user_id, "p_task_id": task_id if in_range else None}
    row = conn.execute(statements(conn.dialect.name).context, params).one_or_none()
    if row is None:
        raise TokenInvalid()
    if row.id is None:
        raise NotFound("志愿任务不存在", code="task_not_found")
    if row.member_community_id is None:
        raise NotAMember()
    if row.member_community_id != row.community_id:
        raise NotFound("志愿任务不存在", code="task_not_found")
    return row


def _check_open_for_signup(task, now) -> None:
    if task.status != "published":
        raise Conflict("任务已取消或已结束", code="task_not_open")
    if now > task.signup_deadline:
        raise Conflict(
            "报名已截止",
            code="signup_closed",
            details={"signup_deadline": task.signup_deadline.isoformat()},
        )


def _checked_for_signup(conn, user_id: int, task_id: int, now):
    """The sign-up context, or the refusal that explains why there can be no sign-up."""
    task = _read_context(conn, user_id, task_id)
    refusal = audience_refusal(
        task, task.member_grid_id, bool(task.party_member), bool(task.party_kind_held)
    )
    if refusal is not None:
        raise refusal
    _check_open_for_signup(task, now)
    if task.my_status not in (None, "cancelled"):
        raise Conflict("您已报名该任务", code="already_signed_up")
    return task


def sign_up(user: User, task_id: int) -> dict:
    """Sign the user up once: `confirmed` while seats remain, else `waitlisted`."""
    return sign_up_as(user.id, task_id)


def sign_up_as(user_id: int, task_id: int, acted_by: int | None = None) -> dict:
    """sign_up for the caller's id (the route needs no User object), committed on success.

    A cancelled sign-up is reused, an active one refused; a refusal after the place was taken
    rolls it back with the transaction. `acted_by`: who signs a card holder up (recorded).
    """
    now = clock.now()
    conn = db.session.connection()
    sql = statements(conn.dialect.name)
    task = _checked_for_signup(conn, user_id, task_id, now)
    place = conn.execute(sql.take_place, {"p_task_id": task.id, "p_now": now}).first()
    if place is None:
        # The task closed since it was read: read it again to say how.
        _checked_for_signup(conn, user_id, task_id, now)
        raise Conflict("报名已截止或任务已取消", code="signup_closed")
    seq, waiting = place
    # The place was taken just now, under the task's lock: that is the time to show, so the
    # times of a task's sign-ups follow their places (`now` was read before the lock).
    taken_at = clock.now()
    status = "waitlisted" if waiting else "confirmed"
    values = {"task_id": task.id, "user_id": user_id, "status": status, "seq": seq}
    row = conn.execute(sql.join, {**values, "signed_up_at": taken_at}).first()
    if row is None:  # a sign-up of this caller appeared since the read (a double tap)
        raise Conflict("您已报名该任务", code="already_signed_up")
    emit_event(
        f"task.signup.{status}",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=task.community_id,
        payload={"task_id": task.id, "user_id": user_id, "title": task.title},
    )
    if acted_by is not None:
        record_act(acted_by, user_id, "task.signup", "task_signup", row[0])
    db.session.commit()
    # The newest waitlisted person is last in line: their position is the waitlist's length.
    return {
        "id": row[0],
        "task_id": task.id,
        "status": status,
        "waitlist_position": waiting or None,
        "outcome": None,
        "signed_up_at": taken_at,
        "promoted_at": None,
        "cancelled_at": None,
    }


def promote_waitlisted(task) -> list[int]:
    """Fill free seats from the waitlist in sign-up order; the caller holds the task lock.

    `task` is a Task or a row with its id, community_id, title and status.
    """
    if task.status != "published":
        return []
    db.session.flush()  # the Core statements below do not autoflush a caller's pending edits
    conn = db.session.connection()
    sql = statements(conn.dialect.name)
    promoted = []
    now = clock.now()
    while True:
        nxt = conn.execute(sql.next_waitlisted, {"p_task_id": task.id}).first()
        if nxt is None:
            break
        if conn.execute(sql.seat_for_waitlisted, {"p_task_id": task.id}).first() is None:
            break  # no seat is free
        moved = conn.execute(sql.promote, {"p_id": nxt.id, "p_now": now}).first()
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


def _leave(conn, sql, task_id: int, user_id: int, first_guess: str, now) -> str | None:
    """Cancel an active sign-up under the task lock; return the status it had.

    Statuses only change under the task lock, so at most one of the two UPDATEs matches; the
    status read before the lock is tried first and is almost always still right.
    """
    params = {"p_task_id": task_id, "p_user_id": user_id, "p_now": now}
    for status in (first_guess, *(s for s in ACTIVE if s != first_guess)):
        if conn.execute(sql.leave[status], params).first() is not None:
            return status
    return None


def _too_late(task) -> Conflict:
    return Conflict(
        "已过取消截止时间，如需请假请联系组织者",
        code="cancel_closed",
        details={"cancel_deadline": task.cancel_deadline.isoformat()},
    )


def _not_active(status: str | None) -> AppError:
    """Why there is no sign-up to cancel: cancelled before, or never made."""
    if status == "cancelled":
        return Conflict("您已取消该报名，无需重复取消", code="already_cancelled")
    return NotFound("您没有报名该任务", code="not_signed_up")


def _check_cancellable(task, now) -> None:
    if task.status != "published":
        raise Conflict("任务已取消或已结束", code="task_not_open")
    if now >= task.starts_at:
        raise Conflict("任务已开始，不能取消报名", code="cancel_closed")
    if task.my_status not in ACTIVE:
        raise _not_active(task.my_status)
    if task.my_status == "confirmed" and now > task.cancel_deadline:
        raise _too_late(task)


def cancel_signup(user: User, task_id: int) -> dict:
    """Cancel one's own sign-up; a freed seat goes to the first waitlisted person."""
    return cancel_signup_as(user.id, task_id)


def cancel_signup_as(user_id: int, task_id: int, acted_by: int | None = None) -> dict:
    """cancel_signup for the caller's id, in one transaction: lock, leave, free, promote."""
    conn = db.session.connection()
    sql = statements(conn.dialect.name)
    task = _read_context(conn, user_id, task_id)
    now = clock.now()
    _check_cancellable(task, now)
    locked = conn.execute(sql.lock, {"p_task_id": task.id}).one()
    was = _leave(conn, sql, task.id, user_id, task.my_status, now)
    if was is None:  # cancelled meanwhile (a double tap)
        signup = signup_of(task.id, user_id)
        raise _not_active(signup.status if signup else None)
    # Waitlisted people may always leave; a confirmed seat only until the cancel deadline.
    if was == "confirmed" and now > locked.cancel_deadline:
        raise _too_late(locked)
    conn.execute(sql.free[was], {"p_task_id": task.id})
    promoted = promote_waitlisted(locked) if was == "confirmed" else []
    emit_event(
        "task.signup.cancelled",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=task.community_id,
        payload={"task_id": task.id, "user_id": user_id, "was": was},
    )
    result = {"task_id": task.id, "status": "cancelled", "was": was, "promoted_user_ids": promoted}
    if acted_by is not None:
        record_act(acted_by, user_id, "task.cancel", "task", task.id)
    db.session.commit()
    return result

"""Sign-up: confirmed while seats remain, then waitlisted; cancelling promotes in sign-up order.

Every change to a task's seats happens under that task's row lock, taken first (the seat
UPDATE or `lock_task`), so sign-ups, cancellations and promotions of one task serialise and
never deadlock with each other. The seat itself is a conditional UPDATE
(`confirmed_count < capacity`), re-checked by PostgreSQL against the latest committed row.

A sign-up rush is the hot path: every sign-up of one task waits for that row lock, so what
happens while it is held decides throughput. Everything that can be read and checked (caller,
membership, audience, deadline, an existing sign-up) is, in one SELECT before the seat UPDATE.
On PostgreSQL that SELECT, the seat, the sign-up and its outbox event are one autocommit
statement, so the lock is released by PostgreSQL itself without waiting on this process, and a
sign-up that goes through costs one round trip; a refused one then reads the context again to
say why (SQLite and a caller's open transaction run the statements one by one).
"""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.auth.authz import NotAMember, grants_of, require_membership
from server.auth.models import User
from server.auth.tokens import TokenInvalid
from server.community.models import Membership
from server.db.session import db
from server.db.types import MAX_ID, utcnow
from server.http.errors import Conflict, Forbidden, NotFound
from server.notify.outbox import emit_event
from server.tasks import clock
from server.tasks.models import Task, TaskSignup
from server.tasks.signup_statements import SIGNUPS, statements

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


def check_audience(user: User, task: Task, membership: Membership | None = None) -> None:
    """Raise 403 unless the user belongs to the task's audience."""
    membership = membership or require_membership(user, task.community_id)
    kinds: set = set()
    if task.audience == "party_members":
        kinds = {
            g.party_kind for g in grants_of(user, task.community_id) if g.role == "party_member"
        }
    _check_audience(task, membership.grid_id, bool(kinds), task.audience_party_kind in kinds)


def _check_audience(task, grid_id: int | None, party_member: bool, holds_kind: bool) -> None:
    """check_audience on facts already read: the caller's grid, any party grant, the task's kind."""
    if task.audience == "grid" and grid_id != task.audience_grid_id:
        raise Forbidden("该任务仅限指定网格的居民报名", code="audience_mismatch")
    if task.audience == "party_members":
        if not party_member:
            raise Forbidden("该任务仅限党员报名", code="audience_mismatch")
        if task.audience_party_kind and not holds_kind:
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


def _read_context(conn, user_id: int, task_id: int):
    """The task, the caller's membership and sign-up: one row, checked like the ORM path was.

    401 for a deactivated or deleted caller, 404 for a missing task, 403 (not a member) without
    a membership, and 404 for another community's task - in that order, like current_user()
    followed by visible_task_and_membership.
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


def _already_signed_up() -> Conflict:
    return Conflict("您已报名该任务", code="already_signed_up")


def _closed() -> Conflict:
    return Conflict("报名已截止或任务已取消", code="signup_closed")


def _signup_view(signup_id: int, task_id: int, waiting: int, now) -> dict:
    """The sign-up as answered; `waiting` is the waitlist length the seat UPDATE returned.

    A seat leaves the waitlist empty; the newest waitlisted person is last in line, so their
    position is the waitlist's length.
    """
    return {
        "id": signup_id,
        "task_id": task_id,
        "status": "waitlisted" if waiting else "confirmed",
        "waitlist_position": waiting or None,
        "outcome": None,
        "signed_up_at": now,
        "promoted_at": None,
        "cancelled_at": None,
    }


def _event_payload(task, user_id: int) -> dict:
    return {"task_id": task.id, "user_id": user_id, "title": task.title}


def sign_up(user: User, task_id: int) -> dict:
    """Sign the user up once: `confirmed` while seats remain, else `waitlisted`."""
    return sign_up_as(user.id, task_id)


def sign_up_as(user_id: int, task_id: int) -> dict:
    """sign_up for the caller's id: the route needs no User object.

    On PostgreSQL, when the session has no transaction open (every request), the checks and
    the sign-up are one statement on an autocommit connection of its own: no BEGIN or COMMIT
    round trips, no session bookkeeping, and no lock held across a round trip. Only when that
    statement signs nobody up does the context SELECT run, to refuse with the right error or
    to hand a reused cancelled sign-up (or a closing race) to a transaction. A caller's open
    transaction is kept instead, and commits with the sign-up as it always did.
    """
    now = clock.now()
    engine = db.engine
    if db.session().in_transaction() or engine.dialect.name != "postgresql":
        task = _checked_for_signup(db.session.connection(), user_id, task_id, now)
        return _join_in_transaction(task, user_id, now)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        signed = _sign_up_at_once(conn, user_id, task_id, now)
        if signed is not None:
            signup_id, waiting = signed
            return _signup_view(signup_id, task_id, waiting, now)
        task = _checked_for_signup(conn, user_id, task_id, now)
    return _join_in_transaction(task, user_id, now)


def _checked_for_signup(conn, user_id: int, task_id: int, now):
    """The sign-up context, refused with the errors of the ORM path and in its order."""
    task = _read_context(conn, user_id, task_id)
    _check_audience(task, task.member_grid_id, bool(task.party_member), bool(task.party_kind_held))
    _check_open_for_signup(task, now)
    if task.my_status not in (None, "cancelled"):
        raise _already_signed_up()
    return task


def _sign_up_at_once(conn, user_id: int, task_id: int, now):
    """(sign-up id, waitlist length) when the one statement signed the caller up, else None.

    None covers every refusal, a cancelled sign-up to reuse, and a sign-up of this caller that
    appeared since the snapshot was taken (a double tap: the statement failed as a whole).
    """
    if not 0 < task_id <= MAX_ID:
        return None  # cannot exist; the context read answers 404 without reaching SQL
    params = {
        "p_task_id": task_id,
        "p_user_id": user_id,
        "p_now": now,
        "p_written_at": utcnow(),
    }
    try:
        return conn.execute(statements("postgresql").sign_up_at_once, params).first()
    except IntegrityError as exc:
        if not _one_signup_per_person(exc):
            raise
        conn.rollback()
        return None


def _one_signup_per_person(exc: IntegrityError) -> bool:
    """Whether the unique (task_id, user_id) constraint refused the INSERT."""
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23505" and orig.diag.table_name == SIGNUPS.name


def _join_in_transaction(task, user_id: int, now) -> dict:
    """The same sign-up in statements: SQLite, a reused cancelled sign-up, a caller's transaction.

    A cancelled sign-up is reused, an active one refused; raising rolls the place back.
    """
    conn = db.session.connection()
    sql = statements(conn.dialect.name)
    place = conn.execute(sql.take_place, {"p_task_id": task.id, "p_now": now}).first()
    if place is None:
        raise _closed()
    _, seq, waiting = place
    values = {"status": "waitlisted" if waiting else "confirmed", "seq": seq, "signed_up_at": now}
    row = conn.execute(sql.join, {"task_id": task.id, "user_id": user_id, **values}).first()
    if row is None:
        raise _already_signed_up()
    emit_event(
        f"task.signup.{values['status']}",
        aggregate_type="task",
        aggregate_id=task.id,
        community_id=task.community_id,
        payload=_event_payload(task, user_id),
    )
    view = _signup_view(row[0], task.id, waiting, now)
    db.session.commit()
    return view


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
            break
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


def _check_cancellable(task, now) -> None:
    if task.status != "published":
        raise Conflict("任务已取消或已结束", code="task_not_open")
    if now >= task.starts_at:
        raise Conflict("任务已开始，不能取消报名", code="cancel_closed")
    if task.my_status not in ACTIVE:
        raise NotFound("您没有报名该任务", code="not_signed_up")
    if task.my_status == "confirmed" and now > task.cancel_deadline:
        raise _too_late(task)


def cancel_signup(user: User, task_id: int) -> dict:
    """Cancel one's own sign-up; a freed seat goes to the first waitlisted person."""
    return cancel_signup_as(user.id, task_id)


def cancel_signup_as(user_id: int, task_id: int) -> dict:
    """cancel_signup for the caller's id, in one transaction: lock, leave, free, promote."""
    conn = db.session.connection()
    sql = statements(conn.dialect.name)
    task = _read_context(conn, user_id, task_id)
    now = clock.now()
    _check_cancellable(task, now)
    locked = conn.execute(sql.lock, {"p_task_id": task.id}).one()
    was = _leave(conn, sql, task.id, user_id, task.my_status, now)
    if was is None:
        raise NotFound("您没有报名该任务", code="not_signed_up")
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
    db.session.commit()
    return result

"""The sign-up, cancel and promotion statements, built once per dialect (Core on the tables).

The seat rule lives here once: `SEAT_IS_FREE`, used by a sign-up's seat and by promotion.
Bind names carry a `p_` prefix: in INSERT/UPDATE, names equal to column names are reserved.
"""

from functools import cache
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, case, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.auth.models import User
from server.community.models import Membership, RoleGrant
from server.db.types import UTCDateTime
from server.tasks.models import Task, TaskSignup

TASKS, SIGNUPS = Task.__table__, TaskSignup.__table__

# The rule "a seat is free": fewer confirmed sign-ups than seats. A conditional UPDATE with it
# is re-checked by PostgreSQL against the latest committed row, so seats are never oversold.
SEAT_IS_FREE = TASKS.c.confirmed_count < TASKS.c.capacity


def _context():
    """Who asks and about what, in one row: the caller (only if active), their membership, the
    task, their sign-up for it, and - for party-member tasks only - their party grants.

    Driven by the user so that a deactivated or deleted caller gets no row at all (401 before
    anything else, as loading the user did); the task and the rest are outer joins.
    """
    users, members, grants = User.__table__, Membership.__table__, RoleGrant.__table__
    t, g = TASKS.c, grants.c

    def party_grant(*also):
        # grants_of(user, task.community_id) filtered to party members
        return exists().where(
            g.user_id == users.c.id,
            g.community_id == t.community_id,
            g.role == "party_member",
            *also,
        )

    party_task = t.audience == "party_members"
    return (
        select(
            t.id,
            t.community_id,
            t.title,
            t.status,
            t.starts_at,
            t.signup_deadline,
            t.cancel_deadline,
            t.audience,
            t.audience_grid_id,
            t.audience_party_kind,
            members.c.community_id.label("member_community_id"),
            members.c.grid_id.label("member_grid_id"),
            SIGNUPS.c.status.label("my_status"),
            case((party_task, party_grant())).label("party_member"),
            case((party_task, party_grant(g.party_kind == t.audience_party_kind))).label(
                "party_kind_held"
            ),
        )
        .select_from(
            users.outerjoin(members, members.c.user_id == users.c.id)
            .outerjoin(TASKS, t.id == bindparam("p_task_id"))
            .outerjoin(SIGNUPS, and_(SIGNUPS.c.task_id == t.id, SIGNUPS.c.user_id == users.c.id))
        )
        .where(users.c.id == bindparam("p_user_id"), users.c.is_active.is_(True))
    )


def _take_place():
    """A seat if one is free and nobody waits, else a waitlist place, in one UPDATE.

    It refuses (no row) only when the task is no longer open. SET expressions see the row as
    it was, so the returned waitlist length tells which branch ran: a seat leaves it at 0, a
    waitlist place makes it the newcomer's position.
    """
    t = TASKS.c
    seat = and_(SEAT_IS_FREE, t.waitlisted_count == 0)
    return (
        update(TASKS)
        .where(
            t.id == bindparam("p_task_id"),
            t.status == "published",
            t.signup_deadline >= bindparam("p_now", type_=UTCDateTime()),
        )
        .values(
            confirmed_count=t.confirmed_count + case((seat, 1), else_=0),
            waitlisted_count=t.waitlisted_count + case((seat, 0), else_=1),
            signup_seq=t.signup_seq + 1,
        )
        .returning(t.signup_seq, t.waitlisted_count)
    )


def _join(module):
    """INSERT the sign-up, or reuse the caller's cancelled one; no row when an active one exists."""
    insert = module.insert(SIGNUPS)
    return insert.on_conflict_do_update(
        index_elements=["task_id", "user_id"],
        set_={
            "status": insert.excluded.status,
            "seq": insert.excluded.seq,
            "signed_up_at": insert.excluded.signed_up_at,
            "cancelled_at": None,
            "promoted_at": None,
            "outcome": None,
        },
        where=SIGNUPS.c.status == "cancelled",
    ).returning(SIGNUPS.c.id)


def _leave(status: str):
    return (
        update(SIGNUPS)
        .where(
            SIGNUPS.c.task_id == bindparam("p_task_id"),
            SIGNUPS.c.user_id == bindparam("p_user_id"),
            SIGNUPS.c.status == status,
        )
        .values(status="cancelled", cancelled_at=bindparam("p_now", type_=UTCDateTime()))
        .returning(SIGNUPS.c.id)
    )


def _free(counter: str):
    column = TASKS.c[counter]
    return (
        update(TASKS)
        .where(TASKS.c.id == bindparam("p_task_id"), column > 0)
        .values({counter: column - 1})
    )


def _promotion():
    """Promotion's three steps: the next waitlisted person, a free seat for them, their status."""
    t, s = TASKS.c, SIGNUPS.c
    next_waitlisted = (
        select(s.id, s.user_id)
        .where(s.task_id == bindparam("p_task_id"), s.status == "waitlisted")
        .order_by(s.seq)
        .limit(1)
        .with_for_update()
    )
    seat = (
        update(TASKS)
        .where(t.id == bindparam("p_task_id"), SEAT_IS_FREE)
        .values(confirmed_count=t.confirmed_count + 1, waitlisted_count=t.waitlisted_count - 1)
        .returning(t.id)
    )
    promote = (
        update(SIGNUPS)
        .where(s.id == bindparam("p_id"), s.status == "waitlisted")
        .values(status="confirmed", promoted_at=bindparam("p_now", type_=UTCDateTime()))
        .returning(s.id)
    )
    return next_waitlisted, seat, promote


@cache
def statements(dialect: str) -> SimpleNamespace:
    """Every statement of sign-up, cancel and promotion; only the upsert differs by dialect."""
    module = postgresql if dialect == "postgresql" else sqlite
    t = TASKS.c
    next_waitlisted, seat_for_waitlisted, promote = _promotion()
    return SimpleNamespace(
        context=_context(),
        take_place=_take_place(),
        join=_join(module),
        # What promotion and the cancel deadline need, read after the lock is held.
        lock=select(t.id, t.community_id, t.title, t.status, t.cancel_deadline)
        .where(t.id == bindparam("p_task_id"))
        .with_for_update(),
        leave={status: _leave(status) for status in ("confirmed", "waitlisted")},
        free={"confirmed": _free("confirmed_count"), "waitlisted": _free("waitlisted_count")},
        next_waitlisted=next_waitlisted,
        seat_for_waitlisted=seat_for_waitlisted,
        promote=promote,
    )

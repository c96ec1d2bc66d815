"""The sign-up and cancel statements, built once per dialect: building costs more CPU than running.

Core on the tables, not ORM entities. Bind names carry a `p_` prefix: in INSERT/UPDATE, names
equal to column names are reserved. The hot sign-up statement has its other values, all
constants, written into its SQL (`_constants_inline`).
"""

from functools import cache
from types import SimpleNamespace

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from server.auth.models import User
from server.community.models import Membership, RoleGrant
from server.db.types import UTCDateTime
from server.notify.models import OutboxEvent
from server.tasks.models import Task, TaskSignup

TASKS, SIGNUPS = Task.__table__, TaskSignup.__table__


def _context():
    """Who asks and about what, in one row: the caller (only if active), their membership, the
    task, their sign-up for it, and - for party-member tasks only - their party grants.

    Driven by the user so that a deactivated or deleted caller gets no row at all (401 before
    anything else, as loading the user did); the task and the rest are outer joins.
    """
    users, members, grants = User.__table__, Membership.__table__, RoleGrant.__table__
    t, g = TASKS.c, grants.c

    def party_grant(*also):
        # grants_of(user, task.community_id) filtered to party members, as check_audience reads
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


def _take_place(now, *also):
    """A seat if one is free and nobody waits, else a waitlist place, in one UPDATE.

    SET expressions see the row as it was, so the returned waitlist length tells which branch
    ran: a seat leaves it at 0, a waitlist place makes it the newcomer's position.
    """
    t = TASKS.c
    seat = and_(t.confirmed_count < t.capacity, t.waitlisted_count == 0)
    return (
        update(TASKS)
        .where(
            t.id == bindparam("p_task_id"),
            t.status == "published",
            t.signup_deadline >= now,
            *also,
        )
        .values(
            confirmed_count=t.confirmed_count + case((seat, 1), else_=0),
            waitlisted_count=t.waitlisted_count + case((seat, 0), else_=1),
            signup_seq=t.signup_seq + 1,
        )
        .returning(t.id, t.signup_seq, t.waitlisted_count)
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


def _eligible(ctx):
    """signup._checked_for_signup on a context row, as SQL: true only when every check passes.

    It must never be laxer than the Python checks: what it lets through is committed before
    Python sees anything. Being stricter would only cost a round trip, as a refusal reads the
    context again and lets the Python checks pick the error.
    """
    c = ctx.c
    party_ok = and_(
        c.party_member.is_(True),
        or_(func.coalesce(c.audience_party_kind, "") == "", c.party_kind_held.is_(True)),
    )
    return and_(
        c.id.is_not(None),
        c.member_community_id == c.community_id,
        or_(c.audience != "grid", c.member_grid_id.is_not_distinct_from(c.audience_grid_id)),
        or_(c.audience != "party_members", party_ok),
        c.my_status.is_(None),
    )


def _sign_up_at_once(now):
    """PostgreSQL: checks, seat or waitlist place, sign-up and outbox event in ONE statement.

    Run in autocommit it is its own transaction, so the task row lock is held only inside
    PostgreSQL - from the seat UPDATE to the implicit commit, with no round trip to Python in
    between. The seat UPDATE runs only when the context row passes every check (`_eligible`,
    evaluated once, before the row is locked); its own WHERE re-checks status and deadline on
    the latest row. The INSERT has no ON CONFLICT on purpose: when the caller already has a
    sign-up the unique (task_id, user_id) constraint fails the whole statement and the seat
    goes back. Returns (sign-up id, waitlist length), or no row when anything was refused:
    then the context statement and the Python checks say why, so the answer is only as wide
    as the sign-up needs (every result column costs CPU in the driver).
    """
    ctx = _context().cte("ctx")
    gate = exists().where(_eligible(ctx))
    t = TASKS.c
    # SQLAlchemy fills `onupdate` defaults only for the first DML it compiles; here that is
    # not the UPDATE, so its updated_at is set explicitly, like the outbox row's created_at.
    written_at = bindparam("p_written_at", type_=UTCDateTime())
    place = (
        _take_place(now, gate)
        .values(updated_at=written_at)
        .returning(t.community_id, t.title)
        .cte("place")
    )
    status = case((place.c.waitlisted_count == 0, "confirmed"), else_="waitlisted")
    user_id = bindparam("p_user_id", type_=Integer())
    joined = (
        postgresql.insert(SIGNUPS)
        .from_select(
            ["task_id", "user_id", "status", "seq", "signed_up_at"],
            select(place.c.id, user_id, status, place.c.signup_seq, now),
        )
        .returning(SIGNUPS.c.id, SIGNUPS.c.status)
        .cte("joined")
    )
    outbox = OutboxEvent.__table__
    # The payload signup._event_payload builds on the other paths, built here from the row.
    payload = func.jsonb_build_object(
        "task_id", place.c.id, "user_id", user_id, "title", place.c.title
    )
    told = postgresql.insert(outbox).from_select(
        [
            "event_type",
            "aggregate_type",
            "aggregate_id",
            "community_id",
            "payload",
            "created_at",
            "published_at",
        ],
        select(
            literal("task.signup.", String()) + joined.c.status,
            literal("task", String()),
            cast(place.c.id, String()),
            place.c.community_id,
            payload,
            written_at,
            null(),
        ).select_from(place.join(joined, true())),
    )
    return (
        select(joined.c.id, place.c.waitlisted_count)
        .select_from(place.join(joined, true()))
        .add_cte(told.cte("told"))
    )


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
    """Promotion's three steps: the next waitlisted person, a seat for them, their new status."""
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
        .where(t.id == bindparam("p_task_id"), t.confirmed_count < t.capacity)
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


def _constants_inline(stmt, dialect):
    """The statement with its constants ('published', 0, 1 ...) as SQL literals, not parameters.

    SQLAlchemy builds, processes and sends every bound parameter on every execution; the
    sign-up statement had 26, of which only the four `p_` ones vary.
    """

    def literal_sql(element, **_kw):
        if isinstance(element, BindParameter) and not element.key.startswith("p_"):
            if element.value is not None and not element.callable:
                sql = literal(element.value, element.type).compile(
                    dialect=dialect, compile_kwargs={"literal_binds": True}
                )
                return literal_column(sql.string, element.type)
        return None

    return visitors.replacement_traverse(stmt, {}, literal_sql)


@cache
def statements(dialect: str) -> SimpleNamespace:
    module = postgresql if dialect == "postgresql" else sqlite
    now = bindparam("p_now", type_=UTCDateTime())
    t = TASKS.c
    next_waitlisted, seat_for_waitlisted, promote = _promotion()
    return SimpleNamespace(
        context=_context(),
        take_place=_take_place(now),
        join=_join(module),
        sign_up_at_once=(
            _constants_inline(_sign_up_at_once(now), module.dialect())
            if dialect == "postgresql"
            else None
        ),
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

"""What `GET /me` shows, read in two plain queries: it is the app's most frequent request.

One row joins the user, membership, community, grid, point account and volunteer minutes; a
second query lists the role grants. No ORM entities are built, which is most of the cost.
"""

from functools import cache

from flask import current_app
from sqlalchemy import and_, bindparam, func, select

from server.auth.models import User
from server.community.models import Community, Grid, Membership, RoleGrant
from server.db.session import db
from server.platform.localtime import local_year
from server.platform.masking import mask_phone
from server.points.ledger_models import Account
from server.profile import cache as profile_cache
from server.profile.schemas import ProfileSchema
from server.tasks import clock
from server.tasks.hours import year_bounds
from server.tasks.models import Task, TaskAttendance


def _credited_minutes(users, period: bool):
    attendance, tasks = TaskAttendance.__table__.c, Task.__table__.c
    stmt = (
        select(func.coalesce(func.sum(attendance.minutes), 0))
        .select_from(TaskAttendance.__table__.join(Task.__table__, tasks.id == attendance.task_id))
        .where(attendance.user_id == users.c.id, attendance.credited_at.is_not(None))
    )
    if period:
        stmt = stmt.where(
            tasks.starts_at >= bindparam("year_start"), tasks.starts_at < bindparam("year_end")
        )
    return stmt.correlate(users).scalar_subquery()


@cache
def _statements():
    """Build the two statements once; executing a prebuilt Core statement skips most overhead."""
    users, members = User.__table__, Membership.__table__
    communities, grids, accounts = Community.__table__, Grid.__table__, Account.__table__
    profile = (
        select(
            users.c.id,
            users.c.nickname,
            users.c.real_name,
            users.c.avatar_url,
            users.c.phone,
            users.c.created_at,
            members.c.community_id,
            communities.c.name.label("community_name"),
            members.c.grid_id,
            grids.c.name.label("grid_name"),
            members.c.joined_at,
            accounts.c.balance,
            accounts.c.held,
            _credited_minutes(users, period=True).label("year_minutes"),
            _credited_minutes(users, period=False).label("lifetime_minutes"),
        )
        .select_from(
            users.outerjoin(members, members.c.user_id == users.c.id)
            .outerjoin(communities, communities.c.id == members.c.community_id)
            .outerjoin(grids, grids.c.id == members.c.grid_id)
            .outerjoin(
                accounts,
                and_(
                    accounts.c.community_id == members.c.community_id,
                    accounts.c.holder_type == "user",
                    accounts.c.holder_id == users.c.id,
                ),
            )
        )
        .where(users.c.id == bindparam("user_id"), users.c.is_active.is_(True))
    )
    grants = RoleGrant.__table__.c
    roles = (
        select(
            grants.id,
            grants.user_id,
            grants.community_id,
            grants.role,
            grants.grid_id,
            grants.merchant_id,
            grants.organisation_id,
            grants.party_kind,
            grants.created_at,
        )
        .where(grants.user_id == bindparam("user_id"), grants.community_id == bindparam("cid"))
        .order_by(grants.id)
    )
    return profile, roles


def profile_json(user_id: int) -> bytes | None:
    """The body of `GET /me` (None: no such active user), from the cache when it is current."""
    found = profile_cache.lookup(user_id)
    if found.body is not None:
        return found.body
    profile = profile_view(user_id)
    if profile is None:
        return None
    body = current_app.json.response(_profile_schema().dump(profile)).get_data()
    if found.stamp is not None:
        profile_cache.store(user_id, found.stamp, body)
    return body


@cache
def _profile_schema() -> ProfileSchema:
    return ProfileSchema()


def profile_view(user_id: int) -> dict | None:
    """The profile of an active user, or None when there is no such user."""
    profile_stmt, roles_stmt = _statements()
    year_start, year_end = year_bounds(local_year(clock.now()))
    params = {"user_id": user_id, "year_start": year_start, "year_end": year_end}
    # A read-only view: autocommit spares the BEGIN and ROLLBACK round trips of a transaction.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return _profile(conn, profile_stmt, roles_stmt, user_id, params)


def _profile(conn, profile_stmt, roles_stmt, user_id: int, params: dict) -> dict | None:
    row = conn.execute(profile_stmt, params).one_or_none()
    if row is None:
        return None
    membership = points = None
    grants: list[dict] = []
    if row.community_id is not None:
        membership = {
            "community": {"id": row.community_id, "name": row.community_name},
            "grid": {"id": row.grid_id, "name": row.grid_name} if row.grid_id else None,
            "joined_at": row.joined_at,
        }
        balance, held = row.balance or 0, row.held or 0
        points = {"balance": balance, "held": held, "available": balance - held}
        grants = [
            dict(g._mapping)
            for g in conn.execute(roles_stmt, {"user_id": user_id, "cid": row.community_id})
        ]
    return {
        "id": row.id,
        "points": points,
        "volunteer_hours": {
            "this_year": round(row.year_minutes / 60, 2),
            "lifetime": round(row.lifetime_minutes / 60, 2),
        },
        "nickname": row.nickname,
        "real_name": row.real_name,
        "avatar_url": row.avatar_url,
        "phone": mask_phone(row.phone),
        "phone_bound": bool(row.phone),
        "membership": membership,
        "roles": (["resident"] if membership else []) + sorted({g["role"] for g in grants}),
        "role_grants": grants,
        "created_at": row.created_at,
    }

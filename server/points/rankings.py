"""Rankings by month, quarter or year and by account kind.

What counts: points *earned* in the period - credits of kind credit/bonus/import, minus the
reversals of those credits (counted in the month of the credit they undo). Debits, deductions
and redemptions spend points but do not lower a rank. Periods are Asia/Shanghai calendar months,
quarters and years.

Which lists an account appears in is fixed when each credit is posted (stored on the entry as
`rank_kinds`, so rebuilds agree with what was shown; the rule is the SQL expression
server/points/ledger/statements.py `rank_kinds_of`):
- person:       every user account;
- party_member: user accounts whose holder holds a party_member grant in the community;
- grid_worker:  credits for grid service (cause_type in GRID_WORKER_CAUSES) to a holder with a
                grid_worker grant - grid workers are ranked on their service;
- organisation: organisation accounts.

Storage: `point_period_totals` (one row per account, kind and month) is upserted in the same
transaction as every credit and is the source of truth; Redis sorted sets (one per community,
kind and period) are bumped after commit and serve reads once `flask rankings rebuild` has
marked them ready. Without Redis (or before a rebuild) the same ranking is computed from SQL.
Either way a read touches a bounded number of rows per account, never the ledger itself.
"""

import logging
import re
from dataclasses import dataclass

from flask import has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.community.authz import require_membership
from server.community.models import Merchant, Organisation
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Unprocessable
from server.http.pagination import decode_cursor, encode_cursor
from server.platform import redis_after_commit
from server.platform.localtime import month_of
from server.platform.masking import mask_name
from server.points.holders import STAFF, staffed_ids
from server.points.ledger_models import Account
from server.points.models import ACCOUNT_KINDS
from server.points.ranking_sources import (
    SqlSource,
    member_of,
    ready_key,
    set_key,
    source_for,
)

log = logging.getLogger(__name__)

KINDS = ACCOUNT_KINDS
GRID_WORKER_CAUSES = ("service_log",)
_PENDING = "rankings_pending"

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def periods_of_month(month: str) -> tuple[str, str, str]:
    """The month, quarter and year labels a month counts in."""
    year, mon = month.split("-")
    return month, f"{year}-Q{(int(mon) - 1) // 3 + 1}", year


@dataclass(frozen=True)
class Period:
    label: str
    months: tuple[str, ...]


def parse_period(text: str | None) -> Period:
    """`2026-11`, `2026-Q4` or `2026`; the current Shanghai month when omitted."""
    if not text:
        text = month_of(utcnow())
    if m := _MONTH.match(text):
        year = int(m.group(1))
        months = (text,)
    elif m := _QUARTER.match(text):
        year, quarter = int(m.group(1)), int(m.group(2))
        months = tuple(f"{year}-{mon:02d}" for mon in range(quarter * 3 - 2, quarter * 3 + 1))
    elif m := _YEAR.match(text):
        year = int(m.group(1))
        months = tuple(f"{year}-{mon:02d}" for mon in range(1, 13))
    else:
        year = 0
    if not 2000 <= year <= 2100:
        raise Unprocessable(
            "统计周期格式应为 2026-11、2026-Q4 或 2026",
            code="invalid_period",
            details={"period": text},
        )
    return Period(text, months)


# ------------------------------------------------------------ Redis, after commit


def queue_increment(
    community_id: int, account_id: int, kinds: list[str], month: str, delta: int
) -> None:
    """Remember a ranking change; it reaches Redis only if the transaction commits."""
    session = db.session()
    tag = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append(
        (tag, community_id, account_id, tuple(kinds), month, delta)
    )


@redis_after_commit.collector
def _committed_increments(session: Session) -> redis_after_commit.Batch | None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return None
    ready = {ready_key(p[1]) for p in pending}

    def unready(redis) -> None:
        # SQL totals stay right; reads fall back to them until the next rebuild.
        log.warning("ranking update lost; run `flask rankings rebuild`")
        redis.delete(*ready)

    increments = [
        (set_key(community_id, kind, period), delta, member_of(account_id))
        for _tag, community_id, account_id, kinds, month, delta in pending
        for kind in kinds
        for period in periods_of_month(month)
    ]
    return redis_after_commit.Batch(zincrby=increments, on_failure=unready)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        pending = session.info.get(_PENDING) or []
        session.info[_PENDING] = [p for p in pending if p[0] is not previous_transaction]
    else:
        session.info.pop(_PENDING, None)


# ------------------------------------------------------------ reads


def display_names(account_ids: list[int]) -> dict[int, str]:
    """Public names of accounts: masked for people, in full for organisations and shops."""
    accounts = db.session.execute(
        select(Account.id, Account.holder_type, Account.holder_id).where(
            Account.id.in_(account_ids)
        )
    ).all()

    def ids(holder_type: str) -> list[int]:
        return [a.holder_id for a in accounts if a.holder_type == holder_type]

    users = {
        u.id: mask_name(u.real_name or u.nickname)
        for u in db.session.execute(
            select(User.id, User.real_name, User.nickname).where(User.id.in_(ids("user")))
        )
    }
    # Organisations (驻区单位) and shops (信用店铺) are public: their names are shown in full.
    public = {
        "organisation": dict(
            db.session.execute(
                select(Organisation.id, Organisation.name).where(
                    Organisation.id.in_(ids("organisation"))
                )
            ).all()
        ),
        "merchant": dict(
            db.session.execute(
                select(Merchant.id, Merchant.name).where(Merchant.id.in_(ids("merchant")))
            ).all()
        ),
    }
    fallback = {"organisation": "驻区单位", "merchant": "信用店铺"}
    names = {}
    for a in accounts:
        if a.holder_type == "user":
            names[a.id] = users.get(a.holder_id, mask_name(None))
        else:
            names[a.id] = public[a.holder_type].get(a.holder_id, fallback[a.holder_type])
    return names


def _my_account_id(user: User, community_id: int, kind: str) -> int | None:
    """The caller's account in a ranking of `kind`: their own, or for the organisation and
    shop rankings the first organisation or shop they staff."""
    holder_type, holder_id = "user", user.id
    if kind in STAFF:
        staffed = staffed_ids(user, community_id, kind)
        if not staffed:
            return None
        holder_type, holder_id = kind, staffed[0]
    return db.session.scalar(
        select(Account.id).where(
            Account.community_id == community_id,
            Account.holder_type == holder_type,
            Account.holder_id == holder_id,
        )
    )


def ranking(
    user: User,
    *,
    period: str | None,
    kind: str,
    limit: int,
    cursor: str | None,
    source: str | None = None,
) -> dict:
    """One page of the caller's community ranking, plus the caller's own rank."""
    community_id = require_membership(user).community_id
    return community_ranking(
        community_id,
        period=period,
        kind=kind,
        limit=limit,
        cursor=cursor,
        source=source,
        me_account_id=_my_account_id(user, community_id, kind),
    )


def community_ranking(
    community_id: int,
    *,
    period: str | None,
    kind: str,
    limit: int,
    cursor: str | None = None,
    source: str | None = None,
    me_account_id: int | None = None,
) -> dict:
    """A ranking page; `source` forces "sql" or "redis" (tests compare the two)."""
    if kind not in KINDS:
        raise Unprocessable("未知的排行类别", code="invalid_kind", details={"kind": kind})
    per = parse_period(period)
    offset = 0
    if cursor:
        (offset,) = decode_cursor(cursor, 1)
        if not isinstance(offset, int) or not 0 <= offset <= 1_000_000:
            raise Unprocessable("分页参数无效", code="invalid_cursor")
    src = source_for(community_id, source)
    try:
        return _page(src, community_id, kind, per, offset, limit, me_account_id)
    except RedisError:
        if source == "redis":
            raise
        # Redis went away between choosing it and reading it: SQL has the same answer.
        log.warning("redis lost mid-read; ranking from SQL", exc_info=True)
        return _page(SqlSource(), community_id, kind, per, offset, limit, me_account_id)


def _page(src, community_id: int, kind: str, per, offset: int, limit: int, me_account_id):
    rows = src.page(community_id, kind, per, offset, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    if rows:
        names = display_names([account_id for account_id, _ in rows])
        rank = src.count_above(community_id, kind, per, rows[0][1]) + 1
        previous = rows[0][1]
        for i, (account_id, points) in enumerate(rows):
            if points != previous:
                rank, previous = offset + i + 1, points
            items.append(
                {
                    "rank": rank,
                    "name": names.get(account_id, mask_name(None)),
                    "points": points,
                    "kind": kind,
                    "is_me": account_id == me_account_id,
                }
            )
    me = None
    if me_account_id is not None:
        points = src.score(community_id, kind, per, me_account_id)
        if points > 0:
            me = {"rank": src.count_above(community_id, kind, per, points) + 1, "points": points}
    return {
        "period": per.label,
        "kind": kind,
        "source": src.name,
        "items": items,
        "me": me,
        "next_cursor": encode_cursor([offset + limit]) if more else None,
    }


# ------------------------------------------------------------ rebuild

"""Rebuilding rankings from the ledger: the SQL period totals, then the Redis sorted sets."""

from sqlalchemy import delete, func, insert, select

from server.db.session import db
from server.platform.redis_client import get_redis, redis_key
from server.points.ledger_models import Account, LedgerEntry, PeriodTotal
from server.points.ranking_sources import member_of, ready_key, set_key
from server.points.rankings import periods_of_month


def rebuild_totals(community_id: int) -> int:
    """Recompute a community's period totals from its ledger entries (the repair path)."""
    accounts = select(Account.id).where(Account.community_id == community_id)
    db.session.execute(delete(PeriodTotal).where(PeriodTotal.community_id == community_id))
    grouped = db.session.execute(
        select(
            LedgerEntry.account_id,
            LedgerEntry.rank_month,
            LedgerEntry.rank_kinds,
            func.sum(LedgerEntry.amount).label("points"),
        )
        .where(
            LedgerEntry.account_id.in_(accounts),
            LedgerEntry.rank_kinds != "",
            LedgerEntry.rank_month.is_not(None),
        )
        .group_by(LedgerEntry.account_id, LedgerEntry.rank_month, LedgerEntry.rank_kinds)
    )
    totals: dict[tuple[int, str, str], int] = {}
    for row in grouped:
        for kind in row.rank_kinds.split(","):
            key = (row.account_id, kind, row.rank_month)
            totals[key] = totals.get(key, 0) + int(row.points)
    rows = [
        {"account_id": a, "community_id": community_id, "kind": k, "month": m, "points": p}
        for (a, k, m), p in totals.items()
    ]
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(PeriodTotal), rows[start : start + 1000])
    return len(rows)


def rebuild_redis(community_id: int) -> int:
    """Replace a community's sorted sets with the SQL totals and mark them ready."""
    redis = get_redis()
    if redis is None:
        return 0
    old = list(redis.scan_iter(match=redis_key("rank", community_id, "*"), count=1000))
    scores: dict[str, dict[str, int]] = {}
    rows = db.session.execute(
        select(
            PeriodTotal.account_id, PeriodTotal.kind, PeriodTotal.month, PeriodTotal.points
        ).where(PeriodTotal.community_id == community_id)
    )
    for account_id, kind, month, points in rows:
        for period in periods_of_month(month):
            bucket = scores.setdefault(set_key(community_id, kind, period), {})
            member = member_of(account_id)
            bucket[member] = bucket.get(member, 0) + int(points)
    pipe = redis.pipeline(transaction=True)
    if old:
        pipe.delete(*old)
    for key, members in scores.items():
        pipe.zadd(key, members)
    pipe.set(ready_key(community_id), "1")
    pipe.execute()
    return len(scores)


def rebuild_redis_job(community_id: int) -> int:
    """The RQ job request_rebuild queues (server/points/ranking_sources.py)."""
    try:
        return rebuild_redis(community_id)
    finally:
        db.session.remove()


def rebuild(community_id: int) -> dict:
    """Rebuild totals from the ledger, commit, then refill Redis from them."""
    count = rebuild_totals(community_id)
    db.session.commit()
    keys = rebuild_redis(community_id)
    return {"period_totals": count, "redis_keys": keys}

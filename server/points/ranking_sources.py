"""Where a ranking is read from: Redis sorted sets once rebuilt, else the SQL period totals.

Both answer the same three questions (a page, how many rank above, one account's score) for a
community, kind and period; see server/points/rankings.py for what counts.
"""

import logging

from redis.exceptions import RedisError
from sqlalchemy import func, select

from server.db.session import db
from server.platform.redis_client import get_redis, redis_key
from server.platform.rq_queues import background_enabled, queue
from server.points.ledger_models import PeriodTotal

log = logging.getLogger(__name__)


def member_of(account_id: int) -> str:
    # Zero-padded so Redis's reverse-lexicographic tie order equals SQL's account_id DESC.
    return f"{account_id:012d}"


def set_key(community_id: int, kind: str, period: str) -> str:
    return redis_key("rank", community_id, kind, period)


def ready_key(community_id: int) -> str:
    return redis_key("rank", community_id, "ready")


REBUILD_EVERY = 600  # seconds: at most one queued refill per community in this time


def request_rebuild(redis, community_id: int) -> None:
    """Sets that are not ready (Redis restarted empty, or an update was lost) are refilled by
    a worker now, not at the nightly rebuild; meanwhile SQL answers, so nothing is wrong, only
    slower. Without RQ workers the nightly job (or `flask rankings rebuild`) does it."""
    if not background_enabled():
        return
    if redis.set(redis_key("rank-rebuild-queued", community_id), "1", nx=True, ex=REBUILD_EVERY):
        queue("notify").enqueue(
            "server.points.ranking_rebuild.rebuild_redis_job", community_id, job_timeout=1800
        )


class SqlSource:
    name = "sql"

    def _totals(self, community_id: int, kind: str, period):
        pt = PeriodTotal
        where = (pt.community_id == community_id, pt.kind == kind)
        if len(period.months) == 1:
            return (
                select(pt.account_id, pt.points.label("points"))
                .where(*where, pt.month == period.months[0], pt.points > 0)
                .subquery()
            )
        total = func.sum(pt.points)
        return (
            select(pt.account_id, total.label("points"))
            .where(*where, pt.month.in_(period.months))
            .group_by(pt.account_id)
            .having(total > 0)
            .subquery()
        )

    def page(self, community_id, kind, period, offset, count):
        sub = self._totals(community_id, kind, period)
        rows = db.session.execute(
            select(sub.c.account_id, sub.c.points)
            .order_by(sub.c.points.desc(), sub.c.account_id.desc())
            .offset(offset)
            .limit(count)
        )
        return [(r.account_id, int(r.points)) for r in rows]

    def count_above(self, community_id, kind, period, points):
        sub = self._totals(community_id, kind, period)
        return db.session.scalar(select(func.count()).select_from(sub).where(sub.c.points > points))

    def score(self, community_id, kind, period, account_id):
        total = db.session.scalar(
            select(func.sum(PeriodTotal.points)).where(
                PeriodTotal.account_id == account_id,
                PeriodTotal.kind == kind,
                PeriodTotal.month.in_(period.months),
            )
        )
        return int(total or 0)


class RedisSource:
    name = "redis"

    def __init__(self, redis):
        self.redis = redis

    def page(self, community_id, kind, period, offset, count):
        rows = self.redis.zrevrangebyscore(
            set_key(community_id, kind, period.label),
            "+inf",
            "(0",
            start=offset,
            num=count,
            withscores=True,
        )
        return [(int(member), int(score)) for member, score in rows]

    def count_above(self, community_id, kind, period, points):
        return self.redis.zcount(set_key(community_id, kind, period.label), f"({points}", "+inf")

    def score(self, community_id, kind, period, account_id):
        value = self.redis.zscore(set_key(community_id, kind, period.label), member_of(account_id))
        return int(value or 0)


def source_for(community_id: int, prefer: str | None = None):
    if prefer == "sql":
        return SqlSource()
    redis = get_redis()
    if redis is not None:
        try:
            if redis.exists(ready_key(community_id)):
                return RedisSource(redis)
            request_rebuild(redis, community_id)
        except RedisError:
            log.warning("redis unavailable; ranking from SQL", exc_info=True)
    if prefer == "redis":
        raise RuntimeError("rankings are not ready in Redis")
    return SqlSource()

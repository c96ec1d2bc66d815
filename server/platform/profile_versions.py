"""Versions of each user's `GET /me` profile in Redis, bumped after a commit that changes it.

Writers anywhere say which users' profiles their transaction changes (`touch`); the versions
are bumped once the transaction commits, and dropped with a rollback. The `/me` read model
(server/profile/cache.py) stamps its cached copies with these versions, so a copy is never
served after a committed change. A lost bump (Redis down) only logs: copies expire quickly.
"""

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.db.session import db
from server.platform import redis_after_commit
from server.platform.redis_client import redis_key

# A version outlives every copy stored under it many times over, so when an idle user's
# version expires (and restarts from 0) no copy stamped with an old number can be left.
VERSION_TTL_SECONDS = 7 * 24 * 3600
PENDING = "profile_versions_pending"
EVERYONE = 0  # the pending marker for "every profile" (the global version)


def everyone_key() -> str:
    return redis_key("me", "gv")


def user_key(user_id: int) -> str:
    return redis_key("me", "v", user_id)


def touch(*user_ids: int, session: Session | None = None) -> None:
    """These users' profiles change in the current transaction: bump them when it commits.

    `EVERYONE` stands for every profile (a community or grid renamed).
    """
    (session or db.session).info.setdefault(PENDING, set()).update(user_ids)


@redis_after_commit.collector
def _committed_bumps(session: Session) -> redis_after_commit.Batch | None:
    pending = session.info.pop(PENDING, None)
    if not pending or not has_app_context():
        return None
    return redis_after_commit.Batch(
        incr=[everyone_key() if uid == EVERYONE else user_key(uid) for uid in pending],
        incr_ttl=VERSION_TTL_SECONDS,
    )


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    # A savepoint's rollback keeps the marks: bumping one too many only costs a cache miss.
    if not previous_transaction.nested:
        session.info.pop(PENDING, None)

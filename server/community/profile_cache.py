"""`GET /me` answered from Redis: the serialized profile, stamped with versions.

The profile is the app's most frequent request and changes rarely, so its JSON is kept in
Redis under the user's version. Whatever changes a profile bumps a version after its
transaction commits: the user's own (their user row, membership, role grants, point account,
credited volunteer hours) or the global one (a community or grid renamed, which shows in
many profiles). A reader takes the versions first and stores what it then read from the
database under them, so a write that commits meanwhile leaves that copy under a version
nobody asks for any more: a cached profile is never older than the last committed change
seen by a request that began after it. The TTL bounds what a crash between commit and bump
could leave behind. Without Redis every request reads the database.
"""

import logging
from dataclasses import dataclass

from flask import has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.auth.models import User
from server.community.models import Community, Grid, Membership, RoleGrant
from server.db.session import db
from server.platform import redis_after_commit
from server.platform.localtime import local_year
from server.platform.redis_client import get_redis, redis_key
from server.tasks import clock
from server.tasks.models import TaskAttendance

log = logging.getLogger(__name__)

TTL_SECONDS = 120
# A version outlives every copy stored under it many times over, so when an idle user's
# version expires (and restarts from 0) no copy stamped with an old number can be left.
VERSION_TTL_SECONDS = 7 * 24 * 3600
_PENDING = "profile_cache_pending"
_EVERYONE = 0  # the pending marker for "every profile" (the global version)
# Rows whose change shows in their user's profile, and the attribute naming that user.
_USER_OF = {User: "id", Membership: "user_id", RoleGrant: "user_id", TaskAttendance: "user_id"}
# Rows whose change (a rename) shows in every member's profile.
_SHARED = (Community, Grid)


@dataclass(frozen=True)
class Lookup:
    body: bytes | None  # the cached JSON, or None on a miss
    stamp: str | None  # what a miss stores its body under; None: do not store (no Redis)


def _keys(user_id: int) -> tuple[str, str, str]:
    return redis_key("me", "gv"), redis_key("me", "v", user_id), redis_key("me", user_id)


def _year() -> int:
    # Volunteer hours "this year" roll over at local new year, so the year is in the stamp.
    return local_year(clock.now())


def lookup(user_id: int) -> Lookup:
    """The cached profile JSON when it is current; otherwise the stamp to store a fresh one."""
    redis = get_redis()
    if redis is None:
        return Lookup(None, None)
    try:
        everyone, own, cached = redis.mget(_keys(user_id))
    except RedisError:
        log.warning("profile cache unavailable; reading the database", exc_info=True)
        return Lookup(None, None)
    stamp = f"{int(everyone or 0)}.{int(own or 0)}.{_year()}"
    if cached is not None:
        head, _, body = cached.partition(b"|")
        if head.decode() == stamp:
            return Lookup(body, stamp)
    return Lookup(None, stamp)


def store(user_id: int, stamp: str, body: bytes) -> None:
    redis = get_redis()
    if redis is None:
        return
    try:
        redis.set(_keys(user_id)[2], stamp.encode() + b"|" + body, ex=TTL_SECONDS)
    except RedisError:
        log.warning("could not cache a profile", exc_info=True)


def touch(*user_ids: int) -> None:
    """These users' profiles change in the current transaction: bump them when it commits."""
    db.session.info.setdefault(_PENDING, set()).update(user_ids)


@event.listens_for(Session, "after_flush")
def _touch_flushed(session: Session, _context) -> None:
    """ORM writes (profile edits, joins, role grants, renames) mark what they change."""
    changed: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        attribute = _USER_OF.get(type(obj))
        if attribute is not None:
            user_id = getattr(obj, attribute, None)
            if user_id is not None:
                changed.add(user_id)
        elif isinstance(obj, _SHARED):
            changed.add(_EVERYONE)
    if changed:
        session.info.setdefault(_PENDING, set()).update(changed)


def bump_now(*user_ids: int) -> None:
    """These users' profiles changed in a write already committed outside the session."""
    redis_after_commit.apply([_bumps(user_ids)])


def _bumps(user_ids) -> redis_after_commit.Batch:
    # A lost bump (Redis down) only logs: cached copies expire within TTL_SECONDS.
    return redis_after_commit.Batch(
        incr=[redis_key("me", "gv") if uid == _EVERYONE else _keys(uid)[1] for uid in user_ids],
        incr_ttl=VERSION_TTL_SECONDS,
    )


@redis_after_commit.collector
def _committed_bumps(session: Session) -> redis_after_commit.Batch | None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return None
    return _bumps(pending)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    # A savepoint's rollback keeps the marks: bumping one too many only costs a cache miss.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)

"""`GET /me` answered from Redis: the serialized profile, stamped with versions.

The profile is the app's most frequent request and changes rarely, so its JSON is kept in
Redis under the user's version (server/platform/profile_versions.py). Whatever changes a
profile bumps a version after its transaction commits: the user's own (their user row,
membership, role grants, point account, credited volunteer hours) or the global one (a
community or grid renamed, which shows in many profiles). A reader takes the versions first and
stores what it then read from the database under them, so a write that commits meanwhile leaves
that copy under a version nobody asks for any more: a cached profile is never older than the
last committed change seen by a request that began after it. The TTL bounds what a crash
between commit and bump could leave behind. Without Redis every request reads the database.
"""

import logging
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.auth.models import User
from server.community.models import Community, Grid, Membership, RoleGrant
from server.platform import profile_versions
from server.platform.localtime import local_year
from server.platform.redis_client import get_redis, redis_key
from server.tasks import clock
from server.tasks.models import TaskAttendance

log = logging.getLogger(__name__)

TTL_SECONDS = 120
# Rows whose change shows in their user's profile, and the attribute naming that user.
_USER_OF = {User: "id", Membership: "user_id", RoleGrant: "user_id", TaskAttendance: "user_id"}
# Rows whose change (a rename) shows in every member's profile.
_SHARED = (Community, Grid)


@dataclass(frozen=True)
class Lookup:
    body: bytes | None  # the cached JSON, or None on a miss
    stamp: str | None  # what a miss stores its body under; None: do not store (no Redis)


def _body_key(user_id: int) -> str:
    return redis_key("me", user_id)


def lookup(user_id: int) -> Lookup:
    """The cached profile JSON when it is current; otherwise the stamp to store a fresh one."""
    redis = get_redis()
    if redis is None:
        return Lookup(None, None)
    keys = (profile_versions.everyone_key(), profile_versions.user_key(user_id), _body_key(user_id))
    try:
        everyone, own, cached = redis.mget(keys)
    except RedisError:
        log.warning("profile cache unavailable; reading the database", exc_info=True)
        return Lookup(None, None)
    # Volunteer hours "this year" roll over at local new year, so the year is in the stamp.
    stamp = f"{int(everyone or 0)}.{int(own or 0)}.{local_year(clock.now())}"
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
        redis.set(_body_key(user_id), stamp.encode() + b"|" + body, ex=TTL_SECONDS)
    except RedisError:
        log.warning("could not cache a profile", exc_info=True)


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
            changed.add(profile_versions.EVERYONE)
    if changed:
        profile_versions.touch(*changed, session=session)

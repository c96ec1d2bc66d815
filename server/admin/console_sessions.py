"""Console sessions: who may log in (a staff role in their community), sessions with idle and
absolute expiry, one-time login links, and the login log they all write."""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from server.admin.console_models import (
    MAX_IP,
    MAX_USER_AGENT,
    ConsoleLoginLink,
    ConsoleLoginLog,
    ConsoleSession,
)
from server.auth.models import User
from server.community.authz import grants_of, membership_of
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Forbidden, NotFound
from server.points.holders import staffed_ids

# The roles that open the console; a resident or party member alone does not.
STAFF_ROLES = ("admin", "reviewer", "grid_worker", "merchant_staff")


class NoStaffRole(Forbidden):
    code, message = "console_no_role", "您没有办公台权限，请联系社区管理员"


class LoginLinkGone(NotFound):
    code, message = "console_link_gone", "登录链接无效或已过期"


@dataclass(frozen=True)
class Client:
    """Where a request came from, as the log and the session keep it (truncated)."""

    ip: str = ""
    user_agent: str = ""

    @classmethod
    def of(cls, ip: str | None, user_agent: str | None) -> "Client":
        return cls((ip or "")[:MAX_IP], (user_agent or "")[:MAX_USER_AGENT])


@dataclass(frozen=True)
class StaffIdentity:
    """A console user's community, staff roles there and the shops they staff."""

    user: User
    community_id: int | None
    roles: tuple[str, ...] = ()
    merchant_ids: tuple[int, ...] = field(default_factory=tuple)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_identity(user: User) -> StaffIdentity:
    """The user's community (their membership's, else their first staff grant's) and roles."""
    membership = membership_of(user)
    community_id = membership.community_id if membership else None
    if community_id is None:
        first = next((g for g in grants_of(user) if g.role in STAFF_ROLES), None)
        community_id = first.community_id if first else None
    if community_id is None or not user.is_active:
        return StaffIdentity(user, community_id)
    grants = grants_of(user, community_id)
    roles = tuple(r for r in STAFF_ROLES if any(g.role == r for g in grants))
    merchants = tuple(staffed_ids(user, community_id, "merchant"))
    return StaffIdentity(user, community_id, roles, merchants)


def log_login(outcome: str, client: Client, user_id=None, community_id=None) -> None:
    """Add a login-log row in the caller's transaction."""
    db.session.add(
        ConsoleLoginLog(
            user_id=user_id,
            community_id=community_id,
            outcome=outcome,
            ip=client.ip,
            user_agent=client.user_agent,
        )
    )


def refuse_without_role(identity: StaffIdentity, client: Client) -> None:
    """Log and refuse (403) a user with no staff role; the log row is committed first."""
    if identity.roles:
        return
    log_login("refused_no_role", client, identity.user.id, identity.community_id)
    db.session.commit()
    raise NoStaffRole()


def create_session(identity: StaffIdentity, client: Client) -> str:
    """A new session for a staff member; returns the cookie's token (stored as a digest)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        ConsoleSession(
            token_digest=digest(token),
            csrf_token=secrets.token_urlsafe(32),
            user_id=identity.user.id,
            community_id=identity.community_id,
            ip=client.ip,
            user_agent=client.user_agent,
        )
    )
    return token


def live_session(token: str | None) -> ConsoleSession | None:
    """The session a cookie names, unless revoked, idle too long or past its absolute limit;
    a live one is touched (its idle clock restarts)."""
    if not token or len(token) > 128:
        return None
    config = current_app.config
    now = utcnow()
    idle_since = now - timedelta(minutes=config["CONSOLE_IDLE_MINUTES"])
    born_after = now - timedelta(hours=config["CONSOLE_ABSOLUTE_HOURS"])
    # Touch and check in one statement: two tabs at the idle edge cannot both revive it.
    session_id = db.session.scalar(
        update(ConsoleSession)
        .where(
            ConsoleSession.token_digest == digest(token),
            ConsoleSession.revoked_at.is_(None),
            ConsoleSession.last_seen_at > idle_since,
            ConsoleSession.created_at > born_after,
        )
        .values(last_seen_at=now)
        .returning(ConsoleSession.id)
    )
    db.session.commit()
    return db.session.get(ConsoleSession, session_id) if session_id else None


def logout(token: str | None) -> None:
    """Revoke the cookie's session (nothing happens for an unknown one)."""
    if not token:
        return
    db.session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_digest == digest(token), ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()


def create_login_link(user: User) -> str:
    """A one-time login link's token for a staff member (the CLI prints it as a URL)."""
    identity = staff_identity(user)
    if not identity.roles:
        raise NoStaffRole()
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["CONSOLE_LINK_MINUTES"]
    db.session.add(
        ConsoleLoginLink(
            token_digest=digest(token),
            user_id=user.id,
            community_id=identity.community_id,
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    db.session.commit()
    return token


def use_login_link(token: str, client: Client) -> str:
    """Spend a login link once (gate: unused and unexpired) and open a session for its user."""
    link_id = db.session.scalar(
        update(ConsoleLoginLink)
        .where(
            ConsoleLoginLink.token_digest == digest(token[:128]),
            ConsoleLoginLink.used_at.is_(None),
            ConsoleLoginLink.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
        .returning(ConsoleLoginLink.id)
    )
    if link_id is None:
        db.session.rollback()
        raise LoginLinkGone()
    link = db.session.get(ConsoleLoginLink, link_id)
    identity = staff_identity(db.session.get(User, link.user_id))
    refuse_without_role(identity, client)  # a role revoked since the link was made
    log_login("link", client, link.user_id, identity.community_id)
    session_token = create_session(identity, client)
    db.session.commit()
    return session_token


def session_user(session: ConsoleSession) -> User | None:
    return db.session.scalar(select(User).where(User.id == session.user_id))

"""Display links for the hall's big screen: created, listed and revoked by the community's
admins; a live link's token opens the screen without a login (server/notices/display_content.py
decides what it shows)."""

import hashlib
import secrets

from sqlalchemy import select, update

from server.auth.models import User
from server.community.authz import authorize, require_membership
from server.community.models import Community
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.db.types import utcnow
from server.http.errors import NotFound, Unprocessable
from server.http.pagination import Page, paginate_by_id
from server.notices import display_content
from server.notices.display_models import MAX_DISPLAY_NAME, DisplayLink

MAX_TOKEN = 64  # a longer token cannot be one of ours (43 characters of base64url)


class DisplayLinkGone(NotFound):
    code, message = "display_link_not_found", "此展示链接已停用或不存在"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _admin_community(actor: User) -> int:
    community_id = require_membership(actor).community_id
    authorize(
        actor, community_id=community_id, roles=("admin",), message="只有社区管理员可以管理展示链接"
    )
    return community_id


def link_view(link: DisplayLink) -> dict:
    """What admins see of a link: never its token (nor its digest)."""
    return {
        "id": link.id,
        "name": link.name,
        "active": link.revoked_at is None,
        "created_at": link.created_at,
        "revoked_at": link.revoked_at,
        "last_seen_at": link.last_seen_at,
    }


def create_display_link(actor: User, name: str) -> tuple[DisplayLink, str]:
    """A new link for the admin's community; the token is returned here, once, and never again."""
    community_id = _admin_community(actor)
    name = (name or "").strip()
    if not name or len(name) > MAX_DISPLAY_NAME:
        raise Unprocessable(
            f"请填写屏幕名称（不超过 {MAX_DISPLAY_NAME} 个字）", code="invalid_display_name"
        )
    token = secrets.token_urlsafe(32)
    link = DisplayLink(
        community_id=community_id, name=name, token_digest=token_digest(token), created_by=actor.id
    )
    db.session.add(link)
    db.session.flush()
    record_audit(
        actor_id=actor.id,
        action="display_link.create",
        target_type="display_link",
        target_id=link.id,
        community_id=community_id,
        after={"name": name},
    )
    db.session.commit()
    return link, token


def list_display_links(actor: User, limit: int, cursor: str | None) -> Page:
    community_id = _admin_community(actor)
    stmt = select(DisplayLink).where(DisplayLink.community_id == community_id)
    page = paginate_by_id(db.session, stmt, DisplayLink.id, limit, cursor)
    page.items = [link_view(link) for link in page.items]
    return page


def revoke_display_link(actor: User, link_id: int) -> DisplayLink:
    """Stop a link at once: its next page load or data refresh is refused."""
    community_id = _admin_community(actor)
    link = get_by_id(DisplayLink, link_id)
    if link is None or link.community_id != community_id:
        raise NotFound("展示链接不存在", code="display_link_not_found")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        record_audit(
            actor_id=actor.id,
            action="display_link.revoke",
            target_type="display_link",
            target_id=link.id,
            community_id=community_id,
            before={"active": True},
            after={"active": False},
        )
    db.session.commit()
    return link


def live_link(token: str) -> DisplayLink:
    """The unrevoked link a token opens, its last_seen_at touched; else DisplayLinkGone."""
    if not token or len(token) > MAX_TOKEN:
        raise DisplayLinkGone()
    now = utcnow()
    # One statement: a link revoked a moment ago is never seen as live.
    link_id = db.session.scalar(
        update(DisplayLink)
        .where(DisplayLink.token_digest == token_digest(token), DisplayLink.revoked_at.is_(None))
        .values(last_seen_at=now)
        .returning(DisplayLink.id)
    )
    if link_id is None:
        db.session.rollback()
        raise DisplayLinkGone()
    db.session.commit()
    return db.session.get(DisplayLink, link_id)


def display_data(token: str) -> dict:
    """Everything the screen shows, for a live link; masked names only."""
    link = live_link(token)
    community = db.session.get(Community, link.community_id)
    return {
        "community": {"name": community.name},
        "screen": {"name": link.name},
        **display_content.screen_content(link.community_id),
    }

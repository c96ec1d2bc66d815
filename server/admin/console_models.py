"""The office console's tables: scan-to-login requests, one-time login links, sessions and
the login log (docs/console.md)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

LOGIN_STATUSES = ("pending", "confirmed", "cancelled", "expired")
LOG_OUTCOMES = ("ok", "refused_no_role", "expired", "cancelled", "link")
MAX_SCENE = 32
MAX_USER_AGENT = 256
MAX_IP = 64


class ConsoleLogin(db.Model):
    """A browser asking to log in: its QR code carries `scene`; the browser keeps the random id
    (only its sha256 is stored) in a cookie and polls with it."""

    __tablename__ = "console_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    browser_digest: Mapped[str] = mapped_column(String(64), unique=True)
    scene: Mapped[str] = mapped_column(String(MAX_SCENE), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    ip: Mapped[str] = mapped_column(String(MAX_IP), default="")
    user_agent: Mapped[str] = mapped_column(String(MAX_USER_AGENT), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the browser turns the confirmation into a session: that happens once only.
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsoleLoginLink(db.Model):
    """A one-time login link printed by the CLI (bootstraps the first admin)."""

    __tablename__ = "console_login_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsoleSession(db.Model):
    """A logged-in console browser. The cookie's token is stored only as its sha256."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(MAX_IP), default="")
    user_agent: Mapped[str] = mapped_column(String(MAX_USER_AGENT), default="")


class ConsoleLoginLog(db.Model):
    """登录日志: every console login attempt that reached a decision."""

    __tablename__ = "console_login_log"
    __table_args__ = (Index("ix_console_login_log_community_at", "community_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    outcome: Mapped[str] = mapped_column(String(24))
    ip: Mapped[str] = mapped_column(String(MAX_IP), default="")
    user_agent: Mapped[str] = mapped_column(String(MAX_USER_AGENT), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


EXPORT_STATUSES = ("queued", "running", "done", "failed")
MAX_EXPORT_QUERY = 1000


class ConsoleExport(db.Model):
    """导出任务: a list's export too big to answer directly, written by a background job and
    downloadable by the staff member who asked for it (docs/console.md)."""

    __tablename__ = "console_exports"
    __table_args__ = (Index("ix_console_exports_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    kind: Mapped[str] = mapped_column(String(32))
    # The list's filter as its query string, parsed again by the list's own code when run.
    query: Mapped[str] = mapped_column(String(MAX_EXPORT_QUERY), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    row_count: Mapped[int | None] = mapped_column()
    storage_key: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""The audit log: every privileged action, with actor, time, before and after."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import JSONType, UTCDateTime, utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def jsonable(view: dict) -> dict:
    """A view with its dates and times as ISO strings, nested views too: audit rows and event
    payloads are JSON."""
    out = {}
    for key, value in view.items():
        if isinstance(value, dict):
            value = jsonable(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[key] = value
    return out


def record_audit(
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: object,
    community_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditLog:
    """Add an audit row to the caller's transaction (the caller commits with its effect)."""
    row = AuditLog(
        actor_id=actor_id,
        community_id=community_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
    )
    db.session.add(row)
    return row

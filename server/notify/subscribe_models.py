"""Subscribe messages: how many messages each user allowed per kind, and one personal notice
per outbox event, user and kind (the state of record of a subscribe message)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

NOTICE_STATUSES = ("pending", "sent", "no_consent", "refused", "no_openid", "dead")


class SubscriptionCount(db.Model):
    """Acceptances not yet spent: each accept in wx.requestSubscribeMessage allows one message
    of its template, and they add up (WeChat keeps no count we can read)."""

    __tablename__ = "subscription_counts"
    __table_args__ = (CheckConstraint("count >= 0", name="count_non_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonalNotice(db.Model):
    __tablename__ = "personal_notices"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", "kind"),
        CheckConstraint(
            "status IN ('pending','sent','no_consent','refused','no_openid','dead')",
            name="status_known",
        ),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_personal_notices_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    # True once an acceptance was spent on this notice: its retries never spend another.
    consent_spent: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Group channels (the community's and the grids' WeCom group robots) and deliveries: one row
per outbox event and channel, the state of record of a message, so a lost Redis or a killed
worker loses none and a retry never posts twice."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

DELIVERY_STATUSES = ("pending", "sent", "dead")
MAX_CHANNEL_NAME = 32
# Who is in the group: residents (the community's or a grid's group, which hears of tasks and
# notices) or staff (the reviewers' and office group, which hears of digests and overdue reports).
AUDIENCES = ("residents", "staff")


class GroupChannel(db.Model):
    __tablename__ = "group_channels"
    __table_args__ = (
        UniqueConstraint("community_id", "robot_key"),
        CheckConstraint("audience IN ('residents','staff')", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    # None: the community's own group; else one grid's group.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    name: Mapped[str] = mapped_column(String(MAX_CHANNEL_NAME))
    audience: Mapped[str] = mapped_column(
        String(12), default="residents", server_default="residents"
    )
    # The webhook key is the robot's only credential: never serialised or logged; the API and
    # the console show key_hint (its last 4 characters).
    robot_key: Mapped[str] = mapped_column(String(64))
    key_hint: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:  # the key must never end up in a log line
        return f"<GroupChannel {self.id} …{self.key_hint}>"


class Delivery(db.Model):
    __tablename__ = "deliveries"
    __table_args__ = (
        # One row per message: an event that is posted as several messages (a notice's text and
        # its poster) has one part each, sent and retried on its own.
        UniqueConstraint("event_id", "channel_id", "part"),
        CheckConstraint("status IN ('pending','sent','dead')", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("group_channels.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    part: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Printed point cards. A holder has at most one active card; a replaced card stays as a row
(status `replaced`) so its QR is refused with a clear reason instead of "unknown"."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

CARD_STATUSES = ("active", "replaced")
NUMBER_LENGTH = 12


class PointCard(db.Model):
    __tablename__ = "point_cards"
    __table_args__ = (
        CheckConstraint("status IN ('active','replaced')", name="status_known"),
        Index(
            "uq_point_cards_one_active",
            "holder_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("card_holders.user_id"), index=True)
    # Random (server/cards/numbers.py): what the QR carries; not an id to count through.
    number: Mapped[str] = mapped_column(String(NUMBER_LENGTH), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_reason: Mapped[str | None] = mapped_column(String(64))

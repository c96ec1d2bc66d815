"""Issued volunteer records: what a printed yearly record said, kept so its serial checks."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

SERIAL_PREFIX = "VS"


class IssuedRecord(db.Model):
    """One issued PDF's snapshot; later service never changes it, so an old print still checks
    with the figures it shows."""

    __tablename__ = "issued_records"
    __table_args__ = (Index("ix_issued_records_user_id_year", "user_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    community_name: Mapped[str] = mapped_column(String(64), default="")
    year: Mapped[int]
    minutes: Mapped[int]
    points: Mapped[int]
    services: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<IssuedRecord {self.id}>"

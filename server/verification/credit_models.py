"""Credit references (信用证明): a time-limited, revocable snapshot of a holder's standing that
a bank checks by serial and check code, and the log of every check."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

SERIAL_PREFIX = "CR"
MIN_DAYS, MAX_DAYS = 1, 90
HOLDER_TYPES = ("user", "organisation", "merchant")
OUTCOMES = ("ok", "wrong_code", "expired", "revoked")
MAX_CLIENT = 48


class CreditReference(db.Model):
    __tablename__ = "credit_references"
    __table_args__ = (
        Index("ix_credit_references_holder", "community_id", "holder_type", "holder_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    # The check code is shown once, at issue; only its keyed digest is kept.
    code_digest: Mapped[str] = mapped_column(String(64))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    holder_type: Mapped[str] = mapped_column(String(16))
    holder_id: Mapped[int]
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The snapshot the bank sees (a person's name masked, as on every public view).
    holder_name: Mapped[str] = mapped_column(String(64))
    community_name: Mapped[str] = mapped_column(String(64))
    year: Mapped[int]
    points_year: Mapped[int]
    points_total: Mapped[int]
    volunteer_minutes: Mapped[int | None]
    rank_band: Mapped[str] = mapped_column(String(16))
    member_since: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<CreditReference {self.id}>"


class CreditCheck(db.Model):
    """One check of a reference's serial, whatever its outcome."""

    __tablename__ = "credit_checks"
    __table_args__ = (Index("ix_credit_checks_reference_id_id", "reference_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_id: Mapped[int] = mapped_column(ForeignKey("credit_references.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    # A coarse label of where the check came from (203.0.113.*): never the full address.
    client: Mapped[str] = mapped_column(String(MAX_CLIENT))

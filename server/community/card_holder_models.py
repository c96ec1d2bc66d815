"""Residents without a smartphone (card holders) and what staff did on their behalf.

A card holder is a user like any other (same membership, account, ledger and rankings) whose
`users.openid` stays empty until they, or family with them at the office, bind a WeChat
login. The PIN they chose at registration, and its lock, belong to the person, not to one
printed card: a replacement card keeps them.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

MAX_PIN_TRIES = 5
MAX_BUILDING = 32
MAX_UNIT = 32

BigId = BigInteger().with_variant(Integer(), "sqlite")


class CardHolder(db.Model):
    __tablename__ = "card_holders"
    __table_args__ = (
        CheckConstraint(
            f"failed_pins >= 0 AND failed_pins <= {MAX_PIN_TRIES}", name="failed_pins_bounded"
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    building: Mapped[str] = mapped_column(String(MAX_BUILDING))
    unit: Mapped[str] = mapped_column(String(MAX_UNIT), default="")
    # A slow hash (werkzeug's scrypt) of the 4-6 digit PIN; never serialised or logged.
    pin_hash: Mapped[str] = mapped_column(String(255))
    # Wrong PINs counted since the last right one; the fifth locks until staff unlock it.
    failed_pins: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The one-time binding code staff printed (an HMAC of it; see server/cards/binding.py).
    bind_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    bind_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:  # the PIN hash must never end up in a log line
        return f"<CardHolder {self.user_id}>"


class ActOnBehalf(db.Model):
    """One act a staff member or grid worker did for a card holder (全程代办): who, for whom,
    what and on which object. The holder (and family, once bound) read their list."""

    __tablename__ = "acts_on_behalf"
    __table_args__ = (Index("ix_acts_on_behalf_holder", "holder_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(48))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

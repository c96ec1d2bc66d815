"""Offers, redemption windows, redemptions and the per-person limit counters."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.community.models import Merchant
from server.db.session import db
from server.db.types import UTCDateTime, utcnow

OFFER_LIMIT_PERIODS = ("month", "quarter")
REDEMPTION_STATUSES = ("reserved", "redeemed", "cancelled", "expired")


class Offer(db.Model):
    """A reward a merchant gives for points; stock only moves by conditional UPDATE."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("points_cost > 0 AND points_cost <= 1000000", name="points_cost_range"),
        CheckConstraint("limit_per_person IS NULL OR limit_per_person > 0", name="limit_positive"),
        CheckConstraint("limit_period IN ('month','quarter')", name="limit_period_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    title: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500), default="")
    image_url: Mapped[str | None] = mapped_column(String(512))
    points_cost: Mapped[int] = mapped_column()
    stock: Mapped[int] = mapped_column(default=0)
    limit_per_person: Mapped[int | None] = mapped_column()
    limit_period: Mapped[str] = mapped_column(String(8), default="month")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    merchant: Mapped[Merchant] = relationship()


class RedemptionWindow(db.Model):
    """Dates (Asia/Shanghai) when a community's residents may reserve; none means always open."""

    __tablename__ = "redemption_windows"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Redemption(db.Model):
    """One reserved reward: points held from reservation until verified, cancelled or expired."""

    __tablename__ = "redemptions"
    __table_args__ = (
        # The double-tap guard: one redemption per (resident, Idempotency-Key).
        UniqueConstraint("user_id", "client_key"),
        CheckConstraint(
            "status IN ('reserved','redeemed','cancelled','expired')", name="status_known"
        ),
        Index("ix_redemptions_status_expires_at", "status", "expires_at"),
        Index("ix_redemptions_merchant_id_redeemed_at", "merchant_id", "redeemed_at"),
        # The console dashboard's points redeemed per month: a range of this index only.
        Index("ix_redemptions_community_redeemed", "community_id", "redeemed_at", "points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    points: Mapped[int] = mapped_column()
    period_key: Mapped[str] = mapped_column(String(8))
    # Whether this reservation took a slot of the per-person counter (and must give it back).
    counted: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="reserved")
    client_key: Mapped[str | None] = mapped_column(String(64))
    # Ledger rows belong to the points domain: plain ids, no foreign keys across helpers.
    hold_id: Mapped[int | None] = mapped_column()
    debit_entry_id: Mapped[int | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offer: Mapped[Offer] = relationship()


class RedemptionCounter(db.Model):
    """Reservations a person holds on one offer in one period; the per-person limit's guard."""

    __tablename__ = "redemption_counters"
    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(8), primary_key=True)
    used: Mapped[int] = mapped_column(default=0)

"""Merchants of a community: partner shops (商居联盟) and the points supermarket (积分超市)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db_types import UTCDateTime, utcnow
from server.extensions import db

MERCHANT_KINDS = ("partner", "supermarket")
MERCHANT_STATUSES = ("pending", "approved", "suspended")


class Merchant(db.Model):
    __tablename__ = "merchants"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="partner")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    address: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

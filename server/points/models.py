"""The point catalogue: categories and items whose values change over time."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db.session import db
from server.db.types import JSONType, UTCDateTime, utcnow

ACCOUNT_KINDS = ("person", "party_member", "organisation", "grid_worker", "merchant")
DIRECTIONS = ("earn", "deduct")


class PointCategory(db.Model):
    __tablename__ = "point_categories"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(32))
    sort_order: Mapped[int] = mapped_column(default=0)


class PointItem(db.Model):
    __tablename__ = "point_items"
    __table_args__ = (
        UniqueConstraint("community_id", "code"),
        CheckConstraint("direction IN ('earn','deduct')", name="direction_known"),
        CheckConstraint("daily_cap IS NULL OR daily_cap > 0", name="daily_cap_positive"),
        CheckConstraint("monthly_cap IS NULL OR monthly_cap > 0", name="monthly_cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("point_categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8), default="earn")
    account_kinds: Mapped[list] = mapped_column(JSONType, default=lambda: list(ACCOUNT_KINDS))
    daily_cap: Mapped[int | None] = mapped_column()
    monthly_cap: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[PointCategory] = relationship()
    versions: Mapped[list["PointItemVersion"]] = relationship(
        order_by="PointItemVersion.effective_from", back_populates="item"
    )

    def version_on(self, day: date) -> "PointItemVersion | None":
        """The value in force on `day`: the latest version effective on or before it."""
        current = None
        for version in self.versions:
            if version.effective_from <= day:
                current = version
        return current


class PointItemVersion(db.Model):
    """One value of an item from a date on; history is kept, never rewritten."""

    __tablename__ = "point_item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "effective_from"),
        CheckConstraint("points > 0 AND points <= 1000", name="points_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("point_items.id"), index=True)
    points: Mapped[int] = mapped_column()
    effective_from: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[PointItem] = relationship(back_populates="versions")

"""Point claims (积分申报): a deed a resident or organisation reports for review."""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db.session import db
from server.db.types import JSONType, UTCDateTime, utcnow
from server.points.models import PointItem

# pending: waiting for a reviewer; flagged: content security wants a human look first.
CLAIM_STATUSES = ("pending", "flagged", "approved", "rejected")
OPEN_STATUSES = ("pending", "flagged")
# Claims that count against caps and duplicates: everything not rejected.
LIVE_STATUSES = ("pending", "flagged", "approved")
CONTENT_VERDICTS = ("pass", "review", "risky", "unavailable")


class PointClaim(db.Model):
    __tablename__ = "point_claims"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','flagged','approved','rejected')", name="status_known"
        ),
        Index("ix_point_claims_queue", "community_id", "status", "id"),
        Index("ix_point_claims_person_item_day", "claimant_id", "item_id", "occurred_on"),
        Index("ix_point_claims_org_item_day", "organisation_id", "item_id", "occurred_on"),
        # The console dashboard's month of decisions per item, without reading the table.
        Index(
            "ix_point_claims_decided",
            "community_id",
            "decided_at",
            postgresql_include=["status", "item_id", "points"],
        ),
        # A rejected claim is corrected and resubmitted at most once (docs/claims.md).
        Index("ix_point_claims_resubmitted_from", "resubmitted_from", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    # The person who submitted it; for an organisation's claim, the staff member.
    claimant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Who filed it for a card holder (staff or their grid worker); None when filed by the
    # claimant. Whoever filed a claim never approves it.
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the claim is made for an organisation (驻区单位) account.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # The claimant's grid when submitted, so the queue can be filtered by grid.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("point_items.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("point_categories.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    description: Mapped[str] = mapped_column(String(500))
    photo_ids: Mapped[list] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    content_verdict: Mapped[str] = mapped_column(String(16), default="pass")
    content_label: Mapped[int | None] = mapped_column()
    # The item version in force on occurred_on and its points: shown while pending,
    # fixed when approved (the ledger entry records the same version).
    item_version_id: Mapped[int | None] = mapped_column(ForeignKey("point_item_versions.id"))
    points: Mapped[int | None] = mapped_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    # The ledger entry of the credit (the ledger's table belongs to another module: no FK).
    ledger_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    # The rejected claim this one corrects; that claim keeps its decision and history.
    resubmitted_from: Mapped[int | None] = mapped_column(ForeignKey("point_claims.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    item: Mapped[PointItem] = relationship()

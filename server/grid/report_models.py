"""随手拍 reports: categories per community, the reporter-points setting and the reports."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import JSONType, UTCDateTime, utcnow

# in_review: content security wants a human look first (never lost); submitted: waiting for
# a grid (or the community queue) to accept; waiting: the worker waits for the reporter and
# the SLA clock is paused; rejected and duplicate are closed without points.
REPORT_STATUSES = (
    "in_review",
    "submitted",
    "accepted",
    "waiting",
    "resolved",
    "confirmed",
    "rejected",
    "duplicate",
)
OPEN_STATUSES = ("submitted", "accepted", "waiting")
DEFAULT_ACCEPT_WITHIN = 1
DEFAULT_RESOLVE_WITHIN = 3
DEFAULT_REPORTER_POINTS = 5


class ReportCategory(db.Model):
    __tablename__ = "report_categories"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    photo_required: Mapped[bool] = mapped_column(default=False)
    # SLA budgets in working days (chinese-calendar), copied onto each report when posted.
    accept_within: Mapped[int] = mapped_column(default=DEFAULT_ACCEPT_WITHIN)
    resolve_within: Mapped[int] = mapped_column(default=DEFAULT_RESOLVE_WITHIN)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportSettings(db.Model):
    """One row per community that changed the default; absent means the defaults."""

    __tablename__ = "report_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    reporter_points: Mapped[int] = mapped_column(default=DEFAULT_REPORTER_POINTS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('in_review','submitted','accepted','waiting','resolved','confirmed',"
            "'rejected','duplicate')",
            name="status_known",
        ),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        # A grid's queue and the community's per-grid counts read these without a scan.
        Index("ix_reports_grid_queue", "grid_id", "status", "id"),
        # The per-grid counts read only this index on PostgreSQL (id and due times included).
        Index(
            "ix_reports_open_counts",
            "community_id",
            "status",
            "grid_id",
            postgresql_include=["id", "accept_due_at", "resolve_due_at"],
        ),
        Index("ix_reports_reporter", "reporter_id", "id"),
        Index("ix_reports_closed_by", "community_id", "resolved_by", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("report_categories.id"))
    # NULL: the community queue (no grid given, none for the reporter, or escalated).
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    text: Mapped[str] = mapped_column(String(500))
    place: Mapped[str] = mapped_column(String(100), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    photo_ids: Mapped[list] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16))
    content_verdict: Mapped[str] = mapped_column(String(16), default="pass")
    accept_within: Mapped[int] = mapped_column()
    resolve_within: Mapped[int] = mapped_column()
    # The SLA clock: working seconds used before `clock_running_since` (NULL while stopped).
    clock_consumed: Mapped[int] = mapped_column(default=0)
    clock_running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accept_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # NULL while paused with time left; a past instant once the budget ran out.
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(String(500))
    resolution_photo_ids: Mapped[list] = mapped_column(JSONType, default=list)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column()
    feedback: Mapped[str | None] = mapped_column(String(200))
    reopened_count: Mapped[int] = mapped_column(default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    # The reason given with the last transfer, escalation, wait, reopen or rejection.
    last_reason: Mapped[str | None] = mapped_column(String(200))
    # The reporter's credit (the ledger's table belongs to another domain: no FK).
    reporter_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

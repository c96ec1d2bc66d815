"""Grid service (网格服务): the community's catalogue of service items and workers' logs."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import JSONType, UTCDateTime, utcnow

# auto: credited when recorded; review: credited when a reviewer approves.
SERVICE_RULES = ("auto", "review")
# worker: the worker earns for the service; resident: the resident served earns (a card
# holder's or an elderly resident's own service that their grid worker records, 代记).
BENEFICIARIES = ("worker", "resident")
# pending waits for a reviewer; approved logs were credited (once); rejected ones never are.
SERVICE_LOG_STATUSES = ("pending", "approved", "rejected")


class ServiceItem(db.Model):
    """One kind of grid service (走访, 调解, 代办, 帮扶 ...) with its points and rule."""

    __tablename__ = "grid_service_items"
    __table_args__ = (
        UniqueConstraint("community_id", "code"),
        CheckConstraint("rule IN ('auto','review')", name="rule_known"),
        CheckConstraint("points > 0 AND points <= 1000", name="points_range"),
        CheckConstraint("beneficiary IN ('worker','resident')", name="beneficiary_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200), default="")
    points: Mapped[int] = mapped_column()
    rule: Mapped[str] = mapped_column(String(8), default="review")
    beneficiary: Mapped[str] = mapped_column(String(8), default="worker", server_default="worker")
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ServiceLog(db.Model):
    """A service a grid worker delivered in their grid, credited to them once."""

    __tablename__ = "grid_service_logs"
    __table_args__ = (
        CheckConstraint("status IN ('pending','approved','rejected')", name="status_known"),
        CheckConstraint("rule IN ('auto','review')", name="rule_known"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        Index("ix_grid_service_logs_queue", "community_id", "status", "id"),
        Index("ix_grid_service_logs_worker", "worker_id", "id"),
        Index("ix_grid_service_logs_month", "community_id", "served_month", "worker_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("grid_service_items.id"))
    # The resident served, a member of the log's grid (optional: a patrol serves nobody).
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    duration_minutes: Mapped[int] = mapped_column()
    notes: Mapped[str] = mapped_column(String(500), default="")
    place: Mapped[str] = mapped_column(String(100))
    served_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # served_at's Asia/Shanghai month ('2026-12'): monthly performance reads by it.
    served_month: Mapped[str] = mapped_column(String(7))
    photo_ids: Mapped[list] = mapped_column(JSONType, default=list)
    # The item's rule and points when recorded: later catalogue edits do not change a log.
    rule: Mapped[str] = mapped_column(String(8))
    points: Mapped[int] = mapped_column()
    beneficiary: Mapped[str] = mapped_column(String(8), default="worker", server_default="worker")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # None for an automatic credit (nobody decided).
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    # The ledger entry of the credit (the ledger's table belongs to another room: no FK).
    ledger_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

"""Volunteer tasks (志愿招募): tasks, sign-ups, attendance and per-community settings."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import JSONType, UTCDateTime, utcnow

# Ids are 32-bit columns: larger ids in paths or bodies cannot exist (and must not reach SQL).
DEFAULT_ORGANISER_ROLES = ["admin", "reviewer", "grid_worker", "org_staff"]
ORGANISER_ROLE_CHOICES = ("admin", "reviewer", "grid_worker", "org_staff", "party_member")
AUDIENCES = ("everyone", "party_members", "grid")
REWARD_KINDS = ("item", "hours")
TASK_STATUSES = ("published", "cancelled", "completed")
# walk_in: marked present by the organiser without a sign-up; never holds a seat.
SIGNUP_STATUSES = ("confirmed", "waitlisted", "cancelled", "walk_in")
OUTCOMES = ("attended", "no_show")


class TaskSettings(db.Model):
    """Which roles may publish tasks in one community."""

    __tablename__ = "task_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), unique=True)
    organiser_roles: Mapped[list] = mapped_column(
        JSONType, default=lambda: list(DEFAULT_ORGANISER_ROLES)
    )
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("capacity > 0 AND capacity <= 10000", name="capacity_range"),
        # Invariant 4, enforced by the database as a last line behind the conditional UPDATE.
        CheckConstraint(
            "confirmed_count >= 0 AND confirmed_count <= capacity", name="seats_within_capacity"
        ),
        CheckConstraint("waitlisted_count >= 0", name="waitlist_nonnegative"),
        CheckConstraint("ends_at > starts_at", name="window_ordered"),
        CheckConstraint("reward_kind IN ('item','hours')", name="reward_kind_known"),
        CheckConstraint("audience IN ('everyone','party_members','grid')", name="audience_known"),
        CheckConstraint("status IN ('published','cancelled','completed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(2000), default="")
    reward_kind: Mapped[str] = mapped_column(String(8))
    point_item_id: Mapped[int | None] = mapped_column(ForeignKey("point_items.id"))
    points_per_hour: Mapped[int | None] = mapped_column()
    points_cap: Mapped[int | None] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signup_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    cancel_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    place_name: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int | None] = mapped_column()
    capacity: Mapped[int] = mapped_column()
    confirmed_count: Mapped[int] = mapped_column(default=0)
    waitlisted_count: Mapped[int] = mapped_column(default=0)
    # Incremented with every sign-up under the task's row lock: the sign-up order.
    signup_seq: Mapped[int] = mapped_column(default=0)
    audience: Mapped[str] = mapped_column(String(16), default="everyone")
    audience_grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    audience_party_kind: Mapped[str | None] = mapped_column(String(8))
    # The uploads package is another domain: a plain id, no foreign key.
    cover_upload_id: Mapped[int | None] = mapped_column()
    cover_url: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="published", index=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TaskSignup(db.Model):
    """One person's sign-up for one task; re-signing after a cancel reuses the row."""

    __tablename__ = "task_signups"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id"),
        CheckConstraint(
            "status IN ('confirmed','waitlisted','cancelled','walk_in')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(16))
    signed_up_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskAttendance(db.Model):
    """Presence at a task; the unique row is the one-time guard for check-in and for credit."""

    __tablename__ = "task_attendance"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id"),
        CheckConstraint("method IN ('scan','manual')", name="method_known"),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(8), default="scan")
    checkin_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checkout_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_latitude: Mapped[float | None] = mapped_column(Float)
    checkin_longitude: Mapped[float | None] = mapped_column(Float)
    checkout_latitude: Mapped[float | None] = mapped_column(Float)
    checkout_longitude: Mapped[float | None] = mapped_column(Float)
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set once at completion: the confirmed minutes and points, and the ledger entry id.
    minutes: Mapped[int | None] = mapped_column()
    points: Mapped[int | None] = mapped_column()
    ledger_entry_id: Mapped[int | None] = mapped_column()
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

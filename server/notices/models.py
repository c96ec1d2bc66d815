"""Notices: a frozen snapshot of one community's rankings for one period, and its rows.

A notice is never changed once written. `revision` 0 is the period's original (published once:
UNIQUE (community_id, period, revision) makes racing schedulers write one); a correction is a
later revision that points at the notice it corrects.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

PERIOD_TYPES = ("month", "quarter", "year")
MAX_REASON = 200
MAX_TITLE = 100
# Rows frozen per kind: the public top 10 and enough below it for the xlsx and the page.
NOTICE_DEPTH = 100


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("community_id", "period", "revision"),
        CheckConstraint("period_type IN ('month','quarter','year')", name="period_type_known"),
        CheckConstraint("(revision = 0) = (correction_of IS NULL)", name="correction_iff_revision"),
        Index("ix_notices_community_id_id", "community_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    period: Mapped[str] = mapped_column(String(8))  # 2026-11 · 2026-Q4 · 2026
    period_type: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    correction_of: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    correction_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    # None: published by the scheduler (publish_due_notices).
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NoticeRow(db.Model):
    """One ranked line of a notice, as it was shown: the masked name is frozen with it."""

    __tablename__ = "notice_rows"
    __table_args__ = (UniqueConstraint("notice_id", "kind", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column()  # 1..NOTICE_DEPTH, the order shown
    rank: Mapped[int] = mapped_column()  # ties share a rank (1, 2, 2, 4)
    account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"))
    name: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(BigInteger)

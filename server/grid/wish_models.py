"""微心愿 (residents' wishes): posted, reviewed, published, claimed once, fulfilled, confirmed.

States:
    pending / flagged  waiting for a reviewer (flagged: content security wants a human look)
    rejected           a reviewer refused it, with a reason
    published          on the board of the community (or of one grid), unclaimed
    claimed            one party member, organisation or merchant took it on
    fulfilled          the claimer reported it done, with photos and a note
    confirmed          the resident confirmed; the fulfiller was credited once
    cancelled          the resident withdrew it before anyone claimed it
    expired            nobody claimed it by `needed_by`
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import JSONType, UTCDateTime, utcnow

WISH_STATUSES = (
    "pending",
    "flagged",
    "rejected",
    "published",
    "claimed",
    "fulfilled",
    "confirmed",
    "cancelled",
    "expired",
)
REVIEW_STATUSES = ("pending", "flagged")
BOARD_STATUSES = ("published", "claimed")
# A claimer is set exactly in these states (a CHECK below backs it).
CLAIMED_STATUSES = ("claimed", "fulfilled", "confirmed")
# Nobody claimed these yet: the resident may withdraw them, and they expire after needed_by.
UNCLAIMED_OPEN_STATUSES = ("pending", "flagged", "published")
AUDIENCES = ("community", "grid")
CLAIMER_KINDS = ("person", "organisation", "merchant")

# Bounds of every text a wish carries (the schemas use the same numbers).
MAX_TITLE, MAX_DETAILS, MAX_NOTE, MAX_SHORT = 200, 500, 500, 200
MAX_PLACE, MAX_BENEFICIARY = 100, 50


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class Wish(db.Model):
    __tablename__ = "wishes"
    __table_args__ = (
        CheckConstraint(_in("status", WISH_STATUSES), name="status_known"),
        CheckConstraint(
            f"(claimer_id IS NOT NULL) = ({_in('status', CLAIMED_STATUSES)})",
            name="claimer_matches_status",
        ),
        CheckConstraint(
            f"claimer_kind IS NULL OR {_in('claimer_kind', CLAIMER_KINDS)}",
            name="claimer_kind_known",
        ),
        CheckConstraint(f"audience IS NULL OR {_in('audience', AUDIENCES)}", name="audience_known"),
        Index("ix_wishes_board", "community_id", "status", "id"),
        Index("ix_wishes_resident", "resident_id", "id"),
        Index("ix_wishes_claimer", "claimer_id", "id"),
        Index("ix_wishes_due", "status", "needed_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    # The resident's grid when posted: a reviewer publishing "to one grid" defaults to it.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    details: Mapped[str] = mapped_column(String(MAX_DETAILS), default="")
    needed_by: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(MAX_PLACE), default="")
    beneficiary: Mapped[str] = mapped_column(String(MAX_BENEFICIARY), default="")
    photo_ids: Mapped[list] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    content_verdict: Mapped[str] = mapped_column(String(16), default="pass")
    content_label: Mapped[int | None] = mapped_column()

    audience: Mapped[str | None] = mapped_column(String(16))
    audience_grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    points: Mapped[int | None] = mapped_column()
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(String(MAX_SHORT))

    # The person who claimed it; for an organisation's or merchant's claim, the staff member.
    claimer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimer_kind: Mapped[str | None] = mapped_column(String(16))
    claimer_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    claimer_merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    fulfil_note: Mapped[str | None] = mapped_column(String(MAX_NOTE))
    fulfil_photo_ids: Mapped[list] = mapped_column(JSONType, default=list)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    thanks: Mapped[str | None] = mapped_column(String(MAX_SHORT))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The ledger entry of the fulfiller's credit (the ledger's table is another room's: no FK).
    ledger_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

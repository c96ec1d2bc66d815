"""Point accounts, the append-only ledger, holds and per-month ranking totals.

Invariants (DESIGN.md section 4, items 1-3) are backed by the database itself:
CHECK balance >= 0, held >= 0, held <= balance on accounts; UNIQUE idempotency keys on
entries and holds; UNIQUE reverses_entry_id (an entry is reversed at most once); and a
trigger in the migration that refuses UPDATE (and on PostgreSQL DELETE) of ledger entries.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.session import db
from server.db.types import UTCDateTime, utcnow

HOLDER_TYPES = ("user", "organisation", "merchant")
# The ranking kind every earning of a holder counts in (a person may count in more: see
# statements.rank_kinds_of); shops (信用店铺) are ranked among their own kind.
OWN_KIND = {"user": "person", "organisation": "organisation", "merchant": "merchant"}
# Entry kinds. Credits that count as "earned" (lifetime `earned`, monthly rankings):
EARNING_KINDS = ("credit", "bonus", "import")
# Debits callers may post directly; `settle` and `reversal` are posted by the ledger itself.
DEBIT_KINDS = ("debit", "deduction")
ENTRY_KINDS = EARNING_KINDS + DEBIT_KINDS + ("settle", "reversal")
HOLD_STATUSES = ("pending", "released", "settled", "expired")

# SQLite integer primary keys must be INTEGER to alias the rowid; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class Account(db.Model):
    """One point account per holder (a person, an organisation or a shop) per community."""

    __tablename__ = "point_accounts"
    __table_args__ = (
        UniqueConstraint("community_id", "holder_type", "holder_id"),
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("held >= 0", name="held_non_negative"),
        CheckConstraint("held <= balance", name="held_within_balance"),
        CheckConstraint("earned >= 0", name="earned_non_negative"),
        CheckConstraint(_in("holder_type", HOLDER_TYPES), name="holder_type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    holder_type: Mapped[str] = mapped_column(String(16))
    # users.id, organisations.id or merchants.id, depending on holder_type (so no foreign key).
    holder_id: Mapped[int] = mapped_column(Integer)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    earned: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def available(self) -> int:
        return self.balance - self.held

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.holder_type}:{self.holder_id}>"


class LedgerEntry(db.Model):
    """One change of one balance. Never updated or deleted; corrected by a reversing entry."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("reverses_entry_id"),
        CheckConstraint("amount <> 0", name="amount_non_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        CheckConstraint(_in("kind", ENTRY_KINDS), name="kind_known"),
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    cause_type: Mapped[str] = mapped_column(String(32))
    cause_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(160))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    item_version_id: Mapped[int | None] = mapped_column(Integer)
    hold_id: Mapped[int | None] = mapped_column(BigInteger)
    reverses_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    # Ranking attribution, fixed when the entry is posted so every rebuild agrees:
    # the Asia/Shanghai month the points count in and the ranking kinds they count for.
    rank_month: Mapped[str | None] = mapped_column(String(7))
    rank_kinds: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.id} {self.kind} {self.amount:+d}>"


class Hold(db.Model):
    """Points reserved from an account's available balance; resolves exactly once."""

    __tablename__ = "point_holds"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(_in("status", HOLD_STATUSES), name="status_known"),
        Index("ix_point_holds_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(String(200))
    cause_type: Mapped[str] = mapped_column(String(32))
    cause_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(160))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_reason: Mapped[str | None] = mapped_column(String(200))
    settle_entry_id: Mapped[int | None] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<Hold {self.id} {self.status} {self.amount}>"


class PeriodTotal(db.Model):
    """Points an account earned in one Asia/Shanghai month for one ranking kind.

    Upserted in the same transaction as the entry, so rankings read a few rows per account
    instead of scanning the ledger: their cost does not grow with history.
    """

    __tablename__ = "point_period_totals"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "month"),
        # account_id last: a month's top N in ranking order (points, then account_id, both
        # descending) is a plain backward index scan, however many accounts tie.
        Index(
            "ix_point_period_totals_rank", "community_id", "kind", "month", "points", "account_id"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"))
    community_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    month: Mapped[str] = mapped_column(String(7))
    points: Mapped[int] = mapped_column(BigInteger, default=0)

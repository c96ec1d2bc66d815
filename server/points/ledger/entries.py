"""Credit, debit and reverse: one account UPDATE and one entry, once per idempotency key.

The UPDATE comes first: it locks the account row, so concurrent writers of one account (and
of one key) queue there. When the entry's key exists already - possibly posted by a
concurrent transaction we just waited for - the INSERT adds nothing, the change just made is
undone in the same transaction and the first result is replayed (or refused with
IdempotencyConflict when the key was used for another account or amount).
"""

from datetime import datetime

from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow
from server.http.errors import NotFound
from server.platform.localtime import month_of
from server.points import rankings
from server.points.ledger.accounts import account_id_of, refuse_uncovered, sync
from server.points.ledger.checks import (
    AlreadyReversed,
    EntryNotReversible,
    IdempotencyConflict,
    check_amount,
    check_key,
    check_reason,
)
from server.points.ledger.fused import credit_in_one, fused_writes
from server.points.ledger.posting import (
    ENTRY_DEFAULTS,
    entry_by_key,
    insert_entry,
    register,
    replay_entry,
)
from server.points.ledger.statements import session_statements
from server.points.ledger_models import DEBIT_KINDS, EARNING_KINDS, Account, LedgerEntry


def _give(account_id: int, amount: int, earned: int, now: datetime, cause_type=None):
    """balance += amount, earned += earned; the new state and the rank_kinds of a credit with
    `cause_type`; None if there is no such account."""
    conn, st = session_statements()
    params = {"p_id": account_id, "p_amount": amount, "p_earned": earned, "p_now": now}
    params["p_cause_type"] = cause_type
    return conn.execute(st.give, params).one_or_none()


def _take(account_id: int, amount: int, earned: int, now: datetime):
    """balance -= amount, earned -= earned, if the available balance covers it; else None."""
    conn, st = session_statements()
    params = {"p_id": account_id, "p_amount": amount, "p_earned": earned, "p_now": now}
    return conn.execute(st.take, params).one_or_none()


def _undo(account_id: int, change: int, earned_change: int, now: datetime) -> None:
    """Take back what this transaction just did to the account: its entry's key was used."""
    if change > 0:
        row = _take(account_id, change, earned_change, now)
    else:
        row = _give(account_id, -change, -earned_change, now)
    if row is None:  # the row is locked by our own change, so this cannot be refused
        raise RuntimeError(f"could not undo a change of account {account_id}")
    sync(account_id, row)


def _replay_or_refuse(account_id: int, amount: int, key: str, signed: int) -> LedgerEntry:
    """The cover gate refused: replay the key's first entry if there is one, else say why."""
    existing = entry_by_key(key)
    if existing is not None:
        return replay_entry(existing, account_id, signed, key)
    refuse_uncovered(account_id, amount)


def credit(
    account: Account | int,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    cause_type: str,
    cause_id: str | int,
    actor_id: int | None = None,
    item_version_id: int | None = None,
    kind: str = "credit",
    at: datetime | None = None,
) -> LedgerEntry:
    """Add points once per idempotency key; they count as earned and in the rankings.

    `at` backdates the entry (history import and benchmarks only).
    """
    check_amount(amount)
    reason = check_reason(reason)
    check_key(idempotency_key)
    if kind not in EARNING_KINDS:
        raise ValueError(f"credit kind must be one of {EARNING_KINDS}")
    account_id = account_id_of(account)
    now = at or utcnow()
    values = {
        **ENTRY_DEFAULTS,
        "account_id": account_id,
        "amount": amount,
        "kind": kind,
        "cause_type": cause_type,
        "cause_id": str(cause_id),
        "reason": reason,
        "idempotency_key": idempotency_key,
        "actor_id": actor_id,
        "item_version_id": item_version_id,
        "rank_month": month_of(now),
        "created_at": now,
    }
    conn = db.session.connection()
    if fused_writes(conn):
        return _credit_in_one(conn, values)
    row = _give(account_id, amount, amount, now, cause_type)
    if row is None:
        raise NotFound("积分账户不存在", code="account_not_found")
    values.update(balance_after=row.balance, rank_kinds=row.rank_kinds)
    entry = insert_entry(values, community_id=row.community_id)
    if entry is None:
        _undo(account_id, amount, amount, now)
        return replay_entry(entry_by_key(idempotency_key), account_id, amount, idempotency_key)
    sync(account_id, row)
    return entry


def _credit_in_one(conn, values: dict) -> LedgerEntry:
    """credit's writes as one statement (PostgreSQL, fused.credit_in_one), then the same
    bookkeeping: replay a used key, the Redis ranking after commit, the in-session account."""
    account_id, amount, key = values["account_id"], values["amount"], values["idempotency_key"]
    row = credit_in_one(conn, values)
    if row is None:
        raise NotFound("积分账户不存在", code="account_not_found")
    if row.entry_id is None:
        _undo(account_id, amount, amount, values["created_at"])
        return replay_entry(entry_by_key(key), account_id, amount, key)
    kinds = [k for k in row.rank_kinds.split(",") if k]
    rankings.queue_increment(row.community_id, account_id, kinds, values["rank_month"], amount)
    sync(account_id, row)
    values.update(balance_after=row.balance, rank_kinds=row.rank_kinds)
    return register(LedgerEntry, {"id": row.entry_id, **values})


def debit(
    account: Account | int,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    cause_type: str,
    cause_id: str | int,
    actor_id: int | None = None,
    item_version_id: int | None = None,
    kind: str = "debit",
    at: datetime | None = None,
) -> LedgerEntry:
    """Take points from the available balance once per key; refuse if not enough."""
    check_amount(amount)
    reason = check_reason(reason)
    check_key(idempotency_key)
    if kind not in DEBIT_KINDS:
        raise ValueError(f"debit kind must be one of {DEBIT_KINDS}")
    account_id = account_id_of(account)
    now = at or utcnow()
    row = _take(account_id, amount, 0, now)
    if row is None:
        return _replay_or_refuse(account_id, amount, idempotency_key, -amount)
    values = {
        "account_id": account_id,
        "amount": -amount,
        "balance_after": row.balance,
        "kind": kind,
        "cause_type": cause_type,
        "cause_id": str(cause_id),
        "reason": reason,
        "idempotency_key": idempotency_key,
        "actor_id": actor_id,
        "item_version_id": item_version_id,
        "created_at": now,
    }
    entry = insert_entry(values)
    if entry is None:
        _undo(account_id, -amount, 0, now)
        return replay_entry(entry_by_key(idempotency_key), account_id, -amount, idempotency_key)
    sync(account_id, row)
    return entry


def reverse(
    entry: LedgerEntry | int,
    *,
    reason: str,
    idempotency_key: str,
    actor_id: int | None,
) -> LedgerEntry:
    """Post the opposite of an entry once; a reversed credit also leaves earned and rankings."""
    reason = check_reason(reason)
    check_key(idempotency_key)
    original = entry if isinstance(entry, LedgerEntry) else db.session.get(LedgerEntry, entry)
    if original is None:
        raise NotFound("积分记录不存在", code="entry_not_found")
    if original.kind in ("reversal", "settle"):
        # A settle is reversed through its redemption, a reversal by posting the entry again.
        raise EntryNotReversible(details={"entry_id": original.id, "kind": original.kind})
    earlier = db.session.scalar(
        select(LedgerEntry).where(LedgerEntry.reverses_entry_id == original.id)
    )
    if earlier is not None:  # fast answer; the UNIQUE constraint below is the real guard
        if earlier.idempotency_key == idempotency_key:
            return earlier
        raise AlreadyReversed(details={"entry_id": original.id, "reversal_id": earlier.id})
    account_id = original.account_id
    amount = -original.amount  # signed: what the reversal adds to the balance
    earning = original.kind in EARNING_KINDS
    earned = -amount if earning else 0  # a reversed credit leaves `earned` too
    now = utcnow()
    if amount < 0:
        row = _take(account_id, -amount, earned, now)
        if row is None:
            return _replay_or_refuse(account_id, -amount, idempotency_key, amount)
    else:
        row = _give(account_id, amount, 0, now)
    kinds = [k for k in original.rank_kinds.split(",") if k] if earning else []
    values = {
        "account_id": account_id,
        "amount": amount,
        "balance_after": row.balance,
        "kind": "reversal",
        "cause_type": original.cause_type,
        "cause_id": original.cause_id,
        "reason": reason,
        "idempotency_key": idempotency_key,
        "actor_id": actor_id,
        "reverses_entry_id": original.id,
        "rank_month": original.rank_month if kinds else None,
        "rank_kinds": ",".join(kinds),
        "created_at": now,
    }
    reversal = insert_entry(values, community_id=row.community_id)
    if reversal is None:  # the key, or a reversal of this entry, exists: undo and explain
        _undo(account_id, amount, -earned, now)
        existing = entry_by_key(idempotency_key)
        if existing is None:
            raise AlreadyReversed(details={"entry_id": original.id})
        if existing.reverses_entry_id != original.id:
            raise IdempotencyConflict(details={"idempotency_key": idempotency_key})
        return existing
    sync(account_id, row)
    return reversal

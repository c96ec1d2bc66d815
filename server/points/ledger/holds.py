"""Holds: points reserved from the available balance, resolved exactly once.

A hold is a two-phase transfer: pending, then settled (a debit of the held points), released
or expired (the points are available again). Resolving is one conditional UPDATE of the hold
(`hold_is_pending`), so of concurrent settle, release and expire exactly one wins; the others
are told HoldNotPending.
"""

from datetime import datetime

from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow
from server.http.errors import NotFound
from server.points.ledger.accounts import account_id_of, refuse_uncovered, sync
from server.points.ledger.checks import (
    HoldNotPending,
    IdempotencyConflict,
    check_amount,
    check_key,
    check_reason,
)
from server.points.ledger.fused import settle_key
from server.points.ledger.posting import insert_entry, register
from server.points.ledger.statements import session_statements
from server.points.ledger_models import Account, Hold, LedgerEntry

EXPIRED_REASON = "冻结已过期，积分已退回"


def _hold_id(hold_or_id: Hold | int) -> int:
    return hold_or_id.id if isinstance(hold_or_id, Hold) else int(hold_or_id)


def _hold_by_key(key: str) -> Hold | None:
    return db.session.scalar(select(Hold).where(Hold.idempotency_key == key))


def _replay_hold(existing: Hold, account_id: int, amount: int, key: str) -> Hold:
    if existing.account_id != account_id or existing.amount != amount:
        raise IdempotencyConflict(details={"idempotency_key": key, "hold_id": existing.id})
    return existing


def hold(
    account: Account | int,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    cause_type: str,
    cause_id: str | int,
    actor_id: int | None = None,
    expires_at: datetime | None = None,
) -> Hold:
    """Reserve points from the available balance once per key (balance itself unchanged)."""
    check_amount(amount)
    reason = check_reason(reason)
    check_key(idempotency_key)
    account_id = account_id_of(account)
    now = utcnow()
    conn, st = session_statements()
    row = conn.execute(st.hold, {"p_id": account_id, "p_amount": amount, "p_now": now})
    row = row.one_or_none()
    if row is None:  # not covered: a replay of a hold the account could not cover again?
        existing = _hold_by_key(idempotency_key)
        if existing is not None:
            return _replay_hold(existing, account_id, amount, idempotency_key)
        refuse_uncovered(account_id, amount)
    values = {
        "account_id": account_id,
        "amount": amount,
        "status": "pending",
        "reason": reason,
        "cause_type": cause_type,
        "cause_id": str(cause_id),
        "idempotency_key": idempotency_key,
        "actor_id": actor_id,
        "expires_at": expires_at,
        "created_at": now,
    }
    hold_id = conn.execute(st.insert_hold, values).scalar_one_or_none()
    if hold_id is None:  # the key's hold exists: give the points back, replay it
        _unhold(account_id, amount, now)
        return _replay_hold(_hold_by_key(idempotency_key), account_id, amount, idempotency_key)
    sync(account_id, row)
    unresolved = {"resolved_at": None, "resolution_reason": None, "settle_entry_id": None}
    return register(Hold, {"id": hold_id, **values, **unresolved})


def _unhold(account_id: int, amount: int, now: datetime) -> None:
    """Make held points available again."""
    conn, st = session_statements()
    params = {"p_id": account_id, "p_amount": amount, "p_now": now}
    sync(account_id, conn.execute(st.unhold, params).one())


def _resolve(hold_id: int, status: str, reason: str, now: datetime):
    """Move a pending hold to `status`; return its whole resolved row, or say why not."""
    conn, st = session_statements()
    params = {"p_id": hold_id, "p_status": status, "p_now": now, "p_reason": reason}
    row = conn.execute(st.resolve_hold, params).one_or_none()
    if row is None:
        refuse_unresolved(hold_id)
    return row


def refuse_unresolved(hold_id: int):
    """A hold that did not resolve: it does not exist, or another resolution won."""
    current = db.session.get(Hold, hold_id, populate_existing=True)
    if current is None:
        raise NotFound("积分冻结记录不存在", code="hold_not_found")
    raise HoldNotPending(details={"hold_id": hold_id, "status": current.status})


def release(hold: Hold | int, *, reason: str, actor_id: int | None = None) -> Hold:
    """Give held points back to the available balance (cancelled reservation)."""
    reason = check_reason(reason)
    now = utcnow()
    row = _resolve(_hold_id(hold), "released", reason, now)
    _unhold(row.account_id, row.amount, now)
    return register(Hold, dict(row._mapping))


def expire(hold: Hold | int, *, reason: str = EXPIRED_REASON) -> Hold:
    """Release a hold because it expired; races release and settle like they race each other."""
    reason = check_reason(reason)
    now = utcnow()
    row = _resolve(_hold_id(hold), "expired", reason, now)
    _unhold(row.account_id, row.amount, now)
    return register(Hold, dict(row._mapping))


def expire_due_holds(now: datetime | None = None, limit: int = 500) -> int:
    """Expire pending holds past their expiry (a scheduled job); return how many."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Hold.id)
        .where(Hold.status == "pending", Hold.expires_at.is_not(None), Hold.expires_at <= now)
        .order_by(Hold.id)
        .limit(limit)
    ).all()
    count = 0
    for hold_id in due:
        try:
            expire(hold_id)
            count += 1
        except HoldNotPending:
            continue  # settled or released meanwhile: that resolution won
    return count


def settle(hold: Hold | int, *, reason: str, actor_id: int | None = None) -> LedgerEntry:
    """Turn a pending hold into a debit of the held points (redemption verified).

    Lock order: the hold first (resolving it), then the account; the entry's id is drawn
    after the account lock, so entry ids follow the account's balance_after sequence.
    """
    reason = check_reason(reason)
    hold_id = _hold_id(hold)
    now = utcnow()
    row = _resolve(hold_id, "settled", reason, now)
    conn, st = session_statements()
    params = {"p_id": row.account_id, "p_amount": row.amount, "p_now": now}
    account_row = conn.execute(st.settle, params).one()
    entry = insert_entry(
        {
            "account_id": row.account_id,
            "amount": -row.amount,
            "balance_after": account_row.balance,
            "kind": "settle",
            "cause_type": row.cause_type,
            "cause_id": row.cause_id,
            "reason": reason,
            "idempotency_key": settle_key(hold_id),
            "actor_id": actor_id,
            "hold_id": hold_id,
            "created_at": now,
        }
    )
    if entry is None:  # the hold resolved just now, so its settle key cannot exist yet
        raise RuntimeError(f"settle entry of hold {hold_id} exists already")
    conn.execute(st.link_settle, {"p_id": hold_id, "p_entry_id": entry.id})
    register(Hold, {**row._mapping, "settle_entry_id": entry.id})
    sync(row.account_id, account_row)
    return entry

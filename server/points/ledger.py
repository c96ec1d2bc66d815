"""The points ledger: the only code that changes a point balance.

Every write is a conditional UPDATE of the account row (which also serialises writers of that
account) followed by an INSERT of its entry in the same transaction. Nothing here commits: the
caller's cause (claim approved, attendance confirmed, redemption verified) and its ledger effect
commit together.

Idempotency: entries and holds carry a UNIQUE idempotency key. The row is inserted with
`ON CONFLICT DO NOTHING`; when nothing was inserted the key was used before (possibly by a
concurrent transaction we waited for), so the balance change just made is undone in the same
transaction and the first result is returned - or IdempotencyConflict when the first use was
for another account or amount. No savepoint is needed, and no error aborts the caller's
transaction on PostgreSQL.
"""

from datetime import datetime

from sqlalchemy import inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from server.community.models import RoleGrant
from server.db_types import utcnow
from server.errors import Conflict, NotFound, Unprocessable
from server.extensions import db
from server.points import rankings
from server.points.ledger_models import (
    DEBIT_KINDS,
    EARNING_KINDS,
    Account,
    Hold,
    LedgerEntry,
    PeriodTotal,
)

__all__ = [
    "Account",
    "LedgerEntry",
    "Hold",
    "account_for_user",
    "account_for_organisation",
    "find_account",
    "credit",
    "debit",
    "hold",
    "release",
    "settle",
    "expire",
    "expire_due_holds",
    "reverse",
    "InsufficientPoints",
    "IdempotencyConflict",
    "HoldNotPending",
    "MAX_AMOUNT",
]

MAX_AMOUNT = 1_000_000
MAX_KEY_LENGTH = 160

ACCOUNTS = Account.__table__
ENTRIES = LedgerEntry.__table__
HOLDS = Hold.__table__


class InsufficientPoints(Conflict):
    code, message = "insufficient_points", "可用积分不足"


class IdempotencyConflict(Conflict):
    code, message = "idempotency_conflict", "该请求编号已用于其他操作，请勿重复使用"


class HoldNotPending(Conflict):
    code, message = "hold_not_pending", "该积分冻结已处理，不能重复操作"


class EntryNotReversible(Conflict):
    code, message = "entry_not_reversible", "该记录不能冲正"


class AlreadyReversed(Conflict):
    code, message = "already_reversed", "该记录已冲正，不能重复冲正"


# ---------------------------------------------------------------- helpers


def _insert(model_or_table):
    """INSERT with ON CONFLICT support for the session's dialect."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model_or_table)


def _check_amount(amount) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise Unprocessable("积分必须是整数", code="invalid_amount", details={"amount": amount})
    if not 1 <= amount <= MAX_AMOUNT:
        raise Unprocessable(
            f"积分数量应在 1 到 {MAX_AMOUNT} 之间",
            code="invalid_amount",
            details={"amount": amount, "min": 1, "max": MAX_AMOUNT},
        )
    return amount


def _check_text(reason: str, idempotency_key: str | None = None) -> None:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise Unprocessable("请填写原因（不超过 200 字）", code="invalid_reason")
    if idempotency_key is not None and (
        not isinstance(idempotency_key, str)
        or not idempotency_key
        or len(idempotency_key) > MAX_KEY_LENGTH
    ):
        raise Unprocessable("请求编号无效", code="invalid_idempotency_key")


def _sync(account_id: int, row) -> None:
    """Put the values the UPDATE returned on the in-session object (if any), not dirtying it."""
    account = db.session.identity_map.get(identity_key(Account, account_id))
    if account is None:
        return
    set_committed_value(account, "balance", row.balance)
    set_committed_value(account, "held", row.held)
    set_committed_value(account, "earned", row.earned)


def _has_role(role: str):
    return (
        select(RoleGrant.id)
        .where(
            RoleGrant.user_id == ACCOUNTS.c.holder_id,
            RoleGrant.community_id == ACCOUNTS.c.community_id,
            RoleGrant.role == role,
        )
        .exists()
    )


def _change(account_id: int, *, where=(), with_roles: bool = False, **values):
    """Conditionally update one account; return its new state and holder, or None.

    With `with_roles`, the holder's ranking-relevant grants come back in the same round trip.
    """
    returning = [
        ACCOUNTS.c.balance,
        ACCOUNTS.c.held,
        ACCOUNTS.c.earned,
        ACCOUNTS.c.community_id,
        ACCOUNTS.c.holder_type,
    ]
    if with_roles:
        returning += [
            _has_role("party_member").label("party_member"),
            _has_role("grid_worker").label("grid_worker"),
        ]
    stmt = (
        update(ACCOUNTS)
        .where(ACCOUNTS.c.id == account_id, *where)
        .values(**values)
        .returning(*returning)
    )
    return db.session.execute(stmt).one_or_none()


def _id_of(account: Account | int) -> int:
    """The account id, without reloading an object expired by the caller's last commit."""
    if isinstance(account, Account):
        identity = inspect(account).identity
        return identity[0] if identity else account.id
    if isinstance(account, bool) or not isinstance(account, int):
        raise NotFound("积分账户不存在", code="account_not_found")
    return account


def _entry_by_key(key: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def _replay(existing: LedgerEntry, account_id: int, amount: int, key: str) -> LedgerEntry:
    if existing.account_id != account_id or existing.amount != amount:
        raise IdempotencyConflict(details={"idempotency_key": key, "entry_id": existing.id})
    return existing


def _insert_entry(values: dict) -> LedgerEntry | None:
    """INSERT the entry unless its key exists; None when it did (the caller replays)."""
    stmt = _insert(ENTRIES).values(**values).on_conflict_do_nothing().returning(ENTRIES.c.id)
    entry_id = db.session.execute(stmt).scalar_one_or_none()
    if entry_id is None:
        return None
    # The row is known in full: register it as persistent without reading it back.
    defaults = {"hold_id": None, "reverses_entry_id": None, "rank_month": None, "rank_kinds": ""}
    entry = LedgerEntry(id=entry_id, **{**defaults, **values})
    make_transient_to_detached(entry)
    db.session.add(entry)
    return entry


def _rank_kinds(row, cause_type: str) -> list[str]:
    """The ranking lists a credit counts in (see server/points/rankings.py for the rules)."""
    if row.holder_type == "organisation":
        return ["organisation"]
    kinds = ["person"]
    if row.party_member:
        kinds.append("party_member")
    if row.grid_worker and cause_type in rankings.GRID_WORKER_CAUSES:
        kinds.append("grid_worker")
    return kinds


def _add_to_totals(
    account_id: int, community_id: int, month: str, kinds: list[str], delta: int
) -> None:
    if not kinds:
        return
    table = PeriodTotal.__table__
    stmt = _insert(table)
    # One cached single-row statement per kind (usually one): multi-row VALUES never caches.
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.account_id, table.c.kind, table.c.month],
        set_={"points": table.c.points + stmt.excluded.points},
    )
    for kind in kinds:
        db.session.execute(
            stmt,
            {
                "account_id": account_id,
                "community_id": community_id,
                "kind": kind,
                "month": month,
                "points": delta,
            },
        )
    rankings.queue_increment(community_id, account_id, kinds, month, delta)


# ---------------------------------------------------------------- accounts


def find_account(community_id: int, holder_type: str, holder_id: int) -> Account | None:
    return db.session.scalar(
        select(Account).where(
            Account.community_id == community_id,
            Account.holder_type == holder_type,
            Account.holder_id == holder_id,
        )
    )


def _get_or_create(community_id: int, holder_type: str, holder_id: int) -> Account:
    account = find_account(community_id, holder_type, holder_id)
    if account is not None:
        return account
    now = utcnow()
    db.session.execute(
        _insert(ACCOUNTS)
        .values(
            community_id=community_id,
            holder_type=holder_type,
            holder_id=holder_id,
            balance=0,
            held=0,
            earned=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )
    return find_account(community_id, holder_type, holder_id)


def account_for_user(community_id: int, user_id: int) -> Account:
    """The user's account in the community, created empty on first use."""
    return _get_or_create(community_id, "user", user_id)


def account_for_organisation(community_id: int, organisation_id: int) -> Account:
    """The organisation's account in the community, created empty on first use."""
    return _get_or_create(community_id, "organisation", organisation_id)


# ---------------------------------------------------------------- credit and debit


def credit(
    account: Account,
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
    _check_amount(amount)
    _check_text(reason, idempotency_key)
    if kind not in EARNING_KINDS:
        raise ValueError(f"credit kind must be one of {EARNING_KINDS}")
    account_id = _id_of(account)
    now = at or utcnow()
    row = _change(
        account_id,
        with_roles=True,
        balance=ACCOUNTS.c.balance + amount,
        earned=ACCOUNTS.c.earned + amount,
        updated_at=now,
    )
    if row is None:
        raise NotFound("积分账户不存在", code="account_not_found")
    month = rankings.month_of(now)
    kinds = _rank_kinds(row, cause_type)
    entry = _insert_entry(
        {
            "account_id": account_id,
            "amount": amount,
            "balance_after": row.balance,
            "kind": kind,
            "cause_type": cause_type,
            "cause_id": str(cause_id),
            "reason": reason.strip(),
            "idempotency_key": idempotency_key,
            "actor_id": actor_id,
            "item_version_id": item_version_id,
            "rank_month": month,
            "rank_kinds": ",".join(kinds),
            "created_at": now,
        }
    )
    if entry is None:
        row = _change(
            account_id,
            balance=ACCOUNTS.c.balance - amount,
            earned=ACCOUNTS.c.earned - amount,
        )
        _sync(account_id, row)
        return _replay(_entry_by_key(idempotency_key), account_id, amount, idempotency_key)
    _sync(account_id, row)
    _add_to_totals(account_id, row.community_id, month, kinds, amount)
    return entry


def _refuse_insufficient(account_id: int, amount: int, key: str, signed: int) -> LedgerEntry:
    """The conditional debit matched nothing: replay the key's first result, or refuse."""
    existing = _entry_by_key(key)
    if existing is not None:
        return _replay(existing, account_id, signed, key)
    _insufficient(account_id, amount)


def _insufficient(account_id: int, amount: int):
    current = db.session.execute(
        select(ACCOUNTS.c.balance, ACCOUNTS.c.held).where(ACCOUNTS.c.id == account_id)
    ).one_or_none()
    if current is None:
        raise NotFound("积分账户不存在", code="account_not_found")
    raise InsufficientPoints(
        details={"available": current.balance - current.held, "requested": amount}
    )


def debit(
    account: Account,
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
    _check_amount(amount)
    _check_text(reason, idempotency_key)
    if kind not in DEBIT_KINDS:
        raise ValueError(f"debit kind must be one of {DEBIT_KINDS}")
    account_id = _id_of(account)
    now = at or utcnow()
    row = _change(
        account_id,
        where=(ACCOUNTS.c.balance - ACCOUNTS.c.held >= amount,),
        balance=ACCOUNTS.c.balance - amount,
        updated_at=now,
    )
    if row is None:
        return _refuse_insufficient(account_id, amount, idempotency_key, -amount)
    entry = _insert_entry(
        {
            "account_id": account_id,
            "amount": -amount,
            "balance_after": row.balance,
            "kind": kind,
            "cause_type": cause_type,
            "cause_id": str(cause_id),
            "reason": reason.strip(),
            "idempotency_key": idempotency_key,
            "actor_id": actor_id,
            "item_version_id": item_version_id,
            "created_at": now,
        }
    )
    if entry is None:
        _sync(account_id, _change(account_id, balance=ACCOUNTS.c.balance + amount))
        return _replay(_entry_by_key(idempotency_key), account_id, -amount, idempotency_key)
    _sync(account_id, row)
    return entry


# ---------------------------------------------------------------- holds


def _hold_id(hold_or_id: Hold | int) -> int:
    return hold_or_id.id if isinstance(hold_or_id, Hold) else int(hold_or_id)


def hold(
    account: Account,
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
    _check_amount(amount)
    _check_text(reason, idempotency_key)
    account_id = _id_of(account)
    now = utcnow()
    row = _change(
        account_id,
        where=(ACCOUNTS.c.balance - ACCOUNTS.c.held >= amount,),
        held=ACCOUNTS.c.held + amount,
        updated_at=now,
    )
    if row is None:
        existing = _hold_by_key(idempotency_key)
        if existing is not None:
            return _replay_hold(existing, account_id, amount, idempotency_key)
        _insufficient(account_id, amount)
    stmt = (
        _insert(Hold)
        .values(
            account_id=account_id,
            amount=amount,
            status="pending",
            reason=reason.strip(),
            cause_type=cause_type,
            cause_id=str(cause_id),
            idempotency_key=idempotency_key,
            actor_id=actor_id,
            expires_at=expires_at,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(Hold)
    )
    created = db.session.scalars(stmt).one_or_none()
    if created is None:
        _sync(account_id, _change(account_id, held=ACCOUNTS.c.held - amount))
        existing = _hold_by_key(idempotency_key)
        return _replay_hold(existing, account_id, amount, idempotency_key)
    _sync(account_id, row)
    return created


def _hold_by_key(key: str) -> Hold | None:
    return db.session.scalar(select(Hold).where(Hold.idempotency_key == key))


def _replay_hold(existing: Hold, account_id: int, amount: int, key: str) -> Hold:
    if existing.account_id != account_id or existing.amount != amount:
        raise IdempotencyConflict(details={"idempotency_key": key, "hold_id": existing.id})
    return existing


def _resolve(hold_id: int, status: str, reason: str, now: datetime, extra_where=()):
    """Move a pending hold to `status`; exactly one of release/settle/expire wins."""
    row = db.session.execute(
        update(HOLDS)
        .where(HOLDS.c.id == hold_id, HOLDS.c.status == "pending", *extra_where)
        .values(status=status, resolved_at=now, resolution_reason=reason.strip())
        .returning(HOLDS.c.account_id, HOLDS.c.amount)
    ).one_or_none()
    if row is None:
        current = db.session.get(Hold, hold_id, populate_existing=True)
        if current is None:
            raise NotFound("积分冻结记录不存在", code="hold_not_found")
        raise HoldNotPending(details={"hold_id": hold_id, "status": current.status})
    return row


def release(hold: Hold | int, *, reason: str, actor_id: int | None = None) -> Hold:
    """Give held points back to the available balance (cancelled reservation)."""
    _check_text(reason)
    hold_id = _hold_id(hold)
    now = utcnow()
    row = _resolve(hold_id, "released", reason, now)
    _sync(row.account_id, _change(row.account_id, held=ACCOUNTS.c.held - row.amount))
    return _refreshed(hold_id)


def expire(hold: Hold | int, *, reason: str = "冻结已过期，积分已退回") -> Hold:
    """Release a hold because it expired; races release and settle like they race each other."""
    hold_id = _hold_id(hold)
    now = utcnow()
    row = _resolve(hold_id, "expired", reason, now)
    _sync(row.account_id, _change(row.account_id, held=ACCOUNTS.c.held - row.amount))
    return _refreshed(hold_id)


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
    """Turn a hold into a debit of the held points (redemption verified)."""
    _check_text(reason)
    hold_id = _hold_id(hold)
    now = utcnow()
    row = _resolve(hold_id, "settled", reason, now)
    account_row = _change(
        row.account_id,
        balance=ACCOUNTS.c.balance - row.amount,
        held=ACCOUNTS.c.held - row.amount,
        updated_at=now,
    )
    original = db.session.get(Hold, hold_id)
    entry = _insert_entry(
        {
            "account_id": row.account_id,
            "amount": -row.amount,
            "balance_after": account_row.balance,
            "kind": "settle",
            "cause_type": original.cause_type,
            "cause_id": original.cause_id,
            "reason": reason.strip(),
            "idempotency_key": f"hold:{hold_id}:settle",
            "actor_id": actor_id,
            "hold_id": hold_id,
            "created_at": now,
        }
    )
    db.session.execute(update(HOLDS).where(HOLDS.c.id == hold_id).values(settle_entry_id=entry.id))
    _refreshed(hold_id)
    _sync(row.account_id, account_row)
    return entry


def _refreshed(hold_id: int) -> Hold:
    return db.session.get(Hold, hold_id, populate_existing=True)


# ---------------------------------------------------------------- corrections


def reverse(
    entry: LedgerEntry | int,
    *,
    reason: str,
    idempotency_key: str,
    actor_id: int | None,
) -> LedgerEntry:
    """Post the opposite of an entry once; a reversed credit also leaves earned and rankings."""
    _check_text(reason, idempotency_key)
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
    amount = -original.amount
    earning = original.kind in EARNING_KINDS
    now = utcnow()
    if amount < 0:
        row = _change(
            account_id,
            where=(ACCOUNTS.c.balance - ACCOUNTS.c.held >= -amount,),
            balance=ACCOUNTS.c.balance + amount,
            earned=ACCOUNTS.c.earned + (amount if earning else 0),
            updated_at=now,
        )
        if row is None:
            return _refuse_insufficient(account_id, -amount, idempotency_key, amount)
    else:
        row = _change(account_id, balance=ACCOUNTS.c.balance + amount, updated_at=now)
    kinds = [k for k in original.rank_kinds.split(",") if k] if earning else []
    entry_row = _insert_entry(
        {
            "account_id": account_id,
            "amount": amount,
            "balance_after": row.balance,
            "kind": "reversal",
            "cause_type": original.cause_type,
            "cause_id": original.cause_id,
            "reason": reason.strip(),
            "idempotency_key": idempotency_key,
            "actor_id": actor_id,
            "reverses_entry_id": original.id,
            "rank_month": original.rank_month if kinds else None,
            "rank_kinds": ",".join(kinds),
            "created_at": now,
        }
    )
    if entry_row is None:
        _sync(
            account_id,
            _change(
                account_id,
                balance=ACCOUNTS.c.balance - amount,
                earned=ACCOUNTS.c.earned - (amount if earning and amount < 0 else 0),
            ),
        )
        existing = _entry_by_key(idempotency_key)
        if existing is None:
            raise AlreadyReversed(details={"entry_id": original.id})
        if existing.reverses_entry_id != original.id:
            raise IdempotencyConflict(details={"idempotency_key": idempotency_key})
        return existing
    _sync(account_id, row)
    if kinds and original.rank_month:
        _add_to_totals(account_id, row.community_id, original.rank_month, kinds, amount)
    return entry_row

"""PostgreSQL's fused settle, to be deleted once rewards no longer imports it.

`server/rewards/hot_statements.py` and `server/rewards/verify.py` build verification's single
statement on these CTEs; they are being rewritten to call `ledger.settle` instead. Nothing in
the ledger itself uses this module, and it is not part of the ledger's public surface.
"""

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)

from server.db.types import UTCDateTime
from server.platform import profile_versions
from server.points.ledger.accounts import sync
from server.points.ledger.checks import check_reason
from server.points.ledger.holds import refuse_unresolved
from server.points.ledger.statements import ACCOUNTS, ENTRIES, HOLDS

# What a settle statement returns besides the account state (see settle_ctes).
_HOLD_LABELS = tuple((c.key, f"hold_{c.key}") for c in HOLDS.c if c.key != "id")
_STATE = ("balance", "held", "earned", "holder_type", "holder_id")


def settle_ctes(hold_id, *, whole_hold: bool = False) -> SimpleNamespace:
    """PostgreSQL: settling a hold as data-modifying CTEs of ONE statement.

    `hold_id` is the hold to settle, as SQL: a bind, or a column of a caller's CTE (verify
    locks the redemption first, in the usual lock order). Binds: p_now, p_reason, p_actor_id.

    The steps keep the step-by-step order of locks and ids: the pending hold is locked
    (FOR UPDATE re-checks `pending` against a concurrent resolution), then the account is
    debited, and only then is the entry's id drawn, so entry ids follow the account's
    balance_after sequence as they do when the INSERT draws them. PostgreSQL cannot update
    one row twice in a statement, so the hold is resolved last, in one UPDATE that also sets
    settle_entry_id (the row is ours already; a lock is not an update). When the hold is not
    pending nothing changes and the joined row is missing.

    Select `columns` from `joined` (or outer-join it to the caller's CTE) and hand the row to
    `settled`; `entry` is the new entry's CTE (id, hold_id) for callers that record it. With
    `whole_hold` the columns also carry the resolved hold (hold_<column>). The statement stays
    short on purpose: psycopg caches its parse of statements up to 4096 bytes only.
    """
    h, a = HOLDS.c, ACCOUNTS.c
    now = bindparam("p_now", type_=UTCDateTime())
    reason = bindparam("p_reason", type_=String)
    pending = (
        select(h.id, h.account_id, h.amount, h.cause_type, h.cause_id)
        .where(h.id == hold_id, h.status == literal_column("'pending'"))
        .with_for_update()
        .cte("pending_hold")
    )
    # No WHERE guard beyond the hold: its points are already counted in `held`, and the
    # CHECKs (held >= 0, held <= balance, balance >= 0) refuse anything else, as they do for
    # the step-by-step settle.
    account = (
        update(ACCOUNTS)
        .where(a.id == pending.c.account_id)
        .values(
            balance=a.balance - pending.c.amount, held=a.held - pending.c.amount, updated_at=now
        )
        .returning(
            a.id,
            *(a[name] for name in _STATE),
            func.nextval(literal_column(f"'{ENTRIES.name}_id_seq'"), type_=BigInteger).label(
                "entry_id"
            ),
        )
        .cte("settled_account")
    )
    rows = select(
        account.c.entry_id,
        account.c.id,
        -pending.c.amount,
        account.c.balance,
        literal_column("'settle'"),
        pending.c.cause_type,
        pending.c.cause_id,
        reason,
        literal_column("'hold:'") + pending.c.id.cast(String) + literal_column("':settle'"),
        bindparam("p_actor_id", type_=Integer),
        pending.c.id,
        literal_column("''"),
        now,
    ).select_from(pending.join(account, account.c.id == pending.c.account_id))
    names = (
        "id account_id amount balance_after kind cause_type cause_id reason idempotency_key"
        " actor_id hold_id rank_kinds created_at"
    ).split()
    # A plain INSERT: the key is the hold's, and the hold resolves once, so a conflict would be
    # corruption and must fail loudly rather than pass as a replay.
    entry = (
        insert(ENTRIES)
        .from_select(names, rows)
        .returning(ENTRIES.c.id, ENTRIES.c.hold_id)
        .cte("settle_entry")
    )
    hold = (
        update(HOLDS)
        .where(h.id == entry.c.hold_id)
        .values(
            status=literal_column("'settled'"),
            resolved_at=now,
            resolution_reason=reason,
            settle_entry_id=entry.c.id,
        )
        .returning(*(HOLDS.c if whole_hold else (h.id,)))
        .cte("settled_hold")
    )
    columns = [
        hold.c.id.label("hold_id"),
        account.c.id.label("account_id"),
        *(account.c[name] for name in _STATE),
        entry.c.id.label("entry_id"),
    ]
    if whole_hold:
        columns += [hold.c[key].label(label) for key, label in _HOLD_LABELS]
    joined = hold.join(entry, entry.c.hold_id == hold.c.id).join(
        account, account.c.entry_id == entry.c.id
    )
    return SimpleNamespace(columns=columns, joined=joined, entry=entry)


def settle_binds(*, reason: str, actor_id: int | None, now: datetime) -> dict:
    """The binds settle_ctes reads, checked as settle checks them."""
    return {"p_now": now, "p_reason": check_reason(reason), "p_actor_id": actor_id}


def settled(row, hold_id: int, *, committed: bool = False) -> None:
    """After a settle statement: refuse as settle does, else sync the account like settle.

    `row` is the statement's row; None, or no hold in it, means the hold was not pending
    (and the statement changed nothing). `committed`: the statement ran in autocommit, outside
    the session, so the holder's profile version is bumped now instead of after a commit.
    """
    if row is None or row.hold_id is None:
        refuse_unresolved(hold_id)
    if not committed:
        sync(row.account_id, row)
    elif row.holder_type == "user":
        profile_versions.bump_now(row.holder_id)

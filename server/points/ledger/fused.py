"""PostgreSQL only: a ledger write behind its caller's gate, as one statement.

The portable path runs the caller's gate (an UPDATE or INSERT that says whether the write may
happen) and then each of the ledger's statements in turn, one round trip each. On PostgreSQL
the same writes run as data-modifying CTEs of one statement: one round trip and one snapshot,
with the gate's row lock re-checked under READ COMMITTED exactly as a top-level UPDATE would
be. It is a second path for speed, kept because bench/fused_writes.py measures it more than
20 % faster in alternating slices; the refusal and exactly-once tests of reserve and verify run
against both paths (docs/decisions.md). The rules stay where they are: the gates are the
callers', `available_covers` and `hold_is_pending` the ledger's (statements.py).
"""

from collections.abc import Callable

from flask import current_app
from sqlalchemy import String, bindparam, cast, func, literal, select, true, update
from sqlalchemy.sql.expression import ColumnElement, Select, Update

from server.db.types import UTCDateTime
from server.points.ledger.accounts import sync
from server.points.ledger.checks import HoldNotPending, check_reason
from server.points.ledger.statements import ACCOUNTS, ENTRIES, HOLDS, STATE, hold_is_pending

SETTLE_KEY = ("hold:", ":settle")  # a settle entry's idempotency key: hold:<hold id>:settle


def settle_key(hold_id: int) -> str:
    """The idempotency key of a hold's settle entry (one per hold)."""
    return f"{SETTLE_KEY[0]}{hold_id}{SETTLE_KEY[1]}"


def fused_writes(conn) -> bool:
    """Whether this connection takes the one-statement path (PostgreSQL, unless turned off)."""
    return conn.dialect.name == "postgresql" and current_app.config.get("LEDGER_FUSED_WRITES", True)


def _next_entry_id() -> ColumnElement:
    # Drawn once (a volatile CTE is never inlined), so the hold and the gate can name the
    # entry before it is inserted; a refused gate only leaves a gap in the sequence.
    return func.nextval(func.pg_get_serial_sequence(ENTRIES.name, "id")).label("id")


def settle_behind(gate: Callable[[ColumnElement], Update]) -> Select:
    """Settle a hold behind `gate`, in one statement: what holds.settle writes, once.

    `gate(entry_id)` builds the caller's conditional UPDATE, which may record `entry_id` (the
    settle entry's id, drawn first) and must return the hold's id as `hold_id`. The statement
    returns no row when the gate refused; else one row with `hold_id` and `entry_id`, the
    latter NULL when the hold was no longer pending. Run it with settle_through.
    """
    h, a = HOLDS.c, ACCOUNTS.c
    now = bindparam("p_now", type_=UTCDateTime())
    new_id = select(_next_entry_id()).cte("new_entry_id")
    entry_id = select(new_id.c.id).scalar_subquery()
    gated = gate(entry_id).cte("gate")
    hold = (
        update(HOLDS)
        .where(h.id == select(gated.c.hold_id).scalar_subquery(), hold_is_pending())
        .values(
            status="settled",
            resolved_at=now,
            resolution_reason=bindparam("p_reason"),
            settle_entry_id=entry_id,
        )
        .returning(h.id, h.account_id, h.amount, h.cause_type, h.cause_id)
        .cte("settled_hold")
    )
    account = (
        update(ACCOUNTS)
        .where(a.id == hold.c.account_id)
        .values(balance=a.balance - hold.c.amount, held=a.held - hold.c.amount, updated_at=now)
        .returning(a.id, *STATE)
        .cte("settled_account")
    )
    key = literal(SETTLE_KEY[0]) + cast(hold.c.id, String) + literal(SETTLE_KEY[1])
    columns = {
        "id": entry_id,
        "account_id": hold.c.account_id,
        "amount": -hold.c.amount,
        "balance_after": account.c.balance,
        "kind": literal("settle"),
        "cause_type": hold.c.cause_type,
        "cause_id": hold.c.cause_id,
        "reason": bindparam("p_reason"),
        "idempotency_key": key,
        "actor_id": bindparam("p_actor_id"),
        "hold_id": hold.c.id,
        "rank_kinds": literal(""),
        "created_at": now,
    }
    entry = (
        ENTRIES.insert()
        .from_select(
            list(columns), select(*columns.values()).select_from(hold).join(account, true())
        )
        .returning(ENTRIES.c.id)
        .cte("settle_entry")
    )
    state = [account.c[c.key] for c in STATE]
    return select(
        gated.c.hold_id, entry.c.id.label("entry_id"), account.c.id.label("account_id"), *state
    ).select_from(gated.outerjoin(entry, true()).outerjoin(account, true()))


def settle_through(
    conn, statement: Select, params: dict, *, reason: str, actor_id: int | None, now
) -> int | None:
    """Run a settle_behind statement: the settle entry's id, or None when the gate refused.

    A gate that passed while the hold was no longer pending is refused (HoldNotPending) for
    the caller to roll back; the account's new state goes where holds.settle puts it.
    """
    binds = {"p_reason": check_reason(reason), "p_actor_id": actor_id, "p_now": now}
    row = conn.execute(statement, {**params, **binds}).first()
    if row is None:
        return None
    if row.entry_id is None:
        raise HoldNotPending(details={"hold_id": row.hold_id})
    sync(row.account_id, row)
    return row.entry_id

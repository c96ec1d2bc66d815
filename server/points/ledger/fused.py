"""PostgreSQL only: a credit, or a ledger write behind its caller's gate, as one statement.

The portable path runs the caller's gate (an UPDATE or INSERT that says whether the write may
happen) and then each of the ledger's statements in turn, one round trip each. On PostgreSQL
the same writes run as data-modifying CTEs of one statement: one round trip and one snapshot,
with the gate's row lock re-checked under READ COMMITTED exactly as a top-level UPDATE would
be. It is a second path for speed, kept because bench/fused_writes.py measures it more than
20 % faster in alternating slices; the ledger's tests and the refusal and exactly-once tests of
reserve and verify run against both paths (tests/write_paths.py, docs/decisions.md). The
rules stay where they are: the gates are the callers', `available_covers`, `hold_is_pending`
and `rank_kinds_of` the ledger's (statements.py).
"""

from collections.abc import Callable, Sequence
from functools import cache

from flask import current_app
from sqlalchemy import String, bindparam, cast, func, literal, select, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.expression import ColumnElement, Select, Update

from server.db.types import UTCDateTime, utcnow
from server.points.ledger.accounts import refuse_uncovered, sync
from server.points.ledger.checks import HoldNotPending, check_amount, check_key, check_reason
from server.points.ledger.statements import (
    ACCOUNTS,
    ENTRIES,
    HOLDS,
    STATE,
    TOTALS,
    available_covers,
    for_dialect,
    hold_is_pending,
)

SETTLE_KEY = ("hold:", ":settle")  # a settle entry's idempotency key: hold:<hold id>:settle


def settle_key(hold_id: int) -> str:
    """The idempotency key of a hold's settle entry (one per hold)."""
    return f"{SETTLE_KEY[0]}{hold_id}{SETTLE_KEY[1]}"


def fused_writes(conn) -> bool:
    """Whether this connection takes the one-statement path (PostgreSQL, unless turned off)."""
    return conn.dialect.name == "postgresql" and bool(current_app.config["LEDGER_FUSED_WRITES"])


def _next_id(table) -> ColumnElement:
    # Drawn once (a volatile CTE is never inlined), so other writes of the statement can name
    # the row before it is inserted; a refused gate only leaves a gap in the sequence.
    return func.nextval(func.pg_get_serial_sequence(table.name, "id")).label("id")


def settle_behind(gate: Callable[[ColumnElement], Update]) -> Select:
    """Settle a hold behind `gate`, in one statement: what holds.settle writes, once.

    `gate(entry_id)` builds the caller's conditional UPDATE, which may record `entry_id` (the
    settle entry's id, drawn first) and must return the hold's id as `hold_id`. The statement
    returns no row when the gate refused; else one row with `hold_id` and `entry_id`, the
    latter NULL when the hold was no longer pending. Run it with settle_through.
    """
    h, a = HOLDS.c, ACCOUNTS.c
    now = bindparam("p_now", type_=UTCDateTime())
    new_id = select(_next_id(ENTRIES)).cte("new_entry_id")
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


def hold_then(then: Callable[[ColumnElement], Sequence[Update]]) -> Select:
    """Hold points, then the caller's writes that need the hold, in one statement.

    First what holds.hold writes (the account's held points under `available_covers`, the
    pending hold), then `then(hold_id)`: the caller's conditional UPDATEs, the first of them
    its gate, returning a column named `passed` when it passes. They must do nothing when
    `hold_id` is NULL (the account did not cover the amount). One row comes back: `hold_id`
    (NULL: not covered), the account's state, and `passed` (NULL: the gate refused, and the
    caller rolls back). Run it with hold_through.
    """
    a, h = ACCOUNTS.c, HOLDS.c
    now = bindparam("p_now", type_=UTCDateTime())
    amount = bindparam("p_amount")
    new_id = select(_next_id(HOLDS)).cte("new_hold_id")
    held = (
        update(ACCOUNTS)
        .where(a.id == bindparam("p_account_id"), available_covers(amount))
        .values(held=a.held + amount, updated_at=now)
        .returning(a.id, *STATE)
        .cte("held_account")
    )
    columns = {
        "id": new_id.c.id,
        "account_id": held.c.id,
        "amount": amount,
        "status": literal("pending"),
        "reason": bindparam("p_reason"),
        "cause_type": bindparam("p_cause_type"),
        "cause_id": bindparam("p_cause_id"),
        "idempotency_key": bindparam("p_key"),
        "actor_id": bindparam("p_actor_id"),
        "expires_at": bindparam("p_expires_at", type_=UTCDateTime()),
        "created_at": now,
    }
    hold = (
        HOLDS.insert()
        .from_select(
            list(columns), select(*columns.values()).select_from(held).join(new_id, true())
        )
        .returning(h.id)
        .cte("new_hold")
    )
    writes = [w.cte(f"then_{n}") for n, w in enumerate(then(select(hold.c.id).scalar_subquery()))]
    gate, others = writes[0], writes[1:]
    state = [held.c[c.key] for c in STATE]
    joined = new_id.outerjoin(held, true()).outerjoin(hold, true()).outerjoin(gate, true())
    # The other writes run to completion unreferenced, like every data-modifying CTE.
    statement = select(hold.c.id.label("hold_id"), *state, gate.c.passed).select_from(joined)
    for other in others:
        statement = statement.add_cte(other)
    return statement


def hold_through(
    conn,
    statement: Select,
    params: dict,
    account_id: int,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    cause_type: str,
    cause_id: str | int,
    actor_id: int | None = None,
    expires_at=None,
    now=None,
):
    """Run a hold_then statement; its row (see there). Refuses as holds.hold refuses when the
    available balance does not cover `amount` (InsufficientPoints, or no such account)."""
    check_amount(amount)
    check_key(idempotency_key)
    binds = {
        "p_account_id": account_id,
        "p_amount": amount,
        "p_reason": check_reason(reason),
        "p_key": idempotency_key,
        "p_cause_type": cause_type,
        "p_cause_id": str(cause_id),
        "p_actor_id": actor_id,
        "p_expires_at": expires_at,
        "p_now": now or utcnow(),
    }
    row = conn.execute(statement, {**params, **binds}).one()
    if row.hold_id is None:
        refuse_uncovered(account_id, amount)
    sync(account_id, row)
    return row


def _bind(name: str, column) -> ColumnElement:
    return bindparam(name, type_=column.type)


@cache
def _credit_statement() -> Select:
    """statements.give, the entry unless its key exists, and the period totals of its
    rank_kinds (only when the entry is new), as one statement; see credit_in_one."""
    e, t = ENTRIES.c, TOTALS.c
    account = for_dialect("postgresql").give.cte("credited_account")
    columns = {
        "account_id": _bind("p_id", e.account_id),
        "amount": _bind("p_amount", e.amount),
        "balance_after": account.c.balance,
        "kind": _bind("p_kind", e.kind),
        "cause_type": _bind("p_cause_type", e.cause_type),
        "cause_id": _bind("p_cause_id", e.cause_id),
        "reason": _bind("p_reason", e.reason),
        "idempotency_key": _bind("p_key", e.idempotency_key),
        "actor_id": _bind("p_actor_id", e.actor_id),
        "item_version_id": _bind("p_item_version_id", e.item_version_id),
        "rank_month": _bind("p_month", e.rank_month),
        "rank_kinds": account.c.rank_kinds,
        "created_at": _bind("p_now", e.created_at),
    }
    entry = (
        postgresql.insert(ENTRIES)
        .from_select(list(columns), select(*columns.values()).select_from(account))
        .on_conflict_do_nothing()
        .returning(e.id)
        .cte("credit_entry")
    )
    kind = func.unnest(func.string_to_array(account.c.rank_kinds, ","))
    totals = postgresql.insert(TOTALS).from_select(
        ["account_id", "community_id", "kind", "month", "points"],
        select(
            _bind("p_id", t.account_id),
            account.c.community_id,
            kind,
            _bind("p_month", t.month),
            _bind("p_amount", t.points),
        ).where(select(entry.c.id).exists()),
    )
    totals = totals.on_conflict_do_update(
        index_elements=[t.account_id, t.kind, t.month],
        set_={"points": t.points + totals.excluded.points},
    )
    state = [account.c[c.key] for c in (*STATE, account.c.rank_kinds)]
    return (
        select(*state, entry.c.id.label("entry_id"))
        .select_from(account.outerjoin(entry, true()))
        .add_cte(totals.cte("credit_totals"))
    )


def credit_in_one(conn, values: dict):
    """What entries.credit writes, as one statement: the account's new state with the
    credit's `rank_kinds` and `entry_id` (None: the key exists, the caller undoes and replays),
    or None when there is no such account. `values` are the entry's, checked by credit."""
    binds = {
        "p_id": values["account_id"],
        "p_amount": values["amount"],
        "p_earned": values["amount"],
        "p_kind": values["kind"],
        "p_cause_type": values["cause_type"],
        "p_cause_id": values["cause_id"],
        "p_reason": values["reason"],
        "p_key": values["idempotency_key"],
        "p_actor_id": values["actor_id"],
        "p_item_version_id": values["item_version_id"],
        "p_month": values["rank_month"],
        "p_now": values["created_at"],
    }
    return conn.execute(_credit_statement(), binds).one_or_none()

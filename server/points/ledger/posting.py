"""Writing an entry: the INSERT unless its key exists, its ranking totals, its ORM object."""

from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from server.db.session import db
from server.points import rankings
from server.points.ledger.checks import IdempotencyConflict
from server.points.ledger.statements import session_statements
from server.points.ledger_models import LedgerEntry

# Every column is always bound, so one compiled form of the INSERT serves every caller.
ENTRY_DEFAULTS = {
    "actor_id": None,
    "item_version_id": None,
    "hold_id": None,
    "reverses_entry_id": None,
    "rank_month": None,
    "rank_kinds": "",
}


def register(model, values: dict):
    """A row the ledger just wrote, as a persistent ORM object, without reading it back.

    An object for that row already in the session takes the new values instead (without
    becoming dirty), so a caller holding it sees the new state.
    """
    current = db.session.identity_map.get(identity_key(model, values["id"]))
    if current is not None:
        for name, value in values.items():
            set_committed_value(current, name, value)
        return current
    obj = model(**values)
    # Forgets the changes the constructor recorded: the row is in the database already.
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


def add_to_totals(
    account_id: int, community_id: int, month: str, kinds: list[str], delta: int
) -> None:
    """Add `delta` to the account's period totals, and to Redis once the transaction commits."""
    if not kinds:
        return
    conn, st = session_statements()
    rows = [
        {
            "account_id": account_id,
            "community_id": community_id,
            "kind": kind,
            "month": month,
            "points": delta,
        }
        for kind in kinds
    ]
    conn.execute(st.add_total, rows)
    rankings.queue_increment(community_id, account_id, kinds, month, delta)


def insert_entry(values: dict, *, community_id: int | None = None) -> LedgerEntry | None:
    """INSERT the entry unless its key exists; None when it did (the caller replays).

    With `community_id`, the entry's amount is added to the period totals of its `rank_kinds`
    once the entry is known to be new.
    """
    conn, st = session_statements()
    values = {**ENTRY_DEFAULTS, **values}
    entry_id = conn.execute(st.insert_entry, values).scalar_one_or_none()
    if entry_id is None:
        return None
    kinds = [k for k in values["rank_kinds"].split(",") if k]
    if community_id is not None and kinds and values["rank_month"]:
        add_to_totals(
            values["account_id"], community_id, values["rank_month"], kinds, values["amount"]
        )
    return register(LedgerEntry, {"id": entry_id, **values})


def entry_by_key(key: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def replay_entry(existing: LedgerEntry, account_id: int, amount: int, key: str) -> LedgerEntry:
    """The key's first entry, if it was for the same account and signed amount; else 409."""
    if existing.account_id != account_id or existing.amount != amount:
        raise IdempotencyConflict(details={"idempotency_key": key, "entry_id": existing.id})
    return existing

"""The database as state: a fingerprint to compare, and a snapshot to restore after a success.

Every table counts, outbox events and audit rows included; one ordered query per table.
"""

import functools
import hashlib

from sqlalchemy import delete, insert, select, text

from server.db.session import db


def _tables():
    return db.metadata.sorted_tables


@functools.cache
def _ordered_selects() -> list[tuple[str, str]]:
    """Per table, a plain SELECT in primary-key order (raw SQL: the fingerprint runs per test)."""
    quote = db.engine.dialect.identifier_preparer.quote
    out = []
    for table in _tables():
        order = list(table.primary_key.columns) or list(table.columns)
        columns = ", ".join(quote(c.name) for c in order)
        out.append((table.name, f"SELECT * FROM {quote(table.name)} ORDER BY {columns}"))
    return out


def fingerprint() -> dict[str, tuple[int, str]]:
    """Per table: (row count, hash of every row in primary-key order)."""
    out = {}
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name, sql in _ordered_selects():
            cursor.execute(sql)
            rows = cursor.fetchall()
            out[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
        raw.rollback()
    finally:
        raw.close()
    return out


def changed(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ, with their counts."""
    return [
        f"{name}: {before[name][0]} -> {after[name][0]} rows"
        for name in before
        if before[name] != after[name]
    ]


def snapshot() -> dict[str, list[dict]]:
    with db.engine.connect() as conn:
        return {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in _tables()}


def restore(rows: dict[str, list[dict]], tables: list[str] | None = None) -> None:
    """Put the snapshot back (all tables, or only the named ones that changed).

    On PostgreSQL replica mode skips triggers: the append-only guard and foreign keys.
    """
    chosen = [t for t in _tables() if tables is None or t.name in tables]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys = ON"))
        for table in reversed(chosen):
            conn.execute(delete(table))
        for table in chosen:
            if rows[table.name]:
                conn.execute(insert(table), rows[table.name])

"""The demo seed, taken once per test session and restored for every test that asks for it.

`seed_demo()` costs ~0.3 s of ORM round trips; its result in tests is ~150 rows in a dozen
tables. The first `seeded` test of a session (of an xdist worker) runs the real seed into the
empty database and reads back what it wrote: every table's rows, the PostgreSQL sequences,
the Redis keys it added. Later tests bulk-insert those rows (one executemany per table) and
set the sequences, so ids continue exactly as after a real seed. tests/db/test_seed_snapshot.py
compares a restore with a fresh seed, table by table.

The real seed still runs whenever a restore could differ from it: the database is not empty
(a fixture wrote first), a SEED_* switch is set (only the default demo is recorded), or the
first seed wrote files to the upload store or called the WeChat emulator (a restore would not).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, literal, or_, select, text

from server.db.session import db


@dataclass
class Snapshot:
    app_id: int
    started: datetime  # the seed's first and last moment: its rows' timestamps lie in between
    finished: datetime
    rows: list[tuple] = field(default_factory=list)  # (table, [row dicts]) in insert order
    sequences: dict[str, int] = field(default_factory=dict)  # PostgreSQL: name -> last_value
    redis: dict[bytes, tuple[int, bytes]] = field(default_factory=dict)  # key -> (pttl, dump)
    usable: bool = True


_snapshot: Snapshot | None = None


def seed(app, emulator_calls: dict | None = None) -> str:
    """Give the test the demo; return how: "restored" or "seeded" (the real seed ran)."""
    global _snapshot
    from server.commands.seed_demo import seed_demo

    with app.app_context():
        try:
            snap = _snapshot if _snapshot is not None and _snapshot.app_id == id(app) else None
            # The snapshot holds the default demo; a test that switches on more seeds for real.
            default = not _switches(app)
            if snap is not None and snap.usable and default and _database_is_empty():
                _restore(app, snap)
                return "restored"
            if snap is None and default and _database_is_empty():
                _snapshot = _take(app, seed_demo, emulator_calls)
                return "seeded"
            seed_demo()
            return "seeded"
        finally:
            db.session.remove()


def _switches(app) -> dict:
    return {key: value for key, value in app.config.items() if key.startswith("SEED_")}


def _database_is_empty() -> bool:
    tables = db.metadata.sorted_tables
    probes = [select(literal(1)).select_from(table).exists() for table in tables]
    found = db.session.execute(select(literal(1)).where(or_(*probes))).first()
    db.session.rollback()
    return found is None


def _redis(app):
    from server.platform.redis_client import get_redis

    return get_redis()


def _redis_keys(app) -> set[bytes]:
    redis = _redis(app)
    if redis is None:
        return set()
    return set(redis.scan_iter(match=app.config["REDIS_PREFIX"] + "*", count=1000))


def _uploads(app) -> list[str]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def _take(app, seed_demo, emulator_calls: dict | None) -> Snapshot:
    """Run the real seed and record what it wrote."""
    keys_before, uploads_before = _redis_keys(app), _uploads(app)
    calls_before = dict(emulator_calls) if emulator_calls is not None else None
    started = datetime.now(UTC)
    seed_demo()
    db.session.remove()
    finished = datetime.now(UTC)
    snap = Snapshot(id(app), started, finished)
    # A restore writes no files and makes no WeChat calls: such a seed is always run for real.
    snap.usable = _uploads(app) == uploads_before and (
        calls_before is None or dict(emulator_calls) == calls_before
    )
    for table in db.metadata.sorted_tables:
        rows = [dict(r) for r in db.session.execute(select(table)).mappings()]
        if rows:
            snap.rows.append((table, rows))
    if db.engine.dialect.name == "postgresql":
        snap.sequences = dict(db.session.execute(text(_SEQUENCES)).all())
    db.session.rollback()
    redis = _redis(app)
    for key in _redis_keys(app) - keys_before:
        dumped = redis.dump(key)
        if dumped is not None:  # not expired in between
            snap.redis[key] = (max(redis.pttl(key), 0), dumped)
    return snap


_SEQUENCES = (
    "SELECT sequencename, last_value FROM pg_sequences "
    "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def _restore(app, snap: Snapshot) -> None:
    """Write the recorded rows, sequences and Redis keys back into the empty database."""
    # Timestamps move with the clock, as a seed run now would have written them.
    shift = datetime.now(UTC) - snap.started
    with db.engine.begin() as conn:
        for table, rows in snap.rows:
            conn.execute(insert(table), [_shifted(row, snap, shift) for row in rows])
        if snap.sequences:
            conn.execute(
                text(
                    "SELECT setval(quote_ident(name)::regclass, value) "
                    "FROM unnest(CAST(:names AS text[]), CAST(:values AS bigint[])) "
                    "AS s(name, value)"
                ),
                {"names": list(snap.sequences), "values": list(snap.sequences.values())},
            )
    redis = _redis(app)
    if redis is not None and snap.redis:
        pipe = redis.pipeline(transaction=False)
        for key, (pttl, dumped) in snap.redis.items():
            pipe.restore(key, pttl, dumped, replace=True)
        pipe.execute()


def _shifted(row: dict, snap: Snapshot, shift: timedelta) -> dict:
    out = {}
    for name, value in row.items():
        if isinstance(value, datetime) and _during_seed(value, snap):
            value = value + shift
        out[name] = value
    return out


def _during_seed(value: datetime, snap: Snapshot) -> bool:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return snap.started <= aware <= snap.finished

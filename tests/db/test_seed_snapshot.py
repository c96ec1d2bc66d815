"""The `seeded` fixture restores a snapshot (tests/seed_snapshot.py): it must equal a fresh seed.

Compared table by table: every row, the ids that come next (PostgreSQL sequences; on SQLite
the next rowid follows from the rows), the Redis keys under the session's prefix, the upload
store and the WeChat emulator's call counts. Timestamps written during a seed count as equal.
"""

from datetime import UTC, datetime

from sqlalchemy import select, text

from server.commands.seed_demo import seed_demo
from server.db.session import db
from tests import seed_snapshot
from tests.conftest import empty_database

SEED_TIME = "<written during the seed>"


def _at(value, window):
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if window[0] <= aware <= window[1]:
            return SEED_TIME
    return value


def _state(app, emulator, window) -> dict:
    tables = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(select(table).order_by(*order)).all()
        tables[table.name] = [tuple(_at(v, window) for v in row) for row in rows]
    sequences = {}
    if db.engine.dialect.name == "postgresql":
        sequences = dict(
            db.session.execute(
                text(
                    "SELECT sequencename, last_value FROM pg_sequences "
                    "WHERE schemaname = current_schema() ORDER BY sequencename"
                )
            ).all()
        )
    db.session.rollback()
    redis = seed_snapshot._redis(app)
    keys = {}
    if redis is not None:
        for key in sorted(seed_snapshot._redis_keys(app)):
            keys[key] = (redis.type(key), redis.dump(key), redis.pttl(key) > 0)
    return {
        "tables": tables,
        "sequences": sequences,
        "redis": keys,
        "uploads": seed_snapshot._uploads(app),
        "emulator_calls": dict(emulator.state.calls),
    }


def _empty(app, emulator):
    db.session.remove()
    empty_database()
    redis = seed_snapshot._redis(app)
    if redis is not None:
        for key in seed_snapshot._redis_keys(app):
            redis.delete(key)
    emulator.state.calls.clear()


def test_a_restored_demo_equals_a_fresh_seed(app, emulator):
    with app.app_context():
        seed_snapshot.seed(app, emulator.state.calls)  # takes the snapshot if none exists yet
        _empty(app, emulator)

        start = datetime.now(UTC)
        seed_demo()
        db.session.remove()
        fresh = _state(app, emulator, (start, datetime.now(UTC)))
        _empty(app, emulator)

        start = datetime.now(UTC)
        assert seed_snapshot.seed(app, emulator.state.calls) == "restored"
        took = seed_snapshot._snapshot.finished - seed_snapshot._snapshot.started
        restored = _state(app, emulator, (start, datetime.now(UTC) + took))
        db.session.remove()
        dialect = db.engine.dialect.name

    assert sum(len(rows) for rows in fresh["tables"].values()) > 100
    for name, rows in fresh["tables"].items():
        assert restored["tables"][name] == rows, name
    if dialect == "postgresql":
        assert any(value is not None for value in fresh["sequences"].values())
    for part in ("sequences", "redis", "uploads", "emulator_calls"):
        assert restored[part] == fresh[part], part


def test_the_real_seed_runs_when_the_database_is_not_empty(app, emulator, api):
    api.login("resident-1")  # a demo person logged in first: the seed finds and keeps them
    assert seed_snapshot.seed(app, emulator.state.calls) == "seeded"
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM users")) == 24
        db.session.remove()

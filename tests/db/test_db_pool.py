"""Pooled PostgreSQL connections: pinged when idle, and a lost one answers 503, not 500."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from server.db.pool import ping_idle_connections
from tests.conftest import error_code

pytestmark = pytest.mark.postgres

KILL = text("SELECT pg_terminate_backend(:pid)")
KILL_OTHERS = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _engine(app, idle_seconds: float):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1)
    ping_idle_connections(engine, idle_seconds)
    return engine


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _kill(url, statement, **params) -> None:
    killer = create_engine(url)
    with killer.connect() as conn:
        assert conn.execute(statement, params).scalar_one()
        conn.commit()
    killer.dispose()


def test_an_idle_dead_connection_is_replaced_before_use(app):
    engine = _engine(app, idle_seconds=0.0)
    first = _backend_pid(engine)
    _kill(engine.url, KILL, pid=first)
    assert _backend_pid(engine) != first  # pinged on checkout, replaced, the query never saw it
    engine.dispose()


def test_a_recently_used_connection_is_not_pinged(app):
    engine = _engine(app, idle_seconds=3600.0)
    _kill(engine.url, KILL, pid=_backend_pid(engine))
    with pytest.raises(DBAPIError) as lost:
        _backend_pid(engine)
    assert lost.value.connection_invalidated
    _backend_pid(engine)  # the pool was invalidated: the next checkout connects afresh
    engine.dispose()


def test_a_connection_lost_under_a_request_answers_503_then_recovers(api, seeded, app):
    assert api.get("/api/v1/communities", "resident-1").status_code == 200
    with app.app_context():
        from server.db.session import db

        _kill(db.engine.url, KILL_OTHERS)  # every pooled connection of the app
    resp = api.get("/api/v1/communities", "resident-1")
    assert resp.status_code == 503 and error_code(resp) == "database_unavailable"
    assert api.get("/api/v1/communities", "resident-1").status_code == 200

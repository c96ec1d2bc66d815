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


def test_a_database_that_refuses_connections_answers_503_at_once(api, seeded, app, monkeypatch):
    """PostgreSQL stopped: a new connection is refused (OperationalError), and the answer is
    503 database_unavailable with Retry-After, not a 500 (tests/faults restarts a real one)."""
    import time

    from sqlalchemy.exc import OperationalError

    from server.db.session import db

    assert api.get("/api/v1/communities", "resident-1").status_code == 200  # logged in
    with app.app_context():
        engine = db.engine
        engine.dispose()  # nothing pooled: the next request must connect

    def refused(*_args, **_kwargs):
        raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))

    with monkeypatch.context() as m:
        m.setattr(type(engine.pool), "_do_get", refused)
        started = time.monotonic()
        resp = api.get("/api/v1/communities", "resident-1")
    assert time.monotonic() - started < 2
    assert resp.status_code == 503 and error_code(resp) == "database_unavailable"
    assert resp.headers["Retry-After"] == "2"
    assert api.get("/api/v1/communities", "resident-1").status_code == 200

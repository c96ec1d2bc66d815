"""Statements run on the DBAPI connection (server/db/driver_statements.py) on PostgreSQL.

They must send and give back what conn.execute would, raise SQLAlchemy's errors, and answer a
lost connection as the rest of the app does (503, then recovery).
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    column,
    event,
    exc,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from server.db.driver_statements import DriverResult, DriverStatement
from server.db.session import db
from server.db.types import UTCDateTime
from server.rewards.hot_statements import autocommit_statements, run
from tests.conftest import error_code
from tests.db.test_db_pool import KILL, KILL_OTHERS, _kill
from tests.test_rewards_support import user_id
from tests.test_verify_autocommit import VERIFY, _reserve

pytestmark = pytest.mark.postgres

# A bind used twice, a literal of the statement's own, a JSONB bind and UTC datetimes both ways.
TYPED = select(
    bindparam("p_at", type_=UTCDateTime()).label("at"),
    (bindparam("p_n", type_=Integer) + bindparam("p_n", type_=Integer)).label("twice"),
    literal("常量", String).label("own"),
    bindparam("p_doc", type_=JSONB).label("doc"),
    literal_column("TIMESTAMP WITH TIME ZONE '2026-12-04 08:00:00+08'", UTCDateTime()).label(
        "stamp"
    ),
)
PARAMS = {
    "p_at": datetime(2026, 12, 4, 9, 30, tzinfo=timezone(timedelta(hours=8))),
    "p_n": 21,
    "p_doc": {"名字": "张三", "n": [1, 2]},
}


def _autocommit(app):
    with app.app_context():
        engine = db.engine
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def test_rows_equal_what_conn_execute_gives(app):
    with _autocommit(app) as conn:
        expected = conn.execute(TYPED, PARAMS).one()
        (row,) = DriverStatement(TYPED).rows(conn, PARAMS)
    assert row._mapping == dict(expected._mapping)
    assert tuple(row) == tuple(expected)
    assert row.at == datetime(2026, 12, 4, 1, 30, tzinfo=UTC) and row.at.tzinfo is UTC
    assert row.stamp == datetime(2026, 12, 4, 0, 0, tzinfo=UTC) and row.stamp.tzinfo is UTC
    assert (row.twice, row.own, row.doc) == (42, "常量", {"名字": "张三", "n": [1, 2]})


def test_a_naive_datetime_is_refused_as_conn_execute_refuses_it(app):
    naive = {**PARAMS, "p_at": datetime(2026, 12, 4, 9, 30)}
    with _autocommit(app) as conn, pytest.raises(ValueError, match="naive"):
        DriverStatement(TYPED).rows(conn, naive)


def test_text_with_typed_columns_and_no_rows(app):
    statement = DriverStatement(
        text("SELECT CAST(:p_n AS integer) AS n, :p_s AS s WHERE CAST(:p_n AS integer) > 0")
        .bindparams(bindparam("p_n", type_=Integer))
        .columns(column("n", Integer), column("s", String))
    )
    with _autocommit(app) as conn:
        assert statement.rows(conn, {"p_n": 0, "p_s": "x"}) == []
        assert [tuple(r) for r in statement.rows(conn, {"p_n": 5, "p_s": "x"})] == [(5, "x")]


def test_a_missing_bind_is_refused_before_anything_is_sent(app):
    sent = []
    with _autocommit(app) as conn:
        event.listen(conn, "before_cursor_execute", lambda *a: sent.append(a[2]))
        with pytest.raises(exc.InvalidRequestError, match="p_n"):
            DriverStatement(TYPED).rows(conn, {"p_at": PARAMS["p_at"], "p_doc": {}})
    assert sent == []


def test_listeners_hear_the_statement_as_from_conn_execute(app):
    heard = []
    with _autocommit(app) as conn:
        event.listen(conn, "before_cursor_execute", lambda c, cur, sql, p, *_: heard.append(p))
        DriverStatement(TYPED).rows(conn, PARAMS)
    assert len(heard) == 1 and heard[0]["p_n"] == 21 and "常量" in heard[0].values()


def test_database_errors_are_sqlalchemys_and_the_connection_stays_usable(app):
    cast = DriverStatement(select(literal_column("CAST('x' AS integer)", Integer).label("n")))
    with _autocommit(app) as conn:
        with pytest.raises(exc.DataError) as refused:
            cast.rows(conn, {})
        assert refused.value.orig.sqlstate == "22P02"
        assert not refused.value.connection_invalidated
        assert DriverStatement(TYPED).rows(conn, PARAMS)[0].twice == 42


def test_a_lost_connection_is_invalidated_and_the_next_checkout_reconnects(app):
    pid = DriverStatement(select(literal_column("pg_backend_pid()", Integer).label("pid")))
    with _autocommit(app) as conn:
        first = pid.rows(conn, {})[0].pid
        _kill(conn.engine.url, KILL, pid=first)
        with pytest.raises(exc.OperationalError) as lost:
            pid.rows(conn, {})
        assert lost.value.connection_invalidated and conn.invalidated
    with _autocommit(app) as conn:
        assert pid.rows(conn, {})[0].pid != first


def test_an_expanding_bind_cannot_be_prebuilt(app):
    expanding = select(literal(1).label("x")).where(literal(1).in_([1, 2]))
    with _autocommit(app) as conn, pytest.raises(ValueError, match="expanding"):
        DriverStatement(expanding).execute(conn, {})


def test_result_reads_like_sqlalchemys():
    assert DriverResult([]).first() is None and DriverResult([]).scalar() is None
    assert DriverResult([(7, 8)]).scalar() == 7
    with pytest.raises(exc.MultipleResultsFound):
        DriverResult([(1,), (2,)]).one_or_none()


def test_the_scan_reads_the_same_row_either_way(api, app, seeded, query):
    _offer, rid, _token = _reserve(api, app)
    staff_id = user_id(query, "merchant-1")
    params = {"p_id": rid, "p_staff_id": staff_id}
    driver = autocommit_statements()
    with _autocommit(app) as conn:
        core = run(conn, driver.scan_context.statement, params).one()
        row = run(conn, driver.scan_context, params).one_or_none()
    assert row._mapping == dict(core._mapping)
    assert row.is_staff and row.staff_active and row.status == "reserved"


def test_verify_answers_503_when_its_connection_is_lost_then_recovers(api, app, seeded):
    _offer, _rid, token = _reserve(api, app)
    api.headers("merchant-1")
    with app.app_context():
        _kill(db.engine.url, KILL_OTHERS)  # every pooled connection of the app
    resp = api.post(VERIFY, "merchant-1", json={"token": token})
    assert resp.status_code == 503 and error_code(resp) == "database_unavailable"
    assert api.post(VERIFY, "merchant-1", json={"token": token}).status_code == 200

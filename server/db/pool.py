"""Check pooled PostgreSQL connections before use only when they sat idle.

`pool_pre_ping` pings on every checkout: a round trip on every request, although a
connection returned a few milliseconds ago is alive in all but the rarest case. Here a
connection is pinged only when it has been idle longer than DB_IDLE_PING_SECONDS (the
case after a quiet night, a failover or a database restart); a dead one is replaced before
the request sees it (SQLAlchemy's checkout recipe: raising DisconnectionError makes the pool
retry with a fresh connection). A connection that died within that window fails its request
once: SQLAlchemy then invalidates the whole pool, and the error handler answers 503
`database_unavailable` so the client retries, instead of a 500.
"""

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

_RETURNED_AT = "returned_at"


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # just connected, or in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error
            raise

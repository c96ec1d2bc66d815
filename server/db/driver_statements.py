"""Prebuilt statements run on the DBAPI connection itself, for the busiest autocommit writes.

`conn.execute(statement)` costs SQLAlchemy a few hundred microseconds of CPU on every call (the
statement's cache key, an execution context, result metadata, row processing): more than
PostgreSQL spends running verification's scan. A DriverStatement compiles its statement once per
dialect; each call applies the bind types' processors, sends the SQL through the DBAPI
connection beneath `conn` and applies the result types' processors, so what reaches the database
and what comes back are what `conn.execute` would send and give (tests/test_driver_statements.py
compares the two). `before_cursor_execute` listeners hear of it as from `conn.execute`.

Errors go through the Connection's own handling, as from `conn.execute`: they come back as
SQLAlchemy's DBAPIError subclasses, and a lost connection invalidates the pool and says so,
which the error handler answers with 503 database_unavailable (server/db/pool.py).

Only for statements run outside SQLAlchemy's transaction bookkeeping: on an AUTOCOMMIT
connection (each statement its own transaction), where nothing the Connection tracks can go
stale.
"""

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    compiled: Any  # the SQLCompiler: construct_params fills in the statement's own values
    binds: tuple[tuple[str, Callable], ...]  # (rendered name, processor) where one applies
    row: type  # a namedtuple of the result columns, in order
    results: tuple[tuple[int, Callable], ...]  # (position, processor) where one applies


class DriverResult:
    """The rows of one DriverStatement call, read like the few Result methods callers use."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list):
        self._rows = rows

    def first(self):
        return self._rows[0] if self._rows else None

    def one_or_none(self):
        if len(self._rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def scalar(self):
        row = self.first()
        return None if row is None else row[0]


class DriverStatement:
    """A Core statement (or text() with typed columns), compiled once per dialect."""

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _compile(self.statement, dialect)
        return found

    def execute(self, conn: Connection, params: dict) -> DriverResult:
        """Run it, for its rows read like a Result (first, one_or_none, scalar)."""
        return DriverResult(self.rows(conn, params))

    def rows(self, conn: Connection, params: dict) -> list:
        """Every result row, as namedtuples (an empty list for a statement without rows)."""
        dialect = conn.dialect
        c = self._compiled(dialect)
        values = c.compiled.construct_params(params)
        for name, process in c.binds:
            values[name] = process(values[name])
        cursor = conn.connection.driver_connection.cursor()
        listeners = conn.dispatch.before_cursor_execute
        if listeners:  # as conn.execute would: statement counters, tracing
            listeners(conn, cursor, c.sql, values, None, False)
        try:
            cursor.execute(c.sql, values)
            fetched = cursor.fetchall() if cursor.description is not None else []
        except dialect.loaded_dbapi.Error as error:
            # conn.execute's own handling: wrap, and on a lost connection invalidate the pool.
            conn._handle_dbapi_exception(error, c.sql, values, cursor, None)
            raise  # not reached: the line above raises the wrapped error
        finally:
            cursor.close()
        if not c.results:
            return [c.row._make(raw) for raw in fetched]
        out = []
        for raw in fetched:
            row = list(raw)
            for position, process in c.results:
                row[position] = process(row[position])
            out.append(c.row._make(row))
        return out


def _compile(statement, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:
        raise ValueError("expanding or literal-execute binds cannot be prebuilt")
    binds = {}  # by name: a bind used twice in the SQL is one value, processed once
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds[name] = process
    columns = list(statement.selected_columns)
    results = []
    for position, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            results.append((position, process))
    names = list(statement.selected_columns.keys())
    return _Compiled(
        sql=compiled.string,
        compiled=compiled,
        binds=tuple(binds.items()),
        row=_row_type(names),
        results=tuple(results),
    )


def _row_type(names: list[str]) -> type:
    """A namedtuple that also answers `_mapping`, as SQLAlchemy's Row does."""
    base = namedtuple("Row", names)
    return type("Row", (base,), {"__slots__": (), "_mapping": property(base._asdict)})

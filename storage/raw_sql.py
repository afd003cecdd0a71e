"""Statements run on the DB-API cursor, for paths where SQLAlchemy's work per execution
costs more CPU than the database spends on the statement.

A customer's message runs about ten small statements; through ``Connection.execute``
each cost about 80 µs of Python (execution context, result set-up, parameter
processing) against 20 µs on the driver's cursor. A :class:`RawStatement` is a Core
statement compiled once per dialect and run on the cursor of the caller's connection
(inside its transaction), with what SQLAlchemy would do kept:

* parameters are bound by the column types, as SQLAlchemy binds them (JSON as text,
  UTC datetimes naive on SQLite), literal values of the statement included;
* rows of a ``select`` are decoded by the column types (JSON parsed, datetimes aware
  UTC); ``RETURNING`` values come as the driver gives them (ids);
* a driver error is raised as SQLAlchemy raises it (``IntegrityError``,
  ``OperationalError``... with the driver's error as ``orig`` and no parameters in its
  message), so a unit of work tells a concurrent write the same way; a dropped
  connection is invalidated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

_Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    compiled: SQLCompiler
    sql: str
    #: bind names in the order of the statement's markers (qmark dialects), else None
    positional: tuple[str, ...] | None
    #: (bind name, its type's bind processor) for the binds that have one
    binds: tuple[tuple[str, _Processor], ...]
    #: a select's result processor per column (None: the value as the driver gives it)
    columns: tuple[_Processor | None, ...]


class RawStatement:
    """A Core ``statement`` (with named ``bindparam`` parameters) run on the DB-API cursor
    of a connection; compiled once per dialect."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
            escaped = compiled.escaped_bind_names
            binds = tuple(
                (escaped.get(name, name), processor)
                for bind, name in compiled.bind_names.items()
                if (processor := bind.type._cached_bind_processor(dialect)) is not None)
            columns: tuple[_Processor | None, ...] = ()
            if isinstance(self.statement, Select):
                columns = tuple(c.type._cached_result_processor(dialect, None)
                                for c in self.statement.selected_columns)
            positional = tuple(compiled.positiontup or ()) if compiled.positional else None
            # a race between threads compiles twice, harmlessly
            found = self._compiled[dialect.name] = _Compiled(
                compiled, compiled.string, positional, binds, columns)
        return found

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        """The cursor, executed (the caller closes it)."""
        dialect = conn.dialect
        c = self._for(dialect)
        values = c.compiled.construct_params(params)
        for name, processor in c.binds:
            value = values[name]
            if value is not None:
                values[name] = processor(value)
        args: Any = values if c.positional is None else [values[n] for n in c.positional]
        dbapi_conn = conn.connection.dbapi_connection
        assert dbapi_conn is not None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(c.sql, args)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            invalidated = dialect.is_disconnect(exc, dbapi_conn, cursor)
            if invalidated:
                conn.invalidate(exc)
            raise cast(Exception, DBAPIError.instance(
                c.sql, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True,
                connection_invalidated=invalidated, dialect=dialect)) from exc
        except BaseException:
            cursor.close()
            raise
        return cursor, c

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute; the rows it changed (the driver's rowcount)."""
        cursor, _ = self._execute(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        """Execute; every row (a select's decoded by the column types)."""
        cursor, c = self._execute(conn, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if any(c.columns):
            return [_decoded(row, c.columns) for row in rows]
        return list(rows)

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Sequence[Any] | None:
        """Execute; the first row, or None."""
        rows = self.all(conn, params)
        return rows[0] if rows else None


def _decoded(row: Sequence[Any], processors: Sequence[_Processor | None]) -> tuple[Any, ...]:
    return tuple(value if f is None or value is None else f(value)
                 for value, f in zip(row, processors, strict=True))

"""Hot statements compiled once per dialect and run on the driver's cursor.

Executing a Core statement costs SQLAlchemy about 0.2 ms of Python on top of the
database's own work (cache lookup, execution context, parameter and result processing
objects), which on SQLite is more than the statement itself: a checkout and a submit
send a dozen statements. A `Prepared` statement keeps what SQLAlchemy computes once (the
SQL text, the parameter order, the types' bind and result processors) and runs each
execution on the DBAPI cursor with just those functions. Values go in and come out
exactly as through Core, because the same type processors convert them; engine events
(the statement counters of `/metrics`) are told of every execution.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    constants: Mapping[str, Any]
    binds: tuple[Processor, ...]
    row: Any
    # (column index, processor) of the result columns that need converting
    converting: tuple[tuple[int, Callable[[Any], Any]], ...]


class Prepared:
    """One statement; `run` executes it with a mapping of bound parameters.

    Every bound parameter must be given (Python-side column defaults are not applied),
    except literal values written into the statement itself."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        return plan

    def run(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Execute; returns the rows (attribute access by column key) of a SELECT or a
        RETURNING, else an empty list."""
        plan = self._plan(connection.dialect)
        constants = plan.constants
        # Plain loops: this runs a dozen times per engine verb, and generator expressions
        # with a helper call per value were a tenth of the writer thread's time.
        values = []
        for name, convert in zip(plan.names, plan.binds, strict=True):
            value = params[name] if name in params else constants[name]
            values.append(value if convert is None else convert(value))
        cursor = connection.connection.cursor()
        try:
            for listen in connection.dispatch.before_cursor_execute:
                listen(connection, cursor, plan.sql, values, None, False)
            try:
                cursor.execute(plan.sql, values)
            except connection.dialect.loaded_dbapi.Error as error:
                raise _wrapped(connection, cursor, plan.sql, values, error) from error
            if plan.row is None:
                return []
            make, results = plan.row._make, plan.converting
            rows = []
            for raw in cursor.fetchall():
                converted = list(raw)
                for index, convert in results:
                    converted[index] = convert(converted[index])
                rows.append(make(converted))
            return rows
        finally:
            cursor.close()

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        rows = self.run(connection, params)
        return rows[0] if rows else None


def _wrapped(
    connection: Connection, cursor: Any, sql: str, values: list[Any], error: Exception
) -> DBAPIError:
    """The driver's error as Core reports it, so that callers classify one kind of error;
    a lost connection is invalidated (and the pool's older connections with it), as Core
    does, so that the next checkout gets a live one."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(cast(Any, error), connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    wrapped = DBAPIError.instance(
        sql, values, error, dialect.loaded_dbapi.Error, connection_invalidated=lost
    )
    return cast(DBAPIError, wrapped)


def _row_type(keys: Sequence[str]) -> Any:
    """A tuple class with the statement's column keys as attributes (and `_asdict`)."""
    make: Any = namedtuple
    return make("PreparedRow", keys)


def _compile(statement: ClauseElement, dialect: Dialect) -> _Plan:
    compiled: Any = statement.compile(dialect=dialect)
    names: Sequence[str] = compiled.positiontup or ()
    processors = compiled._bind_processors
    constants = {
        name: bind.value
        for name, bind in ((name, compiled.binds[name]) for name in names)
        if bind.value is not None or not bind.required
    }
    row_type: Any = None
    converting: list[tuple[int, Callable[[Any], Any]]] = []
    if compiled._result_columns:
        keys = [column[0] for column in compiled._result_columns]
        row_type = _row_type(keys)
        for index, column in enumerate(compiled._result_columns):
            convert = column[3]._cached_result_processor(dialect, None)
            if convert is not None:
                converting.append((index, convert))
    return _Plan(
        compiled.string,
        tuple(names),
        constants,
        tuple(processors.get(name) for name in names),
        row_type,
        tuple(converting),
    )


class PreparedInsert:
    """A multi-row INSERT of a table's columns, one `Prepared` statement per row count (up
    to `max_rows` per statement): one round trip for the rows of one change."""

    def __init__(
        self, table: Table, columns: Sequence[str], returning: str | None = None, max_rows: int = 16
    ) -> None:
        self.table, self.columns, self.returning = table, tuple(columns), returning
        self.max_rows = max_rows
        self._by_count: dict[int, Prepared] = {}

    def _statement(self, count: int) -> Prepared:
        prepared = self._by_count.get(count)
        if prepared is None:
            rows = [
                {c: bindparam(f"{c}_{n}", type_=self.table.c[c].type) for c in self.columns}
                for n in range(count)
            ]
            statement: Any = insert(self.table).values(rows)
            if self.returning is not None:
                statement = statement.returning(self.table.c[self.returning])
            prepared = self._by_count[count] = Prepared(statement)
        return prepared

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Insert `rows`; with `returning` (SQLite only), the returned keys in the order of
        the rows: SQLite inserts the VALUES one after the other, so its INTEGER PRIMARY KEY
        grows in that order (RETURNING's own order is not promised, hence the sort).
        PostgreSQL promises neither, so callers insert one row at a time there."""
        if self.returning is not None and connection.dialect.name != "sqlite":
            raise ValueError("ordered keys from a multi-row INSERT: SQLite only")
        returned: list[Any] = []
        for start in range(0, len(rows), self.max_rows):
            chunk = rows[start : start + self.max_rows]
            params = {f"{c}_{n}": row[c] for n, row in enumerate(chunk) for c in self.columns}
            found = self._statement(len(chunk)).run(connection, params)
            if self.returning is not None:
                returned.extend(sorted(getattr(r, self.returning) for r in found))
        return returned

"""Many rows into one table in as few statements as the dialect allows.

On SQLite an `executemany` steps the statement once per row, and `sqlite3` lets go of the
GIL around every step. The writer thread then waits to take it back after each row, for up
to the interpreter's switch interval (5 ms) whenever the event loop's thread is busy: under
load a batch of 1,000 telemetry rows took over a second for 20 ms of work. One multi-row
`INSERT … VALUES (…), (…)` steps once. Elsewhere (asyncpg) `executemany` is already one
pipelined round trip and stays.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, insert

# SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32; a build may set it lower, and the
# connection's own limit is asked when the driver can tell it.
SQLITE_MAX_PARAMETERS = 32_766


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` (dicts keyed by column key, every row with the same keys) into `table`.

    Values pass through each column type's bind processing, as they would through Core."""
    if not rows:
        return
    first = rows[0].keys()
    for row in rows:
        if row.keys() != first:
            raise ValueError(f"every row needs the keys {tuple(first)}; got {tuple(row)}")
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), list(rows))
        return
    keys = tuple(first)
    columns = [table.c[key] for key in keys]
    processors = [column.type._cached_bind_processor(connection.dialect) for column in columns]
    per_statement = max(1, _parameter_limit(connection) // len(keys))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values: list[Any] = []
        for row in chunk:
            for key, process in zip(keys, processors, strict=True):
                value = row[key]
                values.append(value if process is None else process(value))
        connection.exec_driver_sql(_values_sql(connection, table, keys, len(chunk)), tuple(values))


def _parameter_limit(connection: Connection) -> int:
    driver = connection.connection.driver_connection
    getlimit = getattr(driver, "getlimit", None)  # sqlite3 on Python 3.11+
    if getlimit is None:
        return SQLITE_MAX_PARAMETERS
    return min(SQLITE_MAX_PARAMETERS, int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)))


@lru_cache(maxsize=64)
def _statement_head(connection_dialect: Any, table: Table, keys: tuple[str, ...]) -> str:
    quote = connection_dialect.identifier_preparer
    names = ", ".join(quote.format_column(table.c[key]) for key in keys)
    return f"INSERT INTO {quote.format_table(table)} ({names}) VALUES "


def _values_sql(connection: Connection, table: Table, keys: tuple[str, ...], count: int) -> str:
    head = _statement_head(connection.dialect, table, keys)
    row = "(" + ",".join("?" * len(keys)) + ")"
    return head + ",".join([row] * count)

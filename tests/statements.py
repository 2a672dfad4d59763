"""Counting the SQL statements the app sends: how tests hold reads to a bounded number."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from starlette.applications import Starlette


@contextmanager
def count_statements(app: Starlette) -> Iterator[list[str]]:
    """Every SQL statement the app's engines send while the block runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engines = [
        app.state.tiers.template.engine.sync_engine,
        app.state.tiers.instance.engine.sync_engine,
    ]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)

"""Counting the SQL statements the app sends: how tests hold reads to a bounded number."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from starlette.applications import Starlette

from tests.client import GraphQLClient


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


async def statements_by_role_page(
    app: Starlette, client: GraphQLClient, document: str, instance_id: str, sizes: Iterable[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Runs `document` (an instance's workflows, their roles, a page of `$n` of each role's
    units of work, and whatever it nests below) once for each page size `n`: the
    statements each run sent, and the largest role page it answered, by `n`."""
    statements: dict[int, int] = {}
    largest: dict[int, int] = {}
    for n in sizes:
        with count_statements(app) as seen:
            data = await client.data(document, {"id": instance_id, "n": n})
        statements[n] = len(seen)
        largest[n] = max(
            len(role["uows"]["edges"])
            for workflow in data["instance"]["workflows"]
            for role in workflow["roles"]
        )
    return statements, largest

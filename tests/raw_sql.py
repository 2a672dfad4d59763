"""Plain client connections that bypass the app's engines (no pragmas, no ORM)."""

from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from tests.databases import TierUrls


class RawConnection:
    """Runs SQL on one tier as an arbitrary client would; errors propagate."""

    def __init__(self, urls: TierUrls, tier: str = "instance") -> None:
        self.url = urls.instance if tier == "instance" else urls.template
        self.dialect = urls.dialect
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None

    async def __aenter__(self) -> RawConnection:
        parsed = make_url(self.url)
        if self.dialect == "sqlite":
            self._sqlite = sqlite3.connect(parsed.database or "", isolation_level=None)
        else:
            dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            self._pg = await asyncpg.connect(dsn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            await self._pg.close()

    async def execute(self, sql: str) -> None:
        if self._sqlite is not None:
            self._sqlite.execute(sql)
        else:
            assert self._pg is not None
            await self._pg.execute(sql)

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        if self._sqlite is not None:
            return list(self._sqlite.execute(sql).fetchall())
        assert self._pg is not None
        return [tuple(row) for row in await self._pg.fetch(sql)]

    @property
    def refusal(self) -> tuple[type[Exception], ...]:
        """The exceptions a refused statement raises on this dialect."""
        if self.dialect == "sqlite":
            return (sqlite3.IntegrityError, sqlite3.OperationalError)
        return (asyncpg.PostgresError,)

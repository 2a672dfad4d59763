"""The instance each unit of work belongs to, read for many subscriptions at once.

Thousands of clients subscribing to their own units at the same time each need to know
their unit's instance. Read one by one, that was a read connection, a statement and a
rollback per subscription (about 1 ms of the server's time each); here the units asked for
while one statement runs are read together by the next one, so the number of statements
follows the database's speed, not the number of subscribers.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from storage.engines import Tier
from storage.models import UnitOfWorkRow

MAX_BATCH = 500  # ids in one statement's IN list


class UnitOwners:
    """One per server process and instance tier (the WebSocket transport keeps it)."""

    def __init__(self, tier: Tier) -> None:
        self.tier = tier
        self._asked: dict[uuid.UUID, asyncio.Future[uuid.UUID | None]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def owner(self, uow_id: uuid.UUID) -> uuid.UUID | None:
        """The unit's instance, or None for an unknown unit."""
        future = self._asked.get(uow_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._asked[uow_id] = future
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(), name="unit-owners")
        # A subscriber that gives up must not cancel the answer the others wait for.
        return await asyncio.shield(future)

    async def _read(self) -> None:
        try:
            while self._asked:
                await asyncio.sleep(0)  # the subscriptions of this turn ask too
                batch = dict(list(self._asked.items())[:MAX_BATCH])
                for key in batch:
                    del self._asked[key]
                await self._answer(batch)
        finally:
            self._reader = None

    async def _answer(self, batch: dict[uuid.UUID, asyncio.Future[uuid.UUID | None]]) -> None:
        statement = select(UnitOfWorkRow.uow_id, UnitOfWorkRow.instance_id).where(
            UnitOfWorkRow.uow_id.in_(list(batch))
        )
        try:
            async with self.tier.engine.connect() as connection:
                rows = (await connection.execute(statement)).all()
            owners: dict[uuid.UUID, uuid.UUID] = {row.uow_id: row.instance_id for row in rows}
        except Exception as error:  # each waiting subscription fails with it, as it would alone
            for future in batch.values():
                if not future.done():
                    future.set_exception(error)
            return
        for key, future in batch.items():
            if not future.done():
                future.set_result(owners.get(key))

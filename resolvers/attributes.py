"""Current attributes of many units of work in one statement (latest version of each key)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from strawberry.dataloader import DataLoader

from resolvers.context import RequestContext
from storage.models import UowAttributeRow


def current_attributes(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Any]]:
    """Per UOW, the newest row of each key, ordered by key."""
    table = UowAttributeRow.__table__

    async def load(uow_ids: list[uuid.UUID]) -> list[list[Any]]:
        newest = func.row_number().over(
            partition_by=(table.c.uow_id, table.c.key), order_by=table.c.version.desc()
        )
        ranked = (
            select(table, newest.label("_newest")).where(table.c.uow_id.in_(uow_ids)).subquery()
        )
        statement = select(ranked).where(ranked.c._newest == 1).order_by(ranked.c.key)
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await ctx.reader("instance").execute(statement):
            grouped[row.uow_id].append(row)
        return [grouped.get(uow_id, []) for uow_id in uow_ids]

    return ctx.loader(("current_attributes",), load)

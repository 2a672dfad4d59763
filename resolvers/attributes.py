"""Current attributes of many units of work in one statement (latest version of each key)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from strawberry.dataloader import DataLoader

from resolvers.context import RequestContext
from storage.runtime.attributes import newest_versions


def current_attributes(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Any]]:
    """Per UOW, the newest row of each key, ordered by key."""

    async def load(uow_ids: list[uuid.UUID]) -> list[list[Any]]:
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await ctx.reader("instance").execute(newest_versions(uow_ids)):
            grouped[row.uow_id].append(row)
        return [grouped.get(uow_id, []) for uow_id in uow_ids]

    return ctx.loader(("current_attributes",), load)

"""`Instance.stats`: the counts of many instances read by one loader, in one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from strawberry.dataloader import DataLoader

from resolvers.context import RequestContext
from storage.enums import UowStatus
from storage.runtime.stats import BY_STATUS, instance_stats
from storage.types import utcnow


@dataclass(slots=True)
class InstanceCounts:
    """What `InstanceStats` shows of one instance."""

    by_status: list[tuple[UowStatus, int]] = field(default_factory=list)
    by_interaction: list[Any] = field(default_factory=list)
    oldest_waiting_since: datetime | None = None
    read_at: datetime = field(default_factory=utcnow)

    @property
    def total(self) -> int:
        return sum(count for _, count in self.by_status)


def stats_of(ctx: RequestContext) -> DataLoader[uuid.UUID, InstanceCounts]:
    async def load(instance_ids: list[uuid.UUID]) -> list[InstanceCounts]:
        counts: dict[uuid.UUID, InstanceCounts] = defaultdict(InstanceCounts)
        rows = await ctx.reader("instance").execute(instance_stats(instance_ids))
        for row in rows:
            entry = counts[row.instance_id]
            if row.kind == BY_STATUS:
                entry.by_status.append((row.status, row.units))
                if row.status == UowStatus.PENDING:
                    entry.oldest_waiting_since = row.oldest
            else:
                entry.by_interaction.append(row)
        for entry in counts.values():
            entry.by_status.sort(key=lambda pair: pair[0].value)
            entry.by_interaction.sort(key=lambda row: (row.name, str(row.interaction_id)))
        return [counts[key] if key in counts else InstanceCounts() for key in instance_ids]

    return ctx.loader(("instance_stats",), load)

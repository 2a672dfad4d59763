"""What a dashboard shows of an instance: its units of work counted by status and place."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.loaders import by_id
from resolvers.stats import InstanceCounts
from schema.base import Info, Row
from schema.describe import field
from schema.enums import UowStatus
from schema.lazy import InteractionT
from storage import models


@strawberry.type(description="How many of an instance's units of work are in one status.")
class StatusCount:
    status: UowStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Units of work in it.")


@strawberry.type(description="How many of an instance's units of work are in one interaction.")
class InteractionCount:
    @field("The interaction's id.")
    def interaction_id(self, root: Row) -> strawberry.ID:
        return strawberry.ID(str(root.interaction_id))

    @field("The interaction's name.")
    def name(self, root: Row) -> str:
        name: str = root.name
        return name

    @field("Units of work now in the interaction, in any status.")
    def count(self, root: Row) -> int:
        return int(root.units)

    @field("Of them, those waiting to be checked out (PENDING).")
    def waiting(self, root: Row) -> int:
        return int(root.waiting or 0)

    @field("The interaction itself.")
    async def interaction(self, root: Row, info: Info) -> InteractionT:
        return await by_id(info.context, models.LocalInteractionRow).load(root.interaction_id)


@strawberry.type(
    description="An instance's units of work counted by status and by interaction, read in "
    "one statement."
)
class InstanceStats:
    @field("Units of work in the instance.")
    def total(self, root: strawberry.Parent[InstanceCounts]) -> int:
        return root.total

    @field("Counts per status (only statuses some unit is in), by status name.")
    def by_status(self, root: strawberry.Parent[InstanceCounts]) -> list[StatusCount]:
        return [StatusCount(status=status, count=count) for status, count in root.by_status]

    @field("Counts per interaction (only interactions holding a unit), by name.")
    def by_interaction(self, root: strawberry.Parent[InstanceCounts]) -> list[InteractionCount]:
        return list(root.by_interaction)

    @field(
        "When the longest-waiting PENDING unit of work was last changed (`updatedAt`): null "
        "when none is PENDING."
    )
    def oldest_waiting_since(self, root: strawberry.Parent[InstanceCounts]) -> datetime | None:
        return root.oldest_waiting_since

    @field("Seconds since `oldestWaitingSince`, as the server read it (null: nothing waits).")
    def oldest_waiting_seconds(self, root: strawberry.Parent[InstanceCounts]) -> float | None:
        if root.oldest_waiting_since is None:
            return None
        return max(0.0, (root.read_at - root.oldest_waiting_since).total_seconds())

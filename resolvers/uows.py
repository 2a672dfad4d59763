"""Relationships of a unit of work and its records: attributes, history, interaction log
(the types in `schema.uows` name these as their resolvers)."""

from __future__ import annotations

from typing import Any

from resolvers.attributes import current_attributes
from resolvers.relations import LOCAL, Info, Parent, one
from storage.models import ActorRow, LocalInteractionRow, LocalRoleRow, UnitOfWorkRow

uow = one(UnitOfWorkRow, "uow_id")
parent = one(UnitOfWorkRow, "parent_id")
workflow = LOCAL.workflow
interaction = LOCAL.component_interaction  # any row's `interaction_id`
current_interaction = one(LocalInteractionRow, "current_interaction_id")
current_role = one(LocalRoleRow, "current_role_id")
locked_by = one(ActorRow, "locked_by_actor_id")
previous_interaction = one(LocalInteractionRow, "previous_interaction_id")
new_interaction = one(LocalInteractionRow, "new_interaction_id")


async def attributes(root: Parent, info: Info) -> Any:
    """The current attributes: the newest version of each key."""
    return await current_attributes(info.context).load(root.uow_id)


def dropped(root: Parent) -> int:
    """A subscription's count of transitions lost to overflow; rows carry none (0)."""
    count: int = getattr(root, "dropped", 0)
    return count

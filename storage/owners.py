"""The instance that owns a row, found from the id naming it, one query per kind of id.

Keyed by the input field that names that kind of row (`uowId`, `roleId`...). A row's owner
never changes (rows are never re-parented), so callers remember what these find
(`storage.telemetry.known_ids.KnownIds`). Roles and interactions belong to a local workflow,
assignments to an actor; the rest carry their instance's id themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    ActorRow,
    AssignmentRow,
    InstanceRow,
    LocalInteractionRow,
    LocalRoleRow,
    LocalWorkflowRow,
    UnitOfWorkRow,
)

OwnerQuery = Callable[[uuid.UUID], Select[uuid.UUID]]


def _owner(
    instance_id: InstrumentedAttribute[uuid.UUID],
    key: InstrumentedAttribute[uuid.UUID],
    join: tuple[type[Any], ColumnElement[bool]] | None = None,
) -> OwnerQuery:
    """`instance_id` of the row whose `key` is the id (reached through `join`, if given)."""

    def query(value: uuid.UUID) -> Select[uuid.UUID]:
        statement = select(instance_id)
        if join is not None:
            statement = statement.join(*join)
        return statement.where(key == value)

    return query


def _in_workflow(model: Any, key: InstrumentedAttribute[uuid.UUID]) -> OwnerQuery:
    on = model.local_workflow_id == LocalWorkflowRow.local_workflow_id
    return _owner(LocalWorkflowRow.instance_id, key, (model, on))


OWNER_QUERIES: Mapping[str, OwnerQuery] = {
    "instanceId": _owner(InstanceRow.instance_id, InstanceRow.instance_id),
    "workflowId": _owner(LocalWorkflowRow.instance_id, LocalWorkflowRow.local_workflow_id),
    "uowId": _owner(UnitOfWorkRow.instance_id, UnitOfWorkRow.uow_id),
    "actorId": _owner(ActorRow.instance_id, ActorRow.actor_id),
    "roleId": _in_workflow(LocalRoleRow, LocalRoleRow.role_id),
    "interactionId": _in_workflow(LocalInteractionRow, LocalInteractionRow.interaction_id),
    "assignmentId": _owner(
        ActorRow.instance_id,
        AssignmentRow.assignment_id,
        (AssignmentRow, AssignmentRow.actor_id == ActorRow.actor_id),
    ),
}

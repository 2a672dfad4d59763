"""Mutation payloads: the result (read back through the loaders, so it is the committed state)
and the expected failures as `errors`."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from resolvers.loaders import by_id
from schema.actors import Actor, RoleAssignment, RoleMemory
from schema.base import Info
from schema.errors import UserError
from schema.instances import Instance
from schema.templates import TemplateWorkflow
from schema.uows import UnitOfWork, UowHistoryEntry
from storage.models import (
    ActorRow,
    AssignmentRow,
    InstanceRow,
    RoleMemoryRow,
    TemplateWorkflowRow,
    UnitOfWorkRow,
)

Id = strawberry.Private[uuid.UUID | None]


async def _load(info: Info, model: Any, key: uuid.UUID | None) -> Any:
    return None if key is None else await by_id(info.context, model).load(key)


@strawberry.type
class TemplatePayload:
    template_id: Id = None
    errors: list[UserError]

    @strawberry.field
    async def template(self, info: Info) -> TemplateWorkflow | None:
        return await _load(info, TemplateWorkflowRow, self.template_id)


@strawberry.type
class InstancePayload:
    instance_id: Id = None
    errors: list[UserError]

    @strawberry.field
    async def instance(self, info: Info) -> Instance | None:
        return await _load(info, InstanceRow, self.instance_id)


@strawberry.type
class ActorPayload:
    actor_id: Id = None
    errors: list[UserError]

    @strawberry.field
    async def actor(self, info: Info) -> Actor | None:
        return await _load(info, ActorRow, self.actor_id)


@strawberry.type
class AssignmentPayload:
    assignment_id: Id = None
    errors: list[UserError]

    @strawberry.field
    async def assignment(self, info: Info) -> RoleAssignment | None:
        return await _load(info, AssignmentRow, self.assignment_id)


@strawberry.type
class RoleMemoryPayload:
    memory_id: Id = None
    errors: list[UserError]

    @strawberry.field
    async def memory(self, info: Info) -> RoleMemory | None:
        return await _load(info, RoleMemoryRow, self.memory_id)


@strawberry.type
class UowPayload:
    uow_id: Id = None
    errors: list[UserError]

    @strawberry.field
    async def uow(self, info: Info) -> UnitOfWork | None:
        return await _load(info, UnitOfWorkRow, self.uow_id)


@strawberry.type
class TransitionUowPayload:
    """The rows the change wrote come straight from the service (they are what was
    committed), which saves reading them back on the hottest write path."""

    written: strawberry.Private[Any] = None
    errors: list[UserError]

    @strawberry.field
    def uow(self) -> UnitOfWork | None:
        return None if self.written is None else self.written.uow

    @strawberry.field(description="The history entry the change appended.")
    def history_entry(self) -> UowHistoryEntry | None:
        return None if self.written is None else self.written.history


@strawberry.type(description="One answer per item of transitionUows, in the items' order.")
class TransitionUowsPayload:
    results: list[TransitionUowPayload]
    errors: list[UserError] = strawberry.field(
        description="Problems with the request as a whole (each item has its own errors)."
    )


@strawberry.type
class DecomposePayload:
    parent_id: Id = None
    child_ids: strawberry.Private[list[uuid.UUID]]
    errors: list[UserError]

    @strawberry.field
    async def parent(self, info: Info) -> UnitOfWork | None:
        return await _load(info, UnitOfWorkRow, self.parent_id)

    @strawberry.field
    async def children(self, info: Info) -> list[UnitOfWork]:
        return await by_id(info.context, UnitOfWorkRow).load_many(self.child_ids)


@strawberry.type
class VerifyUowStatePayload(UowPayload):
    intact: bool | None = None


@strawberry.type
class RecordTelemetryPayload:
    accepted: bool
    errors: list[UserError]

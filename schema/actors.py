"""Actors of an instance, their role assignments and role memory."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers.loaders import by_id, list_by
from schema.base import Info, Row, id_field
from schema.describe import described_by, field
from schema.enums import ActorType, AssignmentStatus, MemoryScope, UowStatus
from schema.node import Node
from storage.models import (
    ActorRow,
    AssignmentRow,
    InstanceRow,
    LocalRoleRow,
    RoleMemoryRow,
    UnitOfWorkRow,
)

if TYPE_CHECKING:
    from schema.instances import Instance, LocalRole
    from schema.uows import UnitOfWork

InstanceT = Annotated["Instance", strawberry.lazy("schema.instances")]
RoleT = Annotated["LocalRole", strawberry.lazy("schema.instances")]
UowT = Annotated["UnitOfWork", strawberry.lazy("schema.uows")]


@described_by(ActorRow)
@strawberry.type(description="A person, AI agent or system acting within an instance.")
class Actor(Node):
    id: strawberry.ID = id_field("actor_id")
    identity_key: str
    name: str
    description: str | None
    ai_context: JSON | None
    type: ActorType
    capabilities: JSON | None

    @strawberry.field
    async def instance(self, root: Row, info: Info) -> InstanceT:
        return await by_id(info.context, InstanceRow).load(root.instance_id)

    @field("The actor's role assignments (revoked ones included).")
    async def assignments(self, root: Row, info: Info) -> list[RoleAssignment]:
        loader = list_by(info.context, AssignmentRow, "actor_id", order_by=("status",))
        return await loader.load(root.actor_id)

    @field("Roles the actor is actively assigned to.")
    async def roles(self, root: Row, info: Info) -> list[RoleT]:
        loader = list_by(info.context, AssignmentRow, "actor_id", order_by=("status",))
        assignments = await loader.load(root.actor_id)
        active = [a.role_id for a in assignments if a.status.value == "ACTIVE"]
        return await by_id(info.context, LocalRoleRow).load_many(active)

    @field("The units of work this actor holds (ACTIVE), oldest first.")
    async def work(self, root: Row, info: Info) -> list[UowT]:
        loader = list_by(
            info.context, UnitOfWorkRow, "locked_by_actor_id", order_by=("updated_at", "uow_id")
        )
        held = await loader.load(root.actor_id)
        return [uow for uow in held if uow.status == UowStatus.ACTIVE]


@described_by(AssignmentRow)
@strawberry.type(description="An actor's permission to act in a role; revoked ones are kept.")
class RoleAssignment(Node):
    id: strawberry.ID = id_field("assignment_id")
    status: AssignmentStatus

    @strawberry.field
    async def actor(self, root: Row, info: Info) -> Actor:
        return await by_id(info.context, ActorRow).load(root.actor_id)

    @strawberry.field
    async def role(self, root: Row, info: Info) -> RoleT:
        return await by_id(info.context, LocalRoleRow).load(root.role_id)


@described_by(RoleMemoryRow)
@strawberry.type(description="One remembered value of a role: global blueprint or personal.")
class RoleMemory(Node):
    id: strawberry.ID = id_field("memory_id")
    key: str
    value: JSON | None
    is_toxic: bool
    created_at: datetime
    last_accessed_at: datetime | None

    @field("GLOBAL for the role's blueprint, PERSONAL for an actor's playbook.")
    def scope(self, root: Row) -> MemoryScope:
        return MemoryScope.GLOBAL if root.actor_id is None else MemoryScope.PERSONAL

    @strawberry.field
    async def role(self, root: Row, info: Info) -> RoleT:
        return await by_id(info.context, LocalRoleRow).load(root.role_id)

    @strawberry.field
    async def actor(self, root: Row, info: Info) -> Actor | None:
        if root.actor_id is None:
            return None
        return await by_id(info.context, ActorRow).load(root.actor_id)

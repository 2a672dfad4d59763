"""Actors of an instance, their role assignments and role memory."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from resolvers import instances
from schema.base import id_field
from schema.describe import described_by
from schema.enums import ActorType, AssignmentStatus, MemoryScope
from schema.lazy import InstanceT, RoleT, UowT
from schema.node import Node
from storage import models


@described_by(models.ActorRow)
@strawberry.type(description="A person, AI agent or system acting within an instance.")
class Actor(Node):
    id: strawberry.ID = id_field("actor_id")
    identity_key: str
    name: str
    description: str | None
    ai_context: JSON | None
    type: ActorType
    capabilities: JSON | None

    instance: InstanceT = strawberry.field(resolver=instances.instance)
    assignments: list[RoleAssignment] = strawberry.field(
        resolver=instances.actor_assignments,
        description="The actor's role assignments (revoked ones included).",
    )
    roles: list[RoleT] = strawberry.field(
        resolver=instances.actor_roles, description="Roles the actor is actively assigned to."
    )
    work: list[UowT] = strawberry.field(
        resolver=instances.held_work,
        description="The units of work this actor holds (ACTIVE), oldest first.",
    )


@described_by(models.AssignmentRow)
@strawberry.type(description="An actor's permission to act in a role; revoked ones are kept.")
class RoleAssignment(Node):
    id: strawberry.ID = id_field("assignment_id")
    status: AssignmentStatus
    actor: Actor = strawberry.field(resolver=instances.actor)
    role: RoleT = strawberry.field(resolver=instances.role)


@described_by(models.RoleMemoryRow)
@strawberry.type(description="One remembered value of a role: global blueprint or personal.")
class RoleMemory(Node):
    id: strawberry.ID = id_field("memory_id")
    key: str
    value: JSON | None
    is_toxic: bool
    created_at: datetime
    last_accessed_at: datetime | None

    scope: MemoryScope = strawberry.field(
        resolver=instances.memory_scope,
        description="GLOBAL for the role's blueprint, PERSONAL for an actor's playbook.",
    )
    role: RoleT = strawberry.field(resolver=instances.role)
    actor: Actor | None = strawberry.field(resolver=instances.actor)

"""Instances, their local workflows and their actors: the relationships the types in
`schema.instances` and `schema.actors` name as resolvers, and the mutations that create
an instance and manage its actors, role assignments and role memory."""

from __future__ import annotations

import uuid
from typing import Any

from resolvers.context import RequestContext
from resolvers.loaders import by_id, list_by
from resolvers.mutations import Outcome, mutation_for_id, once_for_id, service_arguments
from resolvers.relations import LOCAL, Info, Parent, Resolver, many, one
from resolvers.stats import stats_of
from storage.engines import Tier, Tiers
from storage.enums import AssignmentStatus, ComponentDirection, MemoryScope, UowStatus
from storage.models import (
    ActorRow,
    AssignmentRow,
    InstanceRow,
    LocalComponentRow,
    LocalRoleRow,
    LocalWorkflowRow,
    RoleMemoryRow,
    UnitOfWorkRow,
)
from storage.runtime import actors as actor_services
from storage.runtime import instantiation
from storage.runtime.instantiation import ActorSpec

instance = one(InstanceRow, "instance_id")
actor = one(ActorRow, "actor_id")
role = LOCAL.component_role  # any row's `role_id`
instance_workflows = many(LocalWorkflowRow, "instance_id")
instance_actors = many(ActorRow, "instance_id")
linked_workflow = one(LocalWorkflowRow, "linked_local_workflow_id")
gateway_roles = many(LocalRoleRow, "linked_local_workflow_id", "local_workflow_id")
role_assignments = many(AssignmentRow, "role_id", order_by=("status",))
actor_assignments = many(AssignmentRow, "actor_id", order_by=("status",))


async def master_workflow(root: Parent, info: Info) -> Any:
    """The workflow the instance was created from (one of its `workflows`)."""
    return next(w for w in await instance_workflows(root, info) if w.is_master)


def _components(direction: ComponentDirection) -> Resolver:
    async def resolve(root: Parent, info: Info) -> Any:
        components = await list_by(info.context, LocalComponentRow, "role_id").load(root.role_id)
        return [c for c in components if c.direction == direction]

    return resolve


inbound_components = _components(ComponentDirection.INBOUND)
outbound_components = _components(ComponentDirection.OUTBOUND)


async def actor_roles(root: Parent, info: Info) -> Any:
    """The roles an actor is actively assigned to."""
    assignments = await actor_assignments(root, info)
    active = [a.role_id for a in assignments if a.status == AssignmentStatus.ACTIVE]
    return await by_id(info.context, LocalRoleRow).load_many(active)


async def held_work(root: Parent, info: Info) -> Any:
    """The units of work an actor holds (ACTIVE), oldest first."""
    loader = list_by(
        info.context, UnitOfWorkRow, "locked_by_actor_id", order_by=("updated_at", "uow_id")
    )
    return [uow for uow in await loader.load(root.actor_id) if uow.status == UowStatus.ACTIVE]


async def role_memory(
    ctx: RequestContext, role_id: uuid.UUID, actor_id: uuid.UUID | None, include_global: bool
) -> list[Any]:
    """A role's memory by key: one actor's playbook (if `actor_id`) and/or the global one."""
    entries = await list_by(ctx, RoleMemoryRow, "role_id", order_by=("key",)).load(role_id)
    return [
        entry
        for entry in entries
        if (entry.actor_id is None and include_global)
        or (entry.actor_id is not None and entry.actor_id == actor_id)
    ]


def memory_scope(root: Parent) -> MemoryScope:
    """GLOBAL for a role's blueprint (no actor), PERSONAL for an actor's playbook."""
    return MemoryScope.GLOBAL if root.actor_id is None else MemoryScope.PERSONAL


# --- mutations -------------------------------------------------------------------------


async def instantiate(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    async def action(instance_tier: Tier) -> Any:
        tiers = Tiers(ctx.tiers.template, instance_tier)
        arguments = service_arguments(data, actors=_actor_specs)
        return await instantiation.instantiate(tiers, **arguments)

    return await once_for_id(ctx, data, "instantiate", action, "instance_id", InstanceRow)


def _actor_specs(actors: list[Any] | None, field: str) -> list[ActorSpec]:
    """The `actors` of an `InstantiateInput` as the service's specs (the same fields)."""
    return [ActorSpec(**service_arguments(a)) for a in actors or ()]


set_instance_status = mutation_for_id(
    "setInstanceStatus", actor_services.set_instance_status, "instance_id", InstanceRow
)
register_actor = mutation_for_id(
    "registerActor", actor_services.register_actor, "actor_id", ActorRow
)
assign_role = mutation_for_id(
    "assignRole", actor_services.assign_role, "assignment_id", AssignmentRow
)
revoke_assignment = mutation_for_id(
    "revokeAssignment", actor_services.revoke_assignment, "assignment_id", AssignmentRow
)
put_role_memory = mutation_for_id(
    "putRoleMemory", actor_services.put_role_memory, "memory_id", RoleMemoryRow
)


async def stats(root: Parent, info: Info) -> Any:
    """An instance's units of work counted by status and by interaction."""
    return await stats_of(info.context).load(root.instance_id)

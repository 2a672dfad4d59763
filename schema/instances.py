"""Instance-tier structure: instances and the workflow graphs copied into them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import engine, instances, lists, relations
from resolvers import templates as templates_resolvers
from resolvers.errors import optional_uuid
from resolvers.filters import uow_filter
from resolvers.pagination import page_args
from schema.base import (
    After,
    Before,
    Connection,
    First,
    Info,
    InInteraction,
    Last,
    OfStatus,
    Row,
    id_field,
)
from schema.describe import described_by
from schema.enums import (
    ComponentDirection,
    DecompositionStrategy,
    GraphFormat,
    GuardianType,
    InstanceStatus,
    RoleType,
)
from schema.filters import (
    CreatedAfter,
    CreatedBefore,
    OfStatuses,
    WithAttributes,
    attribute_pairs,
)
from schema.lazy import ActorT, AssignmentT, MemoryT
from schema.node import Node
from schema.stats import InstanceStats
from schema.templates import GRAPH, AGraphFormat
from schema.uows import (
    InteractionLogConnection,
    UnitOfWorkConnection,
    logs_of,
    uow_connection,
    uows_by_status,
)
from storage import models

G = relations.LOCAL


async def _instance_uows(
    root: Row,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    status: OfStatus = None,
    interaction_id: InInteraction = None,
    statuses: OfStatuses = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    attributes: WithAttributes = None,
) -> UnitOfWorkConnection:
    row_filter = uow_filter(
        status=status,
        interaction_id=optional_uuid(interaction_id, "interactionId"),
        statuses=statuses,
        created_after=created_after,
        created_before=created_before,
        attributes=attribute_pairs(attributes),
    )
    requested = (first, after, last, before)
    return await uow_connection(
        info, lists.UOWS_OF_INSTANCE, root.instance_id, requested, row_filter
    )


async def _local_graph(root: Row, info: Info, format: AGraphFormat = GraphFormat.MERMAID) -> str:
    return await templates_resolvers.local_graph(info.context, root.local_workflow_id, format)


async def _memory(
    root: Row,
    info: Info,
    actor_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Include this actor's personal playbook."),
    ] = None,
    include_global: Annotated[
        bool, strawberry.argument(description="Include the role's global blueprint.")
    ] = True,
) -> list[Any]:
    actor = optional_uuid(actor_id, "actorId")
    return await instances.role_memory(info.context, root.role_id, actor, include_global)


async def _inbox(
    root: Row,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> UnitOfWorkConnection:
    args = page_args((first, after, last, before), info.context.max_page_size)
    page = await engine.inbox(info.context, root.role_id, args)
    return UnitOfWorkConnection.of(page, "uow_id")


@described_by(models.InstanceRow)
@strawberry.type(description="A running, self-contained copy of a template and its children.")
class Instance(Node):
    id: strawberry.ID = id_field("instance_id")
    name: str
    description: str | None
    status: InstanceStatus
    deployment_date: datetime
    workflows: list[LocalWorkflow] = strawberry.field(
        resolver=instances.instance_workflows,
        description="The workflows copied into the instance: the master and its child workflows.",
    )
    master_workflow: LocalWorkflow = strawberry.field(
        resolver=instances.master_workflow,
        description="The workflow the instance was created from.",
    )
    actors: list[ActorT] = strawberry.field(
        resolver=instances.instance_actors,
        description="The people, agents and systems registered in the instance, by name.",
    )

    stats: InstanceStats = strawberry.field(
        resolver=instances.stats,
        description="Its units of work counted by status and by interaction (one statement).",
    )
    uows: UnitOfWorkConnection = strawberry.field(
        resolver=_instance_uows, description="The instance's units of work, oldest first."
    )
    logs: InteractionLogConnection = logs_of(
        lists.LOGS_OF_INSTANCE, "instance_id", "The instance's interaction log, oldest first."
    )


@described_by(models.LocalWorkflowRow)
@strawberry.type(description="A workflow copied into an instance.")
class LocalWorkflow(Node):
    id: strawberry.ID = id_field("local_workflow_id")
    original_workflow_id: strawberry.ID
    name: str
    description: str | None
    ai_context: JSON | None
    version: int
    is_active: bool
    is_master: bool
    instance: Instance = strawberry.field(resolver=instances.instance)
    roles: list[LocalRole] = strawberry.field(
        resolver=G.roles, description="The workflow's roles, by name."
    )
    interactions: list[LocalInteraction] = strawberry.field(
        resolver=G.interactions, description="The workflow's interactions (queues), by name."
    )
    components: list[LocalComponent] = strawberry.field(
        resolver=G.components,
        description="The workflow's components (role-interaction links), by name.",
    )
    guardians: list[LocalGuardian] = strawberry.field(
        resolver=G.guardians, description="The guardians of all the workflow's components, by name."
    )

    graph: str = strawberry.field(
        resolver=_local_graph,
        description=GRAPH + " Each interaction also shows its units of work waiting (PENDING).",
    )
    gateway_roles: list[LocalRole] = strawberry.field(
        resolver=instances.gateway_roles,
        description="Gateway roles (of any workflow) that delegate to this one.",
    )
    uows: UnitOfWorkConnection = uows_by_status(
        lists.UOWS_OF_WORKFLOW,
        "local_workflow_id",
        "Units of work running in this workflow, oldest first.",
    )


@described_by(models.LocalRoleRow)
@strawberry.type(description="A role of a local workflow.")
class LocalRole(Node):
    id: strawberry.ID = id_field("role_id")
    name: str
    description: str | None
    ai_context: JSON | None
    role_type: RoleType
    decomposition_strategy: DecompositionStrategy | None
    is_recursive_gateway: bool
    workflow: LocalWorkflow = strawberry.field(
        resolver=G.workflow, description="The workflow the role belongs to."
    )
    linked_workflow: LocalWorkflow | None = strawberry.field(
        resolver=instances.linked_workflow,
        description="The child workflow copy a gateway role delegates to.",
    )
    inbound_components: list[LocalComponent] = strawberry.field(
        resolver=instances.inbound_components,
        description="Where the role takes work: components from an interaction to the role.",
    )
    outbound_components: list[LocalComponent] = strawberry.field(
        resolver=instances.outbound_components,
        description="Where the role hands work on: components from the role to an interaction.",
    )
    assignments: list[AssignmentT] = strawberry.field(
        resolver=instances.role_assignments,
        description="Who may act in the role (revoked assignments included).",
    )

    memory: list[MemoryT] = strawberry.field(
        resolver=_memory,
        description="Role memory: one actor's playbook and/or the global blueprint.",
    )
    inbox: UnitOfWorkConnection = strawberry.field(
        resolver=_inbox,
        description="What an actor of this role could check out now: the units of work its "
        "inbound guardians let through, in checkout order (oldest first).",
    )
    uows: UnitOfWorkConnection = uows_by_status(
        lists.UOWS_OF_ROLE,
        "role_id",
        "UOWs queued in the role's inbound interactions or held by it.",
    )


@described_by(models.LocalInteractionRow)
@strawberry.type(description="An interaction (queue) of a local workflow.")
class LocalInteraction(Node):
    id: strawberry.ID = id_field("interaction_id")
    name: str
    description: str | None
    ai_context: JSON | None
    stale_token_limit_seconds: int | None
    workflow: LocalWorkflow = strawberry.field(
        resolver=G.workflow, description="The workflow the interaction belongs to."
    )
    components: list[LocalComponent] = strawberry.field(
        resolver=G.interaction_components,
        description="The components linking roles to this interaction.",
    )
    uows: UnitOfWorkConnection = uows_by_status(
        lists.UOWS_OF_INTERACTION,
        "interaction_id",
        "Units of work now in this interaction, oldest first.",
    )


@described_by(models.LocalComponentRow)
@strawberry.type(description="A link between a local role and a local interaction.")
class LocalComponent(Node):
    id: strawberry.ID = id_field("component_id")
    name: str
    description: str | None
    ai_context: JSON | None
    direction: ComponentDirection
    workflow: LocalWorkflow = strawberry.field(
        resolver=G.workflow, description="The workflow the component belongs to."
    )
    role: LocalRole = strawberry.field(resolver=G.component_role)
    interaction: LocalInteraction = strawberry.field(resolver=G.component_interaction)
    guardians: list[LocalGuardian] = strawberry.field(
        resolver=G.component_guardians,
        description="The guardians watching this component, by name.",
    )


@described_by(models.LocalGuardianRow)
@strawberry.type(description="A guardian of a local component.")
class LocalGuardian(Node):
    id: strawberry.ID = id_field("guardian_id")
    name: str
    description: str | None
    ai_context: JSON | None
    type: GuardianType
    attributes: JSON | None
    workflow: LocalWorkflow = strawberry.field(
        resolver=G.workflow, description="The workflow the guardian belongs to."
    )
    component: LocalComponent = strawberry.field(resolver=G.guardian_component)


@strawberry.type(description="A page of instances.")
class InstanceConnection(Connection[Instance]):
    pass

"""Instance-tier structure: instances and the workflow graphs copied into them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import engine, lists
from resolvers import templates as templates_resolvers
from resolvers.errors import optional_uuid
from resolvers.filters import log_filter, uow_filter
from resolvers.loaders import by_id, list_by
from resolvers.pagination import page_args
from resolvers.stats import stats_of
from schema.base import (
    After,
    Before,
    Connection,
    First,
    Info,
    InInteraction,
    Last,
    OfLogTypes,
    OfStatus,
    Row,
    id_field,
)
from schema.describe import described_by, field
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
from schema.node import Node
from schema.stats import InstanceStats
from schema.templates import GRAPH, AGraphFormat
from schema.uows import InteractionLogConnection, UnitOfWorkConnection, page_of, uow_connection
from storage.models import (
    ActorRow,
    AssignmentRow,
    InstanceRow,
    LocalComponentRow,
    LocalGuardianRow,
    LocalInteractionRow,
    LocalRoleRow,
    LocalWorkflowRow,
    RoleMemoryRow,
)

if TYPE_CHECKING:
    from schema.actors import Actor, RoleAssignment, RoleMemory

ActorT = Annotated["Actor", strawberry.lazy("schema.actors")]
AssignmentT = Annotated["RoleAssignment", strawberry.lazy("schema.actors")]
MemoryT = Annotated["RoleMemory", strawberry.lazy("schema.actors")]


async def _workflow(info: Info, root: Any) -> Any:
    return await by_id(info.context, LocalWorkflowRow).load(root.local_workflow_id)


@described_by(InstanceRow)
@strawberry.type(description="A running, self-contained copy of a template and its children.")
class Instance(Node):
    id: strawberry.ID = id_field("instance_id")
    name: str
    description: str | None
    status: InstanceStatus
    deployment_date: datetime

    @field("The workflows copied into the instance: the master and its child workflows.")
    async def workflows(self, root: Row, info: Info) -> list[LocalWorkflow]:
        return await list_by(info.context, LocalWorkflowRow, "instance_id").load(root.instance_id)

    @field("The workflow the instance was created from.")
    async def master_workflow(self, root: Row, info: Info) -> LocalWorkflow:
        workflows = await list_by(info.context, LocalWorkflowRow, "instance_id").load(
            root.instance_id
        )
        return next(w for w in workflows if w.is_master)

    @field("The people, agents and systems registered in the instance, by name.")
    async def actors(self, root: Row, info: Info) -> list[ActorT]:
        return await list_by(info.context, ActorRow, "instance_id").load(root.instance_id)

    @field("Its units of work counted by status and by interaction (one statement).")
    async def stats(self, root: Row, info: Info) -> InstanceStats:
        counts: Any = await stats_of(info.context).load(root.instance_id)
        return counts

    @field("The instance's units of work, oldest first.")
    async def uows(
        self,
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
        return await uow_connection(
            info, lists.UOWS_OF_INSTANCE, root.instance_id, (first, after, last, before), row_filter
        )

    @field("The instance's interaction log, oldest first.")
    async def logs(
        self,
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        log_types: OfLogTypes = None,
    ) -> InteractionLogConnection:
        page = await page_of(
            info,
            lists.LOGS_OF_INSTANCE,
            root.instance_id,
            (first, after, last, before),
            log_filter(log_types),
        )
        return InteractionLogConnection.of(page, "log_id")


@described_by(LocalWorkflowRow)
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

    @strawberry.field
    async def instance(self, root: Row, info: Info) -> Instance:
        return await by_id(info.context, InstanceRow).load(root.instance_id)

    @field("The workflow's roles, by name.")
    async def roles(self, root: Row, info: Info) -> list[LocalRole]:
        loader = list_by(info.context, LocalRoleRow, "local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @field("The workflow's interactions (queues), by name.")
    async def interactions(self, root: Row, info: Info) -> list[LocalInteraction]:
        loader = list_by(info.context, LocalInteractionRow, "local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @field("The workflow's components (role-interaction links), by name.")
    async def components(self, root: Row, info: Info) -> list[LocalComponent]:
        loader = list_by(info.context, LocalComponentRow, "local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @field("The guardians of all the workflow's components, by name.")
    async def guardians(self, root: Row, info: Info) -> list[LocalGuardian]:
        loader = list_by(info.context, LocalGuardianRow, "local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @field(GRAPH + " Each interaction also shows its units of work waiting (PENDING).")
    async def graph(self, root: Row, info: Info, format: AGraphFormat = GraphFormat.MERMAID) -> str:
        return await templates_resolvers.local_graph(info.context, root.local_workflow_id, format)

    @field("Gateway roles (of any workflow) that delegate to this one.")
    async def gateway_roles(self, root: Row, info: Info) -> list[LocalRole]:
        loader = list_by(info.context, LocalRoleRow, "linked_local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @field("Units of work running in this workflow, oldest first.")
    async def uows(
        self,
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: OfStatus = None,
    ) -> UnitOfWorkConnection:
        return await uow_connection(
            info,
            lists.UOWS_OF_WORKFLOW,
            root.local_workflow_id,
            (first, after, last, before),
            uow_filter(status=status),
        )


@described_by(LocalRoleRow)
@strawberry.type(description="A role of a local workflow.")
class LocalRole(Node):
    id: strawberry.ID = id_field("role_id")
    name: str
    description: str | None
    ai_context: JSON | None
    role_type: RoleType
    decomposition_strategy: DecompositionStrategy | None
    is_recursive_gateway: bool

    @field("The workflow the role belongs to.")
    async def workflow(self, root: Row, info: Info) -> LocalWorkflow:
        return await _workflow(info, root)

    @field("The child workflow copy a gateway role delegates to.")
    async def linked_workflow(self, root: Row, info: Info) -> LocalWorkflow | None:
        if root.linked_local_workflow_id is None:
            return None
        return await by_id(info.context, LocalWorkflowRow).load(root.linked_local_workflow_id)

    @field("Where the role takes work: components from an interaction to the role.")
    async def inbound_components(self, root: Row, info: Info) -> list[LocalComponent]:
        components = await list_by(info.context, LocalComponentRow, "role_id").load(root.role_id)
        return [c for c in components if c.direction == ComponentDirection.INBOUND]

    @field("Where the role hands work on: components from the role to an interaction.")
    async def outbound_components(self, root: Row, info: Info) -> list[LocalComponent]:
        components = await list_by(info.context, LocalComponentRow, "role_id").load(root.role_id)
        return [c for c in components if c.direction == ComponentDirection.OUTBOUND]

    @field("Who may act in the role (revoked assignments included).")
    async def assignments(self, root: Row, info: Info) -> list[AssignmentT]:
        loader = list_by(info.context, AssignmentRow, "role_id", order_by=("status",))
        return await loader.load(root.role_id)

    @field("Role memory: one actor's playbook and/or the global blueprint.")
    async def memory(
        self,
        root: Row,
        info: Info,
        actor_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Include this actor's personal playbook."),
        ] = None,
        include_global: Annotated[
            bool, strawberry.argument(description="Include the role's global blueprint.")
        ] = True,
    ) -> list[MemoryT]:
        actor = optional_uuid(actor_id, "actorId")
        entries = await list_by(info.context, RoleMemoryRow, "role_id", order_by=("key",)).load(
            root.role_id
        )
        return [
            entry
            for entry in entries
            if (entry.actor_id is None and include_global)
            or (entry.actor_id is not None and entry.actor_id == actor)
        ]

    @field(
        "What an actor of this role could check out now: the units of work its inbound "
        "guardians let through, in checkout order (oldest first)."
    )
    async def inbox(
        self,
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

    @field("UOWs queued in the role's inbound interactions or held by it.")
    async def uows(
        self,
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: OfStatus = None,
    ) -> UnitOfWorkConnection:
        return await uow_connection(
            info,
            lists.UOWS_OF_ROLE,
            root.role_id,
            (first, after, last, before),
            uow_filter(status=status),
        )


@described_by(LocalInteractionRow)
@strawberry.type(description="An interaction (queue) of a local workflow.")
class LocalInteraction(Node):
    id: strawberry.ID = id_field("interaction_id")
    name: str
    description: str | None
    ai_context: JSON | None
    stale_token_limit_seconds: int | None

    @field("The workflow the interaction belongs to.")
    async def workflow(self, root: Row, info: Info) -> LocalWorkflow:
        return await _workflow(info, root)

    @field("The components linking roles to this interaction.")
    async def components(self, root: Row, info: Info) -> list[LocalComponent]:
        loader = list_by(info.context, LocalComponentRow, "interaction_id")
        return await loader.load(root.interaction_id)

    @field("Units of work now in this interaction, oldest first.")
    async def uows(
        self,
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: OfStatus = None,
    ) -> UnitOfWorkConnection:
        return await uow_connection(
            info,
            lists.UOWS_OF_INTERACTION,
            root.interaction_id,
            (first, after, last, before),
            uow_filter(status=status),
        )


@described_by(LocalComponentRow)
@strawberry.type(description="A link between a local role and a local interaction.")
class LocalComponent(Node):
    id: strawberry.ID = id_field("component_id")
    name: str
    description: str | None
    ai_context: JSON | None
    direction: ComponentDirection

    @field("The workflow the component belongs to.")
    async def workflow(self, root: Row, info: Info) -> LocalWorkflow:
        return await _workflow(info, root)

    @strawberry.field
    async def role(self, root: Row, info: Info) -> LocalRole:
        return await by_id(info.context, LocalRoleRow).load(root.role_id)

    @strawberry.field
    async def interaction(self, root: Row, info: Info) -> LocalInteraction:
        return await by_id(info.context, LocalInteractionRow).load(root.interaction_id)

    @field("The guardians watching this component, by name.")
    async def guardians(self, root: Row, info: Info) -> list[LocalGuardian]:
        loader = list_by(info.context, LocalGuardianRow, "component_id")
        return await loader.load(root.component_id)


@described_by(LocalGuardianRow)
@strawberry.type(description="A guardian of a local component.")
class LocalGuardian(Node):
    id: strawberry.ID = id_field("guardian_id")
    name: str
    description: str | None
    ai_context: JSON | None
    type: GuardianType
    attributes: JSON | None

    @field("The workflow the guardian belongs to.")
    async def workflow(self, root: Row, info: Info) -> LocalWorkflow:
        return await _workflow(info, root)

    @strawberry.field
    async def component(self, root: Row, info: Info) -> LocalComponent:
        return await by_id(info.context, LocalComponentRow).load(root.component_id)


@strawberry.type(description="A page of instances.")
class InstanceConnection(Connection[Instance]):
    pass

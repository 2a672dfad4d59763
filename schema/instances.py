"""Instance-tier structure: instances and the workflow graphs copied into them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import engine, lists
from resolvers.errors import optional_uuid
from resolvers.filters import log_filter, uow_filter
from resolvers.loaders import by_id, list_by
from resolvers.pagination import page_args
from schema.base import Connection, Info, Row, id_field
from schema.enums import (
    ComponentDirection,
    DecompositionStrategy,
    GuardianType,
    InstanceStatus,
    LogType,
    RoleType,
    UowStatus,
)
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


@strawberry.type(description="A running, self-contained copy of a template and its children.")
class Instance:
    id: strawberry.ID = id_field("instance_id")
    name: str
    description: str | None
    status: InstanceStatus
    deployment_date: datetime

    @strawberry.field
    async def workflows(self, root: Row, info: Info) -> list[LocalWorkflow]:
        return await list_by(info.context, LocalWorkflowRow, "instance_id").load(root.instance_id)

    @strawberry.field(description="The workflow the instance was created from.")
    async def master_workflow(self, root: Row, info: Info) -> LocalWorkflow:
        workflows = await list_by(info.context, LocalWorkflowRow, "instance_id").load(
            root.instance_id
        )
        return next(w for w in workflows if w.is_master)

    @strawberry.field
    async def actors(self, root: Row, info: Info) -> list[ActorT]:
        return await list_by(info.context, ActorRow, "instance_id").load(root.instance_id)

    @strawberry.field
    async def uows(
        self,
        root: Row,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: UowStatus | None = None,
        interaction_id: strawberry.ID | None = None,
    ) -> UnitOfWorkConnection:
        row_filter = uow_filter(
            status=status, interaction_id=optional_uuid(interaction_id, "interactionId")
        )
        return await uow_connection(
            info, lists.UOWS_OF_INSTANCE, root.instance_id, first, after, row_filter
        )

    @strawberry.field
    async def logs(
        self,
        root: Row,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        log_types: list[LogType] | None = None,
    ) -> InteractionLogConnection:
        page = await page_of(
            info, lists.LOGS_OF_INSTANCE, root.instance_id, first, after, log_filter(log_types)
        )
        return InteractionLogConnection.of(page, "log_id")


@strawberry.type(description="A workflow copied into an instance.")
class LocalWorkflow:
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

    @strawberry.field
    async def roles(self, root: Row, info: Info) -> list[LocalRole]:
        loader = list_by(info.context, LocalRoleRow, "local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @strawberry.field
    async def interactions(self, root: Row, info: Info) -> list[LocalInteraction]:
        loader = list_by(info.context, LocalInteractionRow, "local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @strawberry.field
    async def components(self, root: Row, info: Info) -> list[LocalComponent]:
        loader = list_by(info.context, LocalComponentRow, "local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @strawberry.field
    async def guardians(self, root: Row, info: Info) -> list[LocalGuardian]:
        loader = list_by(info.context, LocalGuardianRow, "local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @strawberry.field(description="Gateway roles (of any workflow) that delegate to this one.")
    async def gateway_roles(self, root: Row, info: Info) -> list[LocalRole]:
        loader = list_by(info.context, LocalRoleRow, "linked_local_workflow_id")
        return await loader.load(root.local_workflow_id)

    @strawberry.field
    async def uows(
        self,
        root: Row,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: UowStatus | None = None,
    ) -> UnitOfWorkConnection:
        return await uow_connection(
            info,
            lists.UOWS_OF_WORKFLOW,
            root.local_workflow_id,
            first,
            after,
            uow_filter(status=status),
        )


@strawberry.type(description="A role of a local workflow.")
class LocalRole:
    id: strawberry.ID = id_field("role_id")
    name: str
    description: str | None
    ai_context: JSON | None
    role_type: RoleType
    decomposition_strategy: DecompositionStrategy | None
    is_recursive_gateway: bool

    @strawberry.field
    async def workflow(self, root: Row, info: Info) -> LocalWorkflow:
        return await _workflow(info, root)

    @strawberry.field(description="The child workflow copy a gateway role delegates to.")
    async def linked_workflow(self, root: Row, info: Info) -> LocalWorkflow | None:
        if root.linked_local_workflow_id is None:
            return None
        return await by_id(info.context, LocalWorkflowRow).load(root.linked_local_workflow_id)

    @strawberry.field
    async def inbound_components(self, root: Row, info: Info) -> list[LocalComponent]:
        components = await list_by(info.context, LocalComponentRow, "role_id").load(root.role_id)
        return [c for c in components if c.direction == ComponentDirection.INBOUND]

    @strawberry.field
    async def outbound_components(self, root: Row, info: Info) -> list[LocalComponent]:
        components = await list_by(info.context, LocalComponentRow, "role_id").load(root.role_id)
        return [c for c in components if c.direction == ComponentDirection.OUTBOUND]

    @strawberry.field
    async def assignments(self, root: Row, info: Info) -> list[AssignmentT]:
        loader = list_by(info.context, AssignmentRow, "role_id", order_by=("status",))
        return await loader.load(root.role_id)

    @strawberry.field(description="Role memory: one actor's playbook and/or the global blueprint.")
    async def memory(
        self,
        root: Row,
        info: Info,
        actor_id: strawberry.ID | None = None,
        include_global: bool = True,
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

    @strawberry.field(
        description="What an actor of this role could check out now: the units of work its "
        "inbound guardians let through, in checkout order (oldest first)."
    )
    async def inbox(
        self, root: Row, info: Info, first: int | None = None, after: str | None = None
    ) -> UnitOfWorkConnection:
        args = page_args(first, after, info.context.max_page_size)
        page = await engine.inbox(info.context, root.role_id, args)
        return UnitOfWorkConnection.of(page, "uow_id")

    @strawberry.field(description="UOWs queued in the role's inbound interactions or held by it.")
    async def uows(
        self,
        root: Row,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: UowStatus | None = None,
    ) -> UnitOfWorkConnection:
        return await uow_connection(
            info, lists.UOWS_OF_ROLE, root.role_id, first, after, uow_filter(status=status)
        )


@strawberry.type(description="An interaction (queue) of a local workflow.")
class LocalInteraction:
    id: strawberry.ID = id_field("interaction_id")
    name: str
    description: str | None
    ai_context: JSON | None
    stale_token_limit_seconds: int | None

    @strawberry.field
    async def workflow(self, root: Row, info: Info) -> LocalWorkflow:
        return await _workflow(info, root)

    @strawberry.field
    async def components(self, root: Row, info: Info) -> list[LocalComponent]:
        loader = list_by(info.context, LocalComponentRow, "interaction_id")
        return await loader.load(root.interaction_id)

    @strawberry.field
    async def uows(
        self,
        root: Row,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: UowStatus | None = None,
    ) -> UnitOfWorkConnection:
        return await uow_connection(
            info,
            lists.UOWS_OF_INTERACTION,
            root.interaction_id,
            first,
            after,
            uow_filter(status=status),
        )


@strawberry.type(description="A link between a local role and a local interaction.")
class LocalComponent:
    id: strawberry.ID = id_field("component_id")
    name: str
    description: str | None
    ai_context: JSON | None
    direction: ComponentDirection

    @strawberry.field
    async def workflow(self, root: Row, info: Info) -> LocalWorkflow:
        return await _workflow(info, root)

    @strawberry.field
    async def role(self, root: Row, info: Info) -> LocalRole:
        return await by_id(info.context, LocalRoleRow).load(root.role_id)

    @strawberry.field
    async def interaction(self, root: Row, info: Info) -> LocalInteraction:
        return await by_id(info.context, LocalInteractionRow).load(root.interaction_id)

    @strawberry.field
    async def guardians(self, root: Row, info: Info) -> list[LocalGuardian]:
        loader = list_by(info.context, LocalGuardianRow, "component_id")
        return await loader.load(root.component_id)


@strawberry.type(description="A guardian of a local component.")
class LocalGuardian:
    id: strawberry.ID = id_field("guardian_id")
    name: str
    description: str | None
    ai_context: JSON | None
    type: GuardianType
    attributes: JSON | None

    @strawberry.field
    async def workflow(self, root: Row, info: Info) -> LocalWorkflow:
        return await _workflow(info, root)

    @strawberry.field
    async def component(self, root: Row, info: Info) -> LocalComponent:
        return await by_id(info.context, LocalComponentRow).load(root.component_id)


@strawberry.type
class InstanceConnection(Connection[Instance]):
    pass

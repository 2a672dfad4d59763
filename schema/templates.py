"""Template-tier types: workflow blueprints and their elements."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import templates as templates_resolvers
from resolvers.loaders import by_id, list_by
from schema.base import Connection, Info, Row, id_field
from schema.describe import described_by, field
from schema.enums import (
    ComponentDirection,
    DecompositionStrategy,
    GraphFormat,
    GuardianType,
    RoleType,
)
from schema.node import Node
from storage.models import (
    TemplateComponentRow,
    TemplateGuardianRow,
    TemplateInteractionRow,
    TemplateRoleRow,
    TemplateWorkflowRow,
)

AGraphFormat = Annotated[
    GraphFormat, strawberry.argument(description="DOT (Graphviz) or MERMAID (a flowchart).")
]
GRAPH = (
    "The workflow drawn as text: roles and interactions as nodes, components as edges "
    "(role to interaction for OUTBOUND, interaction to role for INBOUND) labelled with the "
    "component and its guardians; names are escaped, so any name draws."
)


async def _workflow(info: Info, root: Any) -> Any:
    return await by_id(info.context, TemplateWorkflowRow).load(root.workflow_id)


@described_by(TemplateWorkflowRow)
@strawberry.type(description="A workflow blueprint (one version of it).")
class TemplateWorkflow(Node):
    id: strawberry.ID = id_field("workflow_id")
    name: str
    description: str | None
    ai_context: JSON | None
    version: int
    schema_json: JSON | None
    created_at: datetime
    retired_at: datetime | None

    @field("The blueprint's roles, by name.")
    async def roles(self, root: Row, info: Info) -> list[TemplateRole]:
        return await list_by(info.context, TemplateRoleRow, "workflow_id").load(root.workflow_id)

    @field("The blueprint's interactions (queues), by name.")
    async def interactions(self, root: Row, info: Info) -> list[TemplateInteraction]:
        loader = list_by(info.context, TemplateInteractionRow, "workflow_id")
        return await loader.load(root.workflow_id)

    @field("The blueprint's components (role-interaction links), by name.")
    async def components(self, root: Row, info: Info) -> list[TemplateComponent]:
        loader = list_by(info.context, TemplateComponentRow, "workflow_id")
        return await loader.load(root.workflow_id)

    @field("The guardians of all the blueprint's components, by name.")
    async def guardians(self, root: Row, info: Info) -> list[TemplateGuardian]:
        loader = list_by(info.context, TemplateGuardianRow, "workflow_id")
        return await loader.load(root.workflow_id)

    @field("Roles of other blueprints that delegate to this one.")
    async def parent_roles(self, root: Row, info: Info) -> list[TemplateRole]:
        loader = list_by(info.context, TemplateRoleRow, "child_workflow_id")
        return await loader.load(root.workflow_id)

    @field(
        "The blueprint as a YAML document in the import format, canonical (keys in one "
        "order, elements by name, defaults left out, child templates by name and version): "
        "importing it elsewhere yields the same blueprint."
    )
    async def document(self, root: Row, info: Info) -> str:
        return await templates_resolvers.document(info.context, root.workflow_id)

    @field(GRAPH)
    async def graph(self, root: Row, info: Info, format: AGraphFormat = GraphFormat.MERMAID) -> str:
        return await templates_resolvers.graph(info.context, root.workflow_id, format)


@described_by(TemplateRoleRow)
@strawberry.type(description="A role of a blueprint.")
class TemplateRole(Node):
    id: strawberry.ID = id_field("role_id")
    name: str
    description: str | None
    ai_context: JSON | None
    role_type: RoleType
    strategy: DecompositionStrategy | None

    @strawberry.field
    async def workflow(self, root: Row, info: Info) -> TemplateWorkflow:
        return await _workflow(info, root)

    @strawberry.field
    async def child_workflow(self, root: Row, info: Info) -> TemplateWorkflow | None:
        if root.child_workflow_id is None:
            return None
        return await by_id(info.context, TemplateWorkflowRow).load(root.child_workflow_id)

    @field("The role's components: where it takes work and where it hands work on.")
    async def components(self, root: Row, info: Info) -> list[TemplateComponent]:
        return await list_by(info.context, TemplateComponentRow, "role_id").load(root.role_id)


@described_by(TemplateInteractionRow)
@strawberry.type(description="An interaction (queue) of a blueprint.")
class TemplateInteraction(Node):
    id: strawberry.ID = id_field("interaction_id")
    name: str
    description: str | None
    ai_context: JSON | None
    stale_token_limit_seconds: int | None

    @strawberry.field
    async def workflow(self, root: Row, info: Info) -> TemplateWorkflow:
        return await _workflow(info, root)

    @field("The components linking roles to this interaction.")
    async def components(self, root: Row, info: Info) -> list[TemplateComponent]:
        loader = list_by(info.context, TemplateComponentRow, "interaction_id")
        return await loader.load(root.interaction_id)


@described_by(TemplateComponentRow)
@strawberry.type(description="A directed link between a role and an interaction.")
class TemplateComponent(Node):
    id: strawberry.ID = id_field("component_id")
    name: str
    description: str | None
    ai_context: JSON | None
    direction: ComponentDirection

    @strawberry.field
    async def workflow(self, root: Row, info: Info) -> TemplateWorkflow:
        return await _workflow(info, root)

    @strawberry.field
    async def role(self, root: Row, info: Info) -> TemplateRole:
        return await by_id(info.context, TemplateRoleRow).load(root.role_id)

    @strawberry.field
    async def interaction(self, root: Row, info: Info) -> TemplateInteraction:
        return await by_id(info.context, TemplateInteractionRow).load(root.interaction_id)

    @field("The guardians watching this component, by name.")
    async def guardians(self, root: Row, info: Info) -> list[TemplateGuardian]:
        loader = list_by(info.context, TemplateGuardianRow, "component_id")
        return await loader.load(root.component_id)


@described_by(TemplateGuardianRow)
@strawberry.type(description="A check on a component: a gate, a routing filter, a sync point.")
class TemplateGuardian(Node):
    id: strawberry.ID = id_field("guardian_id")
    name: str
    description: str | None
    ai_context: JSON | None
    type: GuardianType
    config: JSON | None

    @strawberry.field
    async def workflow(self, root: Row, info: Info) -> TemplateWorkflow:
        return await _workflow(info, root)

    @strawberry.field
    async def component(self, root: Row, info: Info) -> TemplateComponent:
        return await by_id(info.context, TemplateComponentRow).load(root.component_id)


@strawberry.type(description="A page of workflow blueprints.")
class TemplateWorkflowConnection(Connection[TemplateWorkflow]):
    pass

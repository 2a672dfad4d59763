"""Template-tier types: workflow blueprints and their elements."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers import relations
from resolvers import templates as templates_resolvers
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
from storage import models

AGraphFormat = Annotated[
    GraphFormat, strawberry.argument(description="DOT (Graphviz) or MERMAID (a flowchart).")
]
GRAPH = (
    "The workflow drawn as text: roles and interactions as nodes, components as edges "
    "(role to interaction for OUTBOUND, interaction to role for INBOUND) labelled with the "
    "component and its guardians; names are escaped, so any name draws."
)


G = relations.TEMPLATE


@described_by(models.TemplateWorkflowRow)
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
    roles: list[TemplateRole] = strawberry.field(
        resolver=G.roles, description="The blueprint's roles, by name."
    )
    interactions: list[TemplateInteraction] = strawberry.field(
        resolver=G.interactions, description="The blueprint's interactions (queues), by name."
    )
    components: list[TemplateComponent] = strawberry.field(
        resolver=G.components,
        description="The blueprint's components (role-interaction links), by name.",
    )
    guardians: list[TemplateGuardian] = strawberry.field(
        resolver=G.guardians,
        description="The guardians of all the blueprint's components, by name.",
    )
    parent_roles: list[TemplateRole] = strawberry.field(
        resolver=templates_resolvers.parent_roles,
        description="Roles of other blueprints that delegate to this one.",
    )

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


@described_by(models.TemplateRoleRow)
@strawberry.type(description="A role of a blueprint.")
class TemplateRole(Node):
    id: strawberry.ID = id_field("role_id")
    name: str
    description: str | None
    ai_context: JSON | None
    role_type: RoleType
    strategy: DecompositionStrategy | None
    workflow: TemplateWorkflow = strawberry.field(resolver=G.workflow)
    child_workflow: TemplateWorkflow | None = strawberry.field(
        resolver=templates_resolvers.child_workflow
    )
    components: list[TemplateComponent] = strawberry.field(
        resolver=G.role_components,
        description="The role's components: where it takes work and where it hands work on.",
    )


@described_by(models.TemplateInteractionRow)
@strawberry.type(description="An interaction (queue) of a blueprint.")
class TemplateInteraction(Node):
    id: strawberry.ID = id_field("interaction_id")
    name: str
    description: str | None
    ai_context: JSON | None
    stale_token_limit_seconds: int | None
    workflow: TemplateWorkflow = strawberry.field(resolver=G.workflow)
    components: list[TemplateComponent] = strawberry.field(
        resolver=G.interaction_components,
        description="The components linking roles to this interaction.",
    )


@described_by(models.TemplateComponentRow)
@strawberry.type(description="A directed link between a role and an interaction.")
class TemplateComponent(Node):
    id: strawberry.ID = id_field("component_id")
    name: str
    description: str | None
    ai_context: JSON | None
    direction: ComponentDirection
    workflow: TemplateWorkflow = strawberry.field(resolver=G.workflow)
    role: TemplateRole = strawberry.field(resolver=G.component_role)
    interaction: TemplateInteraction = strawberry.field(resolver=G.component_interaction)
    guardians: list[TemplateGuardian] = strawberry.field(
        resolver=G.component_guardians,
        description="The guardians watching this component, by name.",
    )


@described_by(models.TemplateGuardianRow)
@strawberry.type(description="A check on a component: a gate, a routing filter, a sync point.")
class TemplateGuardian(Node):
    id: strawberry.ID = id_field("guardian_id")
    name: str
    description: str | None
    ai_context: JSON | None
    type: GuardianType
    config: JSON | None
    workflow: TemplateWorkflow = strawberry.field(resolver=G.workflow)
    component: TemplateComponent = strawberry.field(resolver=G.guardian_component)


@strawberry.type(description="A page of workflow blueprints.")
class TemplateWorkflowConnection(Connection[TemplateWorkflow]):
    pass

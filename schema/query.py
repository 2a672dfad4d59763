"""The Query root (SPEC 5): entry points into both tiers."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from resolvers import lists, roots
from resolvers import templates as templates_resolvers
from resolvers.access import require_admin
from resolvers.errors import ClientError, not_found, optional_uuid, parse_uuid
from resolvers.filters import instance_filter, template_audit_filter, template_filter, uow_filter
from resolvers.loaders import by_id
from resolvers.nodes import node_key, nodes
from schema.actors import Actor
from schema.base import After, AnId, Before, First, Info, InInteraction, Last, OfStatus
from schema.describe import field
from schema.enums import InstanceStatus, Tier
from schema.filters import (
    CreatedAfter,
    CreatedBefore,
    OfStatuses,
    WithAttributes,
    attribute_pairs,
)
from schema.instances import Instance, InstanceConnection
from schema.node import Node
from schema.template_audit import TemplateAuditConnection
from schema.template_diff import TemplateDiff, template_diff
from schema.templates import TemplateWorkflow, TemplateWorkflowConnection
from schema.uows import UnitOfWork, UnitOfWorkConnection, page_of, uow_connection
from storage import models


@strawberry.input(description="Narrows the template list.")
class TemplateFilter:
    name: str | None = strawberry.field(default=None, description="Exact name.")
    name_contains: str | None = strawberry.field(
        default=None,
        description="Part of the name, ignoring case (Unicode case folding, NFKC): the same "
        "matches on every database.",
    )


@strawberry.type(description="One column of a tier, for people and agents exploring the data.")
class SchemaGuideRow:
    table_name: str = strawberry.field(description="The table (the seed's name).")
    column_name: str = strawberry.field(description="The column.")
    data_type: str = strawberry.field(description="Its SQL type, as the database reports it.")
    is_primary_key: bool = strawberry.field(description="Part of the table's primary key.")
    foreign_key_target: str | None = strawberry.field(
        description="`table.column` it refers to, for a foreign key."
    )
    description: str | None = strawberry.field(description="What the column holds.")


async def _one(info: Info, model: Any, kind: str, id: strawberry.ID) -> Any:
    row = await by_id(info.context, model).load(parse_uuid(id, "id"))
    if row is None:
        raise not_found(kind, id)
    return row


@strawberry.type(description="Entry points into both tiers.")
class Query:
    @field("Workflow blueprints, oldest first.")
    async def templates(
        self,
        info: Info,
        filter: Annotated[
            TemplateFilter | None, strawberry.argument(description="Narrows the list.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> TemplateWorkflowConnection:
        row_filter = template_filter(
            name=None if filter is None else filter.name,
            contains=None if filter is None else filter.name_contains,
        )
        page = await page_of(info, lists.TEMPLATES, None, (first, after, last, before), row_filter)
        return TemplateWorkflowConnection.of(page, "workflow_id")

    @field("A blueprint by id.")
    async def template(self, info: Info, id: AnId) -> TemplateWorkflow:
        return await _one(info, models.TemplateWorkflowRow, "template", id)

    @field("A blueprint by name; its newest version unless one is given.")
    async def template_by_name(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The exact name.")],
        version: Annotated[
            int | None, strawberry.argument(description="This version (newest if omitted).")
        ] = None,
    ) -> TemplateWorkflow:
        row = await roots.template_by_name(info.context, name, version)
        if row is None:
            suffix = "" if version is None else f" version {version}"
            raise ClientError(f"no template named {name!r}{suffix}", code="NOT_FOUND")
        return row

    @field("Every version of the template `name`, oldest first (empty for an unknown name).")
    async def template_versions(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The exact name.")],
    ) -> list[TemplateWorkflow]:
        return await templates_resolvers.versions(info.context, name)

    @field(
        "What changed from one template to another (usually two versions of one name): "
        "roles, interactions, components and guardians added, removed and changed."
    )
    async def template_diff(
        self,
        info: Info,
        from_id: Annotated[
            strawberry.ID, strawberry.argument(description="The template to compare from.")
        ],
        to_id: Annotated[
            strawberry.ID, strawberry.argument(description="The template to compare to.")
        ],
    ) -> TemplateDiff:
        before, after, changes = await templates_resolvers.diff(info.context, from_id, to_id)
        return template_diff(before, after, changes)

    @field(
        "Every template write (import, retire, delete) with its caller and outcome, oldest "
        "first; read-only, for admin callers only (FORBIDDEN otherwise)."
    )
    async def template_audit(
        self,
        info: Info,
        template_name: Annotated[
            str | None, strawberry.argument(description="Only writes of templates of this name.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> TemplateAuditConnection:
        require_admin(info.context, "templateAudit")
        page = await page_of(
            info,
            lists.TEMPLATE_AUDIT,
            None,
            (first, after, last, before),
            template_audit_filter(template_name),
        )
        return TemplateAuditConnection.of(page, "audit_id")

    @field("Instances, oldest first.")
    async def instances(
        self,
        info: Info,
        status: Annotated[
            InstanceStatus | None, strawberry.argument(description="Only instances in this status.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> InstanceConnection:
        requested = (first, after, last, before)
        page = await page_of(info, lists.INSTANCES, None, requested, instance_filter(status))
        return InstanceConnection.of(page, "instance_id")

    @field("An instance by id.")
    async def instance(self, info: Info, id: AnId) -> Instance:
        return await _one(info, models.InstanceRow, "instance", id)

    @field("A unit of work by id.")
    async def uow(self, info: Info, id: AnId) -> UnitOfWork:
        return await _one(info, models.UnitOfWorkRow, "unit of work", id)

    @field("Units of work of an instance, oldest first, filtered.")
    async def uows(
        self,
        info: Info,
        instance_id: Annotated[strawberry.ID, strawberry.argument(description="The instance.")],
        status: OfStatus = None,
        interaction_id: InInteraction = None,
        parent_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only children of this unit.")
        ] = None,
        statuses: OfStatuses = None,
        created_after: CreatedAfter = None,
        created_before: CreatedBefore = None,
        attributes: WithAttributes = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> UnitOfWorkConnection:
        row_filter = uow_filter(
            status=status,
            interaction_id=optional_uuid(interaction_id, "interactionId"),
            parent_id=optional_uuid(parent_id, "parentId"),
            statuses=statuses,
            created_after=created_after,
            created_before=created_before,
            attributes=attribute_pairs(attributes),
        )
        key = parse_uuid(instance_id, "instanceId")
        return await uow_connection(
            info, lists.UOWS_OF_INSTANCE, key, (first, after, last, before), row_filter
        )

    @field("Any object by its id (Relay global object identification): null when no object has it.")
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The object's `id` (a UUID, or a log's number)."),
        ],
    ) -> Node | None:
        found: Any = await nodes(info.context).load(node_key(id))
        return found

    @field("An actor by id.")
    async def actor(self, info: Info, id: AnId) -> Actor:
        return await _one(info, models.ActorRow, "actor", id)

    @field("Every column of a tier (or one table) with its description.")
    async def schema_guide(
        self,
        info: Info,
        tier: Annotated[Tier, strawberry.argument(description="The database to describe.")],
        table: Annotated[
            str | None, strawberry.argument(description="Only this table (every table if omitted).")
        ] = None,
    ) -> list[SchemaGuideRow]:
        return await roots.schema_guide(info.context, tier.value, table)

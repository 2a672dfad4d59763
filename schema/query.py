"""The Query root (SPEC 5): entry points into both tiers."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers import lists, roots
from resolvers.errors import ClientError, not_found, optional_uuid, parse_uuid
from resolvers.filters import uow_filter
from resolvers.loaders import by_id
from schema.actors import Actor
from schema.base import Info
from schema.enums import InstanceStatus, Tier, UowStatus
from schema.instances import Instance, InstanceConnection
from schema.templates import TemplateWorkflow, TemplateWorkflowConnection
from schema.uows import UnitOfWork, UnitOfWorkConnection, page_of, uow_connection
from storage.models import ActorRow, InstanceRow, TemplateWorkflowRow, UnitOfWorkRow


@strawberry.input(description="Narrows the template list.")
class TemplateFilter:
    name: str | None = strawberry.field(default=None, description="Exact name.")
    name_contains: str | None = strawberry.field(default=None, description="Part of the name.")


@strawberry.type(description="One column of a tier, for people and agents exploring the data.")
class SchemaGuideRow:
    table_name: str
    column_name: str
    data_type: str
    is_primary_key: bool
    foreign_key_target: str | None
    description: str | None


async def _one(info: Info, model: Any, kind: str, id: strawberry.ID) -> Any:
    row = await by_id(info.context, model).load(parse_uuid(id, "id"))
    if row is None:
        raise not_found(kind, id)
    return row


@strawberry.type
class Query:
    @strawberry.field(description="Workflow blueprints, oldest first.")
    async def templates(
        self,
        info: Info,
        filter: TemplateFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TemplateWorkflowConnection:
        table = TemplateWorkflowRow.__table__
        conditions = []
        if filter is not None and filter.name is not None:
            conditions.append(table.c.name == filter.name)
        if filter is not None and filter.name_contains is not None:
            conditions.append(table.c.name.contains(filter.name_contains, autoescape=True))
        key = None if filter is None else (filter.name, filter.name_contains)
        page = await page_of(info, lists.TEMPLATES, None, first, after, (tuple(conditions), key))
        return TemplateWorkflowConnection.of(page, "workflow_id")

    @strawberry.field
    async def template(self, info: Info, id: strawberry.ID) -> TemplateWorkflow:
        return await _one(info, TemplateWorkflowRow, "template", id)

    @strawberry.field(description="A blueprint by name; its newest version unless one is given.")
    async def template_by_name(
        self, info: Info, name: str, version: int | None = None
    ) -> TemplateWorkflow:
        row = await roots.template_by_name(info.context, name, version)
        if row is None:
            suffix = "" if version is None else f" version {version}"
            raise ClientError(f"no template named {name!r}{suffix}", code="NOT_FOUND")
        return row

    @strawberry.field(description="Instances, oldest first.")
    async def instances(
        self,
        info: Info,
        status: InstanceStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> InstanceConnection:
        table = InstanceRow.__table__
        conditions = () if status is None else (table.c.status == status,)
        page = await page_of(info, lists.INSTANCES, None, first, after, (conditions, status))
        return InstanceConnection.of(page, "instance_id")

    @strawberry.field
    async def instance(self, info: Info, id: strawberry.ID) -> Instance:
        return await _one(info, InstanceRow, "instance", id)

    @strawberry.field
    async def uow(self, info: Info, id: strawberry.ID) -> UnitOfWork:
        return await _one(info, UnitOfWorkRow, "unit of work", id)

    @strawberry.field(description="Units of work of an instance, oldest first, filtered.")
    async def uows(
        self,
        info: Info,
        instance_id: strawberry.ID,
        status: UowStatus | None = None,
        interaction_id: strawberry.ID | None = None,
        parent_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> UnitOfWorkConnection:
        row_filter = uow_filter(
            status=status,
            interaction_id=optional_uuid(interaction_id, "interactionId"),
            parent_id=optional_uuid(parent_id, "parentId"),
        )
        key = parse_uuid(instance_id, "instanceId")
        return await uow_connection(info, lists.UOWS_OF_INSTANCE, key, first, after, row_filter)

    @strawberry.field
    async def actor(self, info: Info, id: strawberry.ID) -> Actor:
        return await _one(info, ActorRow, "actor", id)

    @strawberry.field(description="Every column of a tier (or one table) with its description.")
    async def schema_guide(
        self, info: Info, tier: Tier, table: str | None = None
    ) -> list[SchemaGuideRow]:
        return await roots.schema_guide(info.context, tier.value, table)

"""Template fields and operations whose answer is computed, not a row: the document, the
graph, the versions of a name, the diff of two templates, and the lifecycle mutations."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, TypeVar

from sqlalchemy import select

from resolvers.access import authorize
from resolvers.context import RequestContext
from resolvers.errors import ClientError, parse_uuid
from resolvers.mutations import Outcome, run, run_for_id, service_arguments
from resolvers.relations import many, one
from storage.models import TemplateRoleRow, TemplateWorkflowRow
from storage.runtime.workflow_graph import local_workflow_graph
from storage.templates import importer as template_import
from storage.templates import lifecycle
from storage.templates.diff import ElementChange, diff_templates
from storage.templates.export import export_document, stored_spec
from storage.templates.graph import GraphFormat, graph_of_spec, render_graph
from storage.templates.lifecycle import DeletedTemplate
from storage.templates.specs import (
    ComponentSpec,
    GuardianSpec,
    InteractionSpec,
    RoleSpec,
    TemplateSpec,
)

S = TypeVar("S", TemplateSpec, RoleSpec, InteractionSpec, ComponentSpec, GuardianSpec)


async def document(ctx: RequestContext, workflow_id: uuid.UUID) -> str:
    text = await ctx.reader("template").run_sync(
        lambda connection: export_document(connection, workflow_id)
    )
    if text is None:  # the row was read in this request: it cannot have gone
        raise LookupError(f"template {workflow_id} vanished")
    return text


async def graph(ctx: RequestContext, workflow_id: uuid.UUID, graph_format: GraphFormat) -> str:
    spec = await ctx.reader("template").run_sync(
        lambda connection: stored_spec(connection, workflow_id)
    )
    if spec is None:
        raise LookupError(f"template {workflow_id} vanished")
    return render_graph(graph_of_spec(spec), graph_format)


async def local_graph(
    ctx: RequestContext, local_workflow_id: uuid.UUID, graph_format: GraphFormat
) -> str:
    drawn = await ctx.reader("instance").run_sync(
        lambda connection: local_workflow_graph(connection, local_workflow_id)
    )
    if drawn is None:
        raise LookupError(f"local workflow {local_workflow_id} vanished")
    return render_graph(drawn, graph_format)


async def versions(ctx: RequestContext, name: str) -> list[Any]:
    """Every version of the template `name`, oldest first (none for an unknown name)."""
    table = TemplateWorkflowRow.__table__
    statement = select(table).where(table.c.name == name).order_by(table.c.version)
    return list(await ctx.reader("template").execute(statement))


async def diff(
    ctx: RequestContext, from_id: str, to_id: str
) -> tuple[Any, Any, list[ElementChange]]:
    """The two templates' rows and the changes from the first to the second."""
    ids = {"fromId": parse_uuid(from_id, "fromId"), "toId": parse_uuid(to_id, "toId")}
    table = TemplateWorkflowRow.__table__
    rows = {
        row.workflow_id: row
        for row in await ctx.reader("template").execute(
            select(table).where(table.c.workflow_id.in_(set(ids.values())))
        )
    }
    for argument, key in ids.items():
        if key not in rows:
            raise ClientError(f"{argument}: no template {key}", code="NOT_FOUND")
    before, after = await ctx.reader("template").run_sync(
        lambda connection: (
            stored_spec(connection, ids["fromId"]),
            stored_spec(connection, ids["toId"]),
        )
    )
    if before is None or after is None:
        raise ClientError("a template was deleted while it was compared", code="NOT_FOUND")
    return rows[ids["fromId"]], rows[ids["toId"]], diff_templates(before, after)


async def import_template(ctx: RequestContext, yaml: str) -> Outcome[uuid.UUID]:
    async def action() -> Any:
        await authorize(ctx, "importTemplate", None)
        return await template_import.import_template_yaml(ctx.tiers.template, text=yaml)

    return await run_for_id(ctx, action, "workflow_id")


async def create_template(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    async def action() -> Any:
        await authorize(ctx, "createTemplate", None)
        spec = template_spec(data)
        return await template_import.import_template_spec(ctx.tiers.template, spec=spec)

    return await run_for_id(ctx, action, "workflow_id")


def template_spec(data: Any) -> TemplateSpec:
    """The typed `TemplateInput` as the same spec a YAML document parses into: each input
    type has the fields of its spec, under the same names."""
    return _spec(
        TemplateSpec,
        data,
        roles=tuple(_spec(RoleSpec, r) for r in data.roles),
        interactions=tuple(_spec(InteractionSpec, i) for i in data.interactions),
        components=tuple(
            _spec(
                ComponentSpec,
                c,
                guardians=tuple(_spec(GuardianSpec, g, config=g.config or {}) for g in c.guardians),
            )
            for c in data.components
        ),
    )


def _spec(spec: type[S], data: Any, **given: Any) -> S:
    """A spec from the input object's fields of the same names, except those `given`."""
    names = (f.name for f in dataclasses.fields(spec))
    return spec(**{name: given[name] if name in given else getattr(data, name) for name in names})


async def retire_template(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    async def action() -> Any:
        await authorize(ctx, "retireTemplate", None)
        return await lifecycle.retire_template(ctx.tiers.template, **service_arguments(data))

    return await run_for_id(ctx, action, "workflow_id")


async def delete_template(ctx: RequestContext, data: Any) -> Outcome[DeletedTemplate]:
    async def action() -> DeletedTemplate:
        await authorize(ctx, "deleteTemplate", None)
        return await lifecycle.delete_template(ctx.tiers.template, **service_arguments(data))

    return await run(ctx, action)


# Relationships of a template that are not part of the workflow graph's shape
# (`resolvers.relations.TEMPLATE`): the child template a gateway role delegates to, and back.
child_workflow = one(TemplateWorkflowRow, "child_workflow_id")
parent_roles = many(TemplateRoleRow, "child_workflow_id", "workflow_id")

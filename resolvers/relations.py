"""Relationship resolvers: the rows a parent row points at, read through the request's
batch loaders, so a field costs one statement per level whatever the fan-out.

The object types in `schema/` declare a relationship field and name one of these as its
resolver (`strawberry.field(resolver=...)`); the declared type of the field is what the
schema shows. Each resolver takes the parent row (`root`) and the request (`info`).
The workflow graph has the same shape in both tiers (a template and the local copies of
it), so its relationships are built once for each tier by `workflow_graph`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy.orm import DeclarativeBase
from strawberry.types import Info as StrawberryInfo

from resolvers.context import RequestContext
from resolvers.loaders import list_by, load_optional
from storage.models.graphs import LOCAL_GRAPH, TEMPLATE_GRAPH, GraphModels

Info = StrawberryInfo[RequestContext, None]
Parent = strawberry.Parent[Any]
Resolver = Callable[[Any, Info], Coroutine[Any, Any, Any]]


def one(model: type[DeclarativeBase], column: str) -> Resolver:
    """The row of `model` whose primary key the parent's `column` holds (None when the
    parent's column is null)."""

    async def resolve(root: Parent, info: Info) -> Any:
        return await load_optional(info.context, model, getattr(root, column))

    return resolve


def many(
    model: type[DeclarativeBase],
    foreign_key: str,
    parent_column: str | None = None,
    order_by: Sequence[str] = ("name",),
) -> Resolver:
    """The rows of `model` whose `foreign_key` equals the parent's `parent_column` (the
    column of the same name unless given), in `order_by` order."""
    column = parent_column or foreign_key

    async def resolve(root: Parent, info: Info) -> Any:
        loader = list_by(info.context, model, foreign_key, order_by=order_by)
        return await loader.load(getattr(root, column))

    return resolve


@dataclass(frozen=True, slots=True)
class WorkflowGraph:
    """The relationships between a workflow and its roles, interactions, components and
    guardians, alike in both tiers."""

    workflow: Resolver  # an element's workflow
    roles: Resolver  # a workflow's roles
    interactions: Resolver
    components: Resolver
    guardians: Resolver
    role_components: Resolver  # a role's components
    interaction_components: Resolver
    component_role: Resolver
    component_interaction: Resolver
    component_guardians: Resolver
    guardian_component: Resolver


def workflow_graph(graph: GraphModels) -> WorkflowGraph:
    """The relationships of one tier's workflow graph."""
    key = graph.workflow_key
    return WorkflowGraph(
        workflow=one(graph.workflows, key),
        roles=many(graph.roles, key),
        interactions=many(graph.interactions, key),
        components=many(graph.components, key),
        guardians=many(graph.guardians, key),
        role_components=many(graph.components, "role_id"),
        interaction_components=many(graph.components, "interaction_id"),
        component_role=one(graph.roles, "role_id"),
        component_interaction=one(graph.interactions, "interaction_id"),
        component_guardians=many(graph.guardians, "component_id"),
        guardian_component=one(graph.components, "component_id"),
    )


TEMPLATE = workflow_graph(TEMPLATE_GRAPH)
LOCAL = workflow_graph(LOCAL_GRAPH)

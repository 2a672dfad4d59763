"""Runs a plan: one statement per tier, each root field's JSON text stitched into `data`.

The statements are built once per plan and shape of the variables (which directives hold,
which arguments are null, the caller's instances) and kept on the plan; a request then
costs its variables' conversion, one statement per tier and the writing of the bytes. The
JSON is never decoded: each root field's value comes back as text and is written between
the response's keys. `run` returns None when the resolver path must answer instead (a
variable that does not coerce, an argument the resolvers would refuse, a row that is not
there, a cursor that points nowhere): that path then reports the error exactly as always.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSchema
from graphql.execution.values import VariableValues, get_variable_values
from sqlalchemy import Text, cast, select, type_coerce

from gql.compiled.catalog import ROOTS
from gql.compiled.plan import Plan
from gql.compiled.render import Element, Renderer
from gql.compiled.selection import FallbackError, Params, plain, shape
from resolvers.context import RequestContext

# A root key's answer: a literal (`__typename`), or (tier, column, empty list refused).
Slot = bytes | tuple[str, int, bool]
MAX_SHAPES = 64  # built statements kept per plan


@dataclass
class Statement:
    """One tier's statement: a JSON value per root field, then the cursor guards."""

    tier: str
    params: Params
    values: list[Element] = field(default_factory=list)
    guards: int = 0
    sql: Any = None  # the SELECT, once built


@dataclass
class Built:
    slots: list[tuple[bytes, Slot]]
    statements: dict[str, Statement]
    cacheable: bool


def _build(
    schema: GraphQLSchema,
    plan: Plan,
    variables: VariableValues,
    context: RequestContext,
) -> Built:
    renderers: dict[str, Renderer] = {}
    statements: dict[str, Statement] = {}

    def tier(name: str) -> tuple[Renderer, Statement]:
        if name not in renderers:
            engine = context.tiers.template if name == "template" else context.tiers.instance
            params = Params(name[0])
            renderers[name] = Renderer(
                schema,
                engine.engine.dialect.name,
                plan.fragments,
                variables,
                params,
                context.max_page_size,
                context.caller.instance_ids,
            )
            statements[name] = Statement(name, params)
        return renderers[name], statements[name]

    top = Params("q")
    collector = Renderer(schema, "sqlite", plan.fragments, variables, top, 0, None)
    slots: list[tuple[bytes, Slot]] = []
    for key, nodes in collector.collect("Query", [plan.operation.selection_set]).items():
        name = nodes[0].name.value
        label = json.dumps(key).encode()
        if name == "__typename":
            slots.append((label, b'"Query"'))
            continue
        root = ROOTS[name]
        arguments = collector.arguments("Query", nodes)
        tier_name = str(plain(arguments.get("tier"))) if root.kind == "schema_guide" else root.tier
        renderer, statement = tier(tier_name)
        arguments = renderer.arguments("Query", nodes)
        refuse_empty = False
        if root.kind == "lookup":
            assert root.target is not None
            value = renderer.lookup(root.target, arguments, nodes)
        elif root.kind == "template_by_name":
            value = renderer.template_by_name(arguments, nodes)
        elif root.kind == "schema_guide":
            value = renderer.schema_guide(arguments, nodes)
            refuse_empty = arguments.get("table") is not None
        else:
            assert root.relation is not None
            source = renderer.paged_source(root.relation, None, arguments)
            value = renderer.connection("Query", name, root.relation, source, arguments, nodes)
        statement.values.append(value)
        slots.append((label, (tier_name, len(statement.values) - 1, refuse_empty)))
    for name, statement in statements.items():
        renderer = renderers[name]
        text = cast if renderer.sql.postgres else type_coerce
        columns = [text(value, Text).label(f"f{i}") for i, value in enumerate(statement.values)]
        guards = [guard.label(f"g{i}") for i, guard in enumerate(renderer.guards)]
        statement.sql = select(*columns, *guards)
        statement.guards = len(guards)
    cacheable = top.cacheable and all(r.params.cacheable for r in renderers.values())
    return Built(slots, statements, cacheable)


def _shape_key(variables: VariableValues, context: RequestContext) -> tuple[Any, ...]:
    coerced = variables.coerced
    return (
        context.caller.instance_ids,
        context.max_page_size,
        tuple(sorted((name, shape(value)) for name, value in coerced.items())),
    )


async def run(
    schema: GraphQLSchema,
    plan: Plan,
    variables: Mapping[str, Any] | None,
    context: RequestContext,
) -> bytes | None:
    """The response body `{"data": ...}` as bytes, or None to resolve instead."""
    coerced = get_variable_values(
        schema, plan.operation.variable_definitions or (), dict(variables or {})
    )
    if isinstance(coerced, list):
        return None
    key = _shape_key(coerced, context)
    built = plan.built.get(key)
    try:
        if built is None:
            built = _build(schema, plan, coerced, context)
            if built.cacheable and len(plan.built) < MAX_SHAPES:
                plan.built[key] = built
        answers: dict[str, list[Any]] = {}
        for name, statement in built.statements.items():
            parameters = statement.params.values(coerced.coerced)
            answer = await _execute(context, statement, parameters)
            if answer is None:
                return None
            answers[name] = answer
    except FallbackError:
        return None
    parts = []
    for label, slot in built.slots:
        if isinstance(slot, bytes):
            parts.append(label + b":" + slot)
            continue
        tier_name, index, refuse_empty = slot
        text = answers[tier_name][index]
        if text is None or (refuse_empty and text == "[]"):
            return None  # a missing row or an unknown table: the resolvers' NOT_FOUND
        parts.append(label + b":" + text.encode())
    return b'{"data":{' + b",".join(parts) + b"}}"


async def _execute(
    context: RequestContext, statement: Statement, parameters: dict[str, Any]
) -> list[Any] | None:
    assert statement.sql is not None
    result = await context.reader(statement.tier).execute(statement.sql, parameters)
    values = list(result.one())
    count = len(statement.values)
    if not all(values[count:]):
        return None  # a cursor names no row: the resolvers' "unknown cursor"
    return values[:count]

"""Runs a plan: one statement per tier, each root field's JSON text stitched into `data`.

The JSON is never decoded: each root field's value comes back as text and is written
between the response's keys. Returns None when the resolver path must answer instead (a
variable that does not coerce, an argument the resolvers would refuse, a row that is not
there, a cursor that points nowhere): that path then reports the error exactly as always.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLSchema
from graphql.execution.values import get_variable_values
from sqlalchemy import Text, cast, select, type_coerce

from gql.compiled.catalog import ROOTS
from gql.compiled.plan import Plan
from gql.compiled.render import Element, Renderer
from gql.compiled.selection import FallbackError, plain
from resolvers.context import RequestContext


class Tier:
    """What one tier's statement selects: a value per root field, then the guards."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.values: list[Element] = []

    def add(self, value: Element) -> int:
        self.values.append(value)
        return len(self.values) - 1


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
    instance_ids: frozenset[uuid.UUID] | None = context.caller.instance_ids
    tiers: dict[str, Tier] = {}

    def tier(name: str) -> Tier:
        if name not in tiers:
            engine = context.tiers.template if name == "template" else context.tiers.instance
            tiers[name] = Tier(
                Renderer(
                    schema,
                    engine.engine.dialect.name,
                    plan.fragments,
                    coerced,
                    context.max_page_size,
                    instance_ids,
                )
            )
        return tiers[name]

    # Each root key: a literal answer, or (tier, index of its value, empty list refused).
    slots: list[tuple[bytes, bytes | tuple[str, int, bool]]] = []
    collector = Renderer(schema, "sqlite", plan.fragments, coerced, 0, None)
    try:
        for key, nodes in collector.collect("Query", [plan.operation.selection_set]).items():
            name = nodes[0].name.value
            label = json.dumps(key).encode()
            if name == "__typename":
                slots.append((label, b'"Query"'))
                continue
            root = ROOTS[name]
            arguments = collector.arguments("Query", nodes)
            tier_name = root.tier
            if root.kind == "schema_guide":
                tier_name = str(plain(arguments["tier"]))
            target = tier(tier_name)
            renderer = target.renderer
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
            slots.append((label, (tier_name, target.add(value), refuse_empty)))
    except FallbackError:
        return None
    answers: dict[str, Any] = {}
    for name, target in tiers.items():
        answer = await _execute(context, name, target)
        if answer is None:
            return None
        answers[name] = answer
    parts = []
    for label, slot in slots:
        if isinstance(slot, bytes):
            parts.append(label + b":" + slot)
            continue
        tier_name, index, refuse_empty = slot
        text = answers[tier_name][index]
        if text is None or (refuse_empty and text == "[]"):
            return None  # a missing row or an unknown table: the resolvers' NOT_FOUND
        parts.append(label + b":" + text.encode())
    return b'{"data":{' + b",".join(parts) + b"}}"


async def _execute(context: RequestContext, name: str, target: Tier) -> list[Any] | None:
    renderer = target.renderer
    postgres = renderer.sql.postgres
    columns = [
        (cast(value, Text) if postgres else type_coerce(value, Text)).label(f"f{index}")
        for index, value in enumerate(target.values)
    ]
    guards = [guard.label(f"g{index}") for index, guard in enumerate(renderer.guards)]
    row = (await context.reader(name).execute(select(*columns, *guards))).one()
    values = list(row)
    if not all(values[len(columns) :]):
        return None  # a cursor names no row: the resolvers' "unknown cursor"
    return values[: len(columns)]

"""Mutations answered without graphql-core's execution: the compiled path for writes.

Every write is already one service call behind a thin resolver (`schema.mutation`); what
the resolver path adds around it is per-field machinery (argument conversion, awaitable
checks, a completion per payload field) that cost as much Python as the transition itself
(issue 18). A mutation document compiles when it has one root field of the Mutation type
whose resolver takes `input` and reads nothing of `info` but the context, and its payload
selection is plain (`gql.compiled.payloads`). Running it then costs the variables'
coercion (graphql-core's own, so a bad variable is answered exactly as always by falling
back), one conversion of the input (`gql.compiled.inputs`), the very same resolver, and
the payload written as JSON. Anything else keeps the resolver path.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    located_error,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.types.field import StrawberryField

from gql.compiled.inputs import Converter, InputConverters, UnsupportedInputError
from gql.compiled.payloads import NotPlainError, Render, renderer
from gql.masking import reported
from resolvers.context import RequestContext

log = logging.getLogger("chameleon.compiled")


class NotCompiledMutationError(Exception):
    """Why a mutation document keeps the resolver path."""


@dataclass(frozen=True, slots=True)
class _Resolving:
    """What a resolver reads of `info`: the request context, nothing else (checked when
    the mutation is planned: only resolvers that take `info` for it are called here)."""

    context: RequestContext


@dataclass(frozen=True, slots=True)
class MutationPlan:
    operation: OperationDefinitionNode
    node: FieldNode
    key: str
    field: Any  # graphql-core's GraphQLField of the root field
    resolver: Any  # Strawberry's resolver of the root field
    info_name: str
    convert: Converter
    render: Render


class MutationCompiler:
    """Plans mutation documents against the Strawberry schema behind `schema`."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        strawberry_schema: Any = schema._strawberry_schema  # type: ignore[attr-defined]
        converter = strawberry_schema.schema_converter
        self.inputs = InputConverters(strawberry_schema.config, converter.scalar_registry)

    def plan(self, operation: OperationDefinitionNode, fragments: dict[str, Any]) -> MutationPlan:
        try:
            return self._plan(operation, fragments)
        except (NotPlainError, UnsupportedInputError) as reason:
            raise NotCompiledMutationError(str(reason)) from None

    def _plan(self, operation: OperationDefinitionNode, fragments: dict[str, Any]) -> MutationPlan:
        if fragments or operation.directives:
            raise NotCompiledMutationError("fragments or directives")
        selections = operation.selection_set.selections
        if len(selections) != 1 or not isinstance(selections[0], FieldNode):
            raise NotCompiledMutationError("not one root field")
        node = selections[0]
        if node.directives or node.name.value == "__typename":
            raise NotCompiledMutationError("a directive or __typename at the root")
        mutation_type = self.schema.mutation_type
        assert isinstance(mutation_type, GraphQLObjectType)
        graphql_field = mutation_type.fields[node.name.value]
        definition = graphql_field.extensions.get("strawberry-definition")
        if not isinstance(definition, StrawberryField) or definition.base_resolver is None:
            raise NotCompiledMutationError(f"Mutation.{node.name.value} has no resolver")
        resolver = definition.base_resolver
        arguments = resolver.arguments
        info = resolver.info_parameter
        if (
            definition.extensions
            or definition.permission_classes
            or info is None
            or resolver.self_parameter is None
            or [a.python_name for a in arguments] != ["input"]
            or not resolver.is_async
        ):
            raise NotCompiledMutationError(f"Mutation.{node.name.value}'s resolver is not plain")
        convert = self.inputs.of(arguments[0].type)
        render = renderer(graphql_field.type, node.selection_set)
        key = (node.alias or node.name).value
        return MutationPlan(
            operation, node, key, graphql_field, resolver, info.name, convert, render
        )


def _dumps(body: dict[str, Any]) -> bytes:
    """As Starlette's JSONResponse writes the resolver path's answers."""
    return json.dumps(
        body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


async def run_mutation(
    schema: GraphQLSchema,
    plan: MutationPlan,
    variables: dict[str, Any] | None,
    context: RequestContext,
) -> bytes | None:
    """The response body, or None when the resolver path must answer (a variable or an
    argument that does not coerce: it reports the error exactly as always)."""
    coerced = get_variable_values(
        schema, plan.operation.variable_definitions or (), dict(variables or {})
    )
    if isinstance(coerced, list):
        return None
    try:
        arguments = get_argument_values(plan.field, plan.node, coerced)
    except GraphQLError:
        return None
    data = plan.convert(arguments["input"])
    kwargs = {plan.info_name: _Resolving(context), "input": data}
    try:
        payload = await plan.resolver(None, **kwargs)
        rendered = plan.render(payload)
    except Exception as error:  # as graphql-core would: the root field fails
        located = located_error(error, [plan.node], [plan.key])
        failed = None if isinstance(plan.field.type, GraphQLNonNull) else {plan.key: None}
        error_body = [reported(context.request_id, located).formatted]
        return _dumps({"data": failed, "errors": error_body})
    return _dumps({"data": {plan.key: rendered}})

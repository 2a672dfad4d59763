"""The query cost limit: how many objects an operation may ask for, refused before any SQL.

Depth and page size bound each level, not their product: three nested connections of 500
ask for 125 million objects while every level is legal. The cost is the number of objects
the operation could return:

- a field returning an object (or a list of them) costs 1 plus the cost of its selection;
  scalar and enum fields cost nothing;
- a paginated field (it has a `first` argument) multiplies that by its page: `first`, or
  the default page size when absent;
- a plain list (no `first`: a template's roles, a workflow's components...) multiplies by
  `PLAIN_LIST_ESTIMATE`, as its size is bounded by the template, not by the client;
- a connection's `edges` multiply by 1: the connection field counted its page already.

The cost needs the variables (`first: $n`), so it is computed as execution starts (after
validation, before the first resolver), once per operation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from strawberry.extensions import SchemaExtension

from resolvers.pagination import DEFAULT_PAGE_SIZE

PLAIN_LIST_ESTIMATE = 10
CONNECTION_FIELDS = frozenset({"edges", "pageInfo"})


class QueryCostError(GraphQLError):
    def __init__(self, cost: int, limit: int) -> None:
        super().__init__(
            f"query cost {cost} is over the limit of {limit}: ask for smaller pages "
            "(`first`) or fewer nested lists",
            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": limit},
        )


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection_cost(self, selections: SelectionSetNode | None, parent: GraphQLNamedType) -> int:
        if selections is None:
            return 0
        return sum(
            self.field_cost(node, owner) for node, owner in self._fields(selections, parent, set())
        )

    def _fields(
        self, selections: SelectionSetNode, parent: GraphQLNamedType, seen: set[str]
    ) -> Iterator[tuple[FieldNode, GraphQLNamedType]]:
        """The fields selected on `parent`, through inline fragments and fragment spreads."""
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                owner = self._type(selection.type_condition, parent)
                yield from self._fields(selection.selection_set, owner, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # validation refuses both first
                    continue
                owner = self._type(fragment.type_condition, parent)
                yield from self._fields(fragment.selection_set, owner, seen | {name})

    def _type(self, condition: Any, parent: GraphQLNamedType) -> GraphQLNamedType:
        if condition is None:
            return parent
        found = self.schema.get_type(condition.name.value)
        return found if found is not None else parent

    def field_cost(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        name = node.name.value
        if name.startswith("__"):  # introspection: bounded by the schema's size
            return 0
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        inner = self.selection_cost(node.selection_set, named)
        return self._multiplier(node, definition, parent) * (1 + inner)

    def _multiplier(
        self, node: FieldNode, definition: GraphQLField, parent: GraphQLNamedType
    ) -> int:
        if "first" in definition.args:
            return max(self._first(node), 0)
        if not isinstance(get_nullable_type(definition.type), GraphQLList):
            return 1
        if node.name.value in CONNECTION_FIELDS and _is_connection(parent):
            return 1
        return PLAIN_LIST_ESTIMATE

    def _first(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return given
        return DEFAULT_PAGE_SIZE


def _is_connection(parent: GraphQLNamedType) -> bool:
    return isinstance(parent, GraphQLObjectType) and parent.fields.keys() >= CONNECTION_FIELDS


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    """The cost of `operation`; the document is already bounded (tokens, depth), so the
    walk is short."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Walker(schema, fragments, variables).selection_cost(operation.selection_set, root)


class QueryCostLimit(SchemaExtension):
    """Refuses an operation over the limit as execution starts: no resolver has run, so no
    SQL has been sent. A GraphQL error with code QUERY_TOO_COSTLY and the computed cost."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            wanted = context.operation_name
            chosen = next(
                (o for o in operations if wanted is None or (o.name and o.name.value == wanted)),
                None,
            )
            if chosen is not None:
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                cost = operation_cost(
                    context.schema._schema,
                    chosen,
                    fragments,
                    context.variables or {},
                )
                if cost > self.limit:
                    raise QueryCostError(cost, self.limit)
        yield

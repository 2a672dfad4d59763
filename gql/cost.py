"""The query cost limit: how many objects an operation may ask for, refused before any SQL.

Depth and page size bound each level, not their product: three nested connections of 500
ask for 125 million objects while every level is legal. The cost is the number of objects
the operation could return:

- a field returning an object (or a list of them) costs 1 plus the cost of its selection;
  scalar and enum fields cost nothing;
- a paginated field (it has a `first` argument) multiplies that by its page: `first` or
  `last`, or the default page size when absent;
- a plain list (no `first`: a template's roles, a workflow's components...) multiplies by
  `PLAIN_LIST_ESTIMATE`, as its size is bounded by the template, not by the client;
- a connection's `edges` multiply by 1: the connection field counted its page already.

The cost needs the variables (`first: $n`), so it is computed as execution starts (after
validation, before the first resolver), once per operation.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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

PAGE_SIZE_ARGUMENTS = frozenset({"first", "last"})

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
        self.used: set[str] = set()  # variables that gave a page size

    def cost(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return 0 if root is None else self.selection_cost(operation.selection_set, root)

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
            return max(self._page_size(node), 0)
        if not isinstance(get_nullable_type(definition.type), GraphQLList):
            return 1
        if node.name.value in CONNECTION_FIELDS and _is_connection(parent):
            return 1
        return PLAIN_LIST_ESTIMATE

    def _page_size(self, node: FieldNode) -> int:
        """`first` or `last` (a page reads one of them; both together are refused)."""
        for argument in node.arguments or ():
            if argument.name.value not in PAGE_SIZE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                self.used.add(value.name.value)
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
    return _Walker(schema, fragments, variables).cost(operation)


Key = tuple[str, str | None]
MAX_VALUES_PER_DOCUMENT = 64  # page sizes remembered per document (`first: $n` as sent)


@dataclass(slots=True)
class _Known:
    variables: tuple[str, ...]  # the variables whose value changes the cost (`first: $n`)
    costs: dict[tuple[Any, ...], int] = field(default_factory=dict)


class CostCache:
    """The costs of the documents seen, by query text and operation name, least recently
    used forgotten first (as the parser and validation caches do): the walk takes tens of
    µs, a real share of a small mutation's time, and clients send the same few documents.
    A document whose pages come from variables is remembered per value of those."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._known: OrderedDict[Key, _Known] = OrderedDict()

    def cost(
        self,
        schema: GraphQLSchema,
        query: str | None,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> int:
        if query is None:  # a document given parsed: nothing to key it by
            return operation_cost(schema, operation, fragments, variables)
        key = (query, operation.name.value if operation.name else None)
        known = self._known.get(key)
        if known is None:
            walker = _Walker(schema, fragments, variables)
            cost = walker.cost(operation)
            known = self._known[key] = _Known(tuple(sorted(walker.used)))
            if len(self._known) > self.maxsize:
                self._known.popitem(last=False)
            self._remember(known, variables, cost)
            return cost
        self._known.move_to_end(key)
        values = tuple(variables.get(name) for name in known.variables)
        with contextlib.suppress(TypeError):  # an unhashable value: never remembered
            if values in known.costs:
                return known.costs[values]
        cost = operation_cost(schema, operation, fragments, variables)
        self._remember(known, variables, cost)
        return cost

    @staticmethod
    def _remember(known: _Known, variables: Mapping[str, Any], cost: int) -> None:
        if len(known.costs) < MAX_VALUES_PER_DOCUMENT:
            values = tuple(variables.get(name) for name in known.variables)
            with contextlib.suppress(TypeError):
                known.costs[values] = cost


class QueryCostLimit(SchemaExtension):
    """Refuses an operation over the limit as execution starts: no resolver has run, so no
    SQL has been sent. A GraphQL error with code QUERY_TOO_COSTLY and the computed cost."""

    def __init__(self, *, limit: CostLimit) -> None:
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
                cost = self.limit.cache.cost(
                    context.schema._schema,
                    context.query,
                    chosen,
                    fragments,
                    context.variables or {},
                )
                if cost > self.limit.limit:
                    raise QueryCostError(cost, self.limit.limit)
        yield


@dataclass(frozen=True, slots=True)
class CostLimit:
    """The limit and its cost cache, one per app for both read paths: `QueryCostLimit`
    refuses on the resolver path; the compiled path (it runs no schema extensions) asks
    `exceeded` and leaves a document over it to the resolvers."""

    cache: CostCache
    limit: int

    def exceeded(
        self,
        schema: GraphQLSchema,
        query: str,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> bool:
        return self.cache.cost(schema, query, operation, fragments, variables) > self.limit

"""Which documents compile, decided once per (document, operation name) and cached.

A document compiles when it parses and validates under the server's own rules and limits,
its operation is a query, and every field it selects (in every fragment, whatever the
@skip/@include variables) is one the catalog maps to SQL. Anything else (a mutation, a
subscription, introspection, a field with resolver logic such as `LocalRole.inbox`) keeps
the resolver path, and the reason is logged once at debug level.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Visitor,
    get_named_type,
    parse,
    specified_rules,
    validate,
    visit,
)

from gql.compiled.catalog import CONSTANTS, RELATIONS, ROOTS, TABLES, Paged
from gql.compiled.mutations import MutationCompiler, MutationPlan, NotCompiledMutationError
from gql.compiled.selection import scalar_column

log = logging.getLogger("chameleon.compiled")
_CONNECTION_FIELDS = {"edges", "pageInfo", "totalCount", "__typename"}


@dataclass(frozen=True, slots=True)
class Plan:
    """A query the compiled path answers: its operation and the document's fragments."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    # Statements built for this plan, by the shape of the variables (`gql.compiled.run`).
    built: dict[Any, Any] = field(default_factory=dict, compare=False)


class NotCompiledError(Exception):
    """Why a document keeps the resolver path."""


class InvalidDocumentError(Exception):
    """The document does not parse or validate: a client error, not a planner's choice."""


class Planner:
    """Decides per document and keeps the decision (a bounded LRU, like the parser cache)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        rules: Sequence[type[ASTValidationRule]],
        max_tokens: int,
        maxsize: int = 512,
        *,
        reads: bool = True,
        mutations: bool = False,
    ) -> None:
        self.schema = schema
        self.rules = [*specified_rules, *rules]
        self.max_tokens = max_tokens
        self.maxsize = maxsize
        self.reads = reads
        self.mutations = MutationCompiler(schema) if mutations else None
        self._cache: OrderedDict[tuple[str, str | None], Plan | MutationPlan | None] = OrderedDict()

    def plan(self, query: str, operation_name: str | None) -> Plan | MutationPlan | None:
        key = (query, operation_name)
        try:
            plan = self._cache[key]
        except KeyError:
            pass
        else:
            self._cache.move_to_end(key)
            return plan
        try:
            plan = self._decide(query, operation_name)
        except InvalidDocumentError:
            plan = None  # the resolvers report it to the client, and log it once
        except NotCompiledError as reason:
            log.debug("not compiled (%s): %.200s", reason, query)
            plan = None
        self._cache[key] = plan
        if len(self._cache) > self.maxsize:
            self._cache.popitem(last=False)
        return plan

    def _decide(self, query: str, operation_name: str | None) -> Plan | MutationPlan:
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            raise InvalidDocumentError from None
        if validate(self.schema, document, self.rules):
            raise InvalidDocumentError
        operation = _operation(document, operation_name)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        if operation.operation is OperationType.MUTATION and self.mutations is not None:
            try:
                return self.mutations.plan(operation, fragments)
            except NotCompiledMutationError as reason:
                raise NotCompiledError(str(reason)) from None
        if operation.operation is not OperationType.QUERY or not self.reads:
            raise NotCompiledError(f"a {operation.operation.value}")
        plan = Plan(operation, fragments)
        self._object_conditions(document)
        _Checker(self.schema, fragments).root(operation.selection_set)
        return plan

    def _object_conditions(self, document: DocumentNode) -> None:
        """Fragments only on object types: the renderer matches a condition by type name,
        which would silently drop a fragment on an interface or a union."""
        found: list[str] = []

        class Conditions(Visitor):
            def enter_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> None:
                if node.type_condition is not None:
                    found.append(node.type_condition.name.value)

            def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
                found.append(node.type_condition.name.value)

        visit(document, Conditions())
        for name in found:
            if not isinstance(self.schema.type_map.get(name), GraphQLObjectType):
                raise NotCompiledError(f"a fragment on {name}, not an object type")


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) != 1:
            raise NotCompiledError("operationName missing")
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise NotCompiledError(f"no operation named {name!r}")


class _Checker:
    """Walks every selection (all fragments, directives ignored) and refuses unknown fields."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments

    def fields(
        self, selection_set: SelectionSetNode, seen: frozenset[str] = frozenset()
    ) -> list[FieldNode]:
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found.extend(self.fields(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen:
                    fragment = self.fragments[name]
                    found.extend(self.fields(fragment.selection_set, seen | {name}))
        return found

    def root(self, selection_set: SelectionSetNode) -> None:
        for node in self.fields(selection_set):
            name = node.name.value
            if name == "__typename":
                continue
            root = ROOTS.get(name)
            if root is None:
                raise NotCompiledError(f"Query.{name} is not compiled")
            if root.kind == "paged":
                assert root.relation is not None
                _known_arguments(node, root.relation)
                self.connection("Query", name, root.relation, node)
            elif root.kind == "schema_guide":
                self.scalars("SchemaGuideRow", node)
            else:
                assert root.target is not None
                assert node.selection_set is not None
                self.object(root.target, node.selection_set)

    def object(self, type_name: str, selection_set: SelectionSetNode) -> None:
        graphql_type = self.schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        for node in self.fields(selection_set):
            name = node.name.value
            if name == "__typename" or (type_name, name) in CONSTANTS:
                continue
            relation = RELATIONS.get((type_name, name))
            if isinstance(relation, Paged):
                _known_arguments(node, relation)
                self.connection(type_name, name, relation, node)
            elif relation is not None:
                _known_arguments(node, None)
                assert node.selection_set is not None
                self.object(relation.target, node.selection_set)
            else:
                _known_arguments(node, None)
                column = scalar_column(type_name, graphql_type.fields[name])
                if column is None or column not in TABLES[type_name].c:
                    raise NotCompiledError(f"{type_name}.{name} is not compiled")

    def scalars(self, type_name: str, node: FieldNode) -> None:
        graphql_type = self.schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        assert node.selection_set is not None
        for selected in self.fields(node.selection_set):
            name = selected.name.value
            if name != "__typename" and scalar_column(type_name, graphql_type.fields[name]) is None:
                raise NotCompiledError(f"{type_name}.{name} is not compiled")

    def connection(self, parent: str, name: str, relation: Paged, node: FieldNode) -> None:
        parent_type = self.schema.type_map[parent]
        assert isinstance(parent_type, GraphQLObjectType)
        assert node.selection_set is not None
        connection_type = get_named_type(parent_type.fields[name].type)
        assert isinstance(connection_type, GraphQLObjectType)
        for selected in self.fields(node.selection_set):
            if selected.name.value not in _CONNECTION_FIELDS:
                raise NotCompiledError(
                    f"{connection_type.name}.{selected.name.value} is not compiled"
                )
            if selected.name.value == "edges" and selected.selection_set is not None:
                for edge_field in self.fields(selected.selection_set):
                    if edge_field.name.value == "node" and edge_field.selection_set is not None:
                        self.object(relation.target, edge_field.selection_set)


_PAGE_ARGUMENTS = frozenset({"first", "after"})


def _known_arguments(node: FieldNode, relation: Paged | None) -> None:
    """Refuses a field given an argument the compiled path does not apply (a newer filter,
    `last`/`before`): answering without it would be a wrong answer, not a slower one."""
    known: set[str] = set()
    if relation is not None:
        known = {*_PAGE_ARGUMENTS, *relation.filters}
        if relation.root_argument is not None:
            known.add(relation.root_argument)
    for argument in node.arguments or ():
        if argument.name.value not in known:
            raise NotCompiledError(f"{node.name.value}({argument.name.value}:) is not compiled")

"""The GraphQL side of rendering: fields merged by response key as execution merges them,
@skip/@include and arguments evaluated with the request's variables, and what makes a
request the resolvers' to answer (`FallbackError`)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
)
from graphql.language import Node
from sqlalchemy import BindParameter, bindparam

from schema.describe import COLUMN

FieldNodes = Sequence[FieldNode]


class FallbackError(Exception):
    """This execution is answered by the resolver path (it would report an error)."""


def scalar_column(type_name: str, graphql_field: GraphQLField) -> str | None:
    """The column a field without a relationship reads, or None when its resolver computes it."""
    definition = graphql_field.extensions.get("strawberry-definition")
    if definition is None:
        return None
    name = definition.metadata.get(COLUMN)
    if name is not None:
        return cast(str, name)
    if definition.base_resolver is not None:
        return None
    return cast(str, definition.python_name)


class Selection:
    """Walks one operation's selections with its coerced variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        params: Params,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.params = params

    def collect(
        self, type_name: str, sets: Sequence[SelectionSetNode | None]
    ) -> dict[str, list[FieldNode]]:
        """Fields by response key, as GraphQL execution merges them (@skip/@include applied)."""
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in sets:
            if selection_set is not None:
                self._collect(type_name, selection_set, fields, set())
        return fields

    def _collect(
        self,
        type_name: str,
        selection_set: SelectionSetNode,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value == type_name:
                    self._collect(type_name, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments[name]
                if fragment.type_condition.name.value == type_name:
                    self._collect(type_name, fragment.selection_set, fields, visited)

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def arguments(self, parent: str, nodes: FieldNodes) -> Args:
        graphql_type = self.schema.type_map[parent]
        assert isinstance(graphql_type, GraphQLObjectType)
        definition = graphql_type.fields[nodes[0].name.value]
        values = get_argument_values(definition, nodes[0], self.variables)
        sources = {}
        for argument in nodes[0].arguments or ():
            if isinstance(argument.value, VariableNode):
                sources[argument.name.value] = argument.value.name.value
            elif _has_variable(argument.value):
                self.params.cacheable = False  # a variable inside a list or input object
        return Args(values, sources)


def _has_variable(node: Node) -> bool:
    found = False

    class Find(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    visit(node, Find())
    return found


def _same(value: Any) -> Any:
    return value


@dataclass(slots=True)
class Args:
    """A field's coerced arguments, and the variable each one was passed as (if it was)."""

    values: dict[str, Any]
    sources: dict[str, str]

    def get(self, name: str) -> Any:
        return self.values.get(name)


class Params:
    """The bound values of one built statement, so that it can be kept and run again.

    A value written in the document is fixed with the plan; a value passed as a variable
    is converted (and checked, which may raise `FallbackError`) again for every request.
    Anything else a variable decides (a directive, null or not, a tier) is part of the key
    the built statement is kept under (`shape`)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.specs: dict[str, tuple[str | None, Callable[[Any], Any], Any]] = {}
        self.cacheable = True

    def bind(
        self, args: Args, name: str, convert: Callable[[Any], Any] = _same, **kw: Any
    ) -> BindParameter[Any]:
        value = convert(args.get(name))
        return self.add(args.sources.get(name), convert, value, **kw)

    def add(
        self, variable: str | None, convert: Callable[[Any], Any], value: Any, **kw: Any
    ) -> BindParameter[Any]:
        key = f"{self.prefix}{len(self.specs)}"
        self.specs[key] = (variable, convert, value)
        return bindparam(key, **kw)

    def values(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters for a request whose variables are `variables`."""
        return {
            key: fixed if variable is None else convert(variables.get(variable))
            for key, (variable, convert, fixed) in self.specs.items()
        }


def shape(value: Any) -> Any:
    """What of a variable's value decides the statement's form (not its bound values)."""
    if value is None or isinstance(value, bool | enum.Enum):
        return value
    if isinstance(value, int):
        return ("int", value == 0)
    if isinstance(value, list):
        return ("list", len(value) == 0)
    if isinstance(value, dict):
        return tuple(sorted((key, shape(item)) for key, item in value.items()))
    return type(value).__name__


def plain(value: Any) -> Any:
    """An enum argument's stored value (arguments come back as the schema's enum members)."""
    return value.value if isinstance(value, enum.Enum) else value


def parse_id(value: Any) -> uuid.UUID:
    """An `ID` argument as the resolvers parse it; a bad one is their error to report."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise FallbackError("an id is not a UUID") from None

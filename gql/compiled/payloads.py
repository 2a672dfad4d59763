"""Payload objects written as JSON without the resolver path's per-field execution.

A mutation's payload is built by its resolver from the rows the service wrote; what a client
selects from it is, almost always, plain: columns of those rows, the errors, `__typename`.
For such a selection graphql-core would still run a resolver, an awaitable check and a
completion per field. Here the selection is turned once into a renderer that reads each
field the way Strawberry would (the field's own synchronous resolver, or the attribute of
the same name) and serialises each leaf with the schema's own scalar or enum, so the JSON
is the resolver path's to the byte. A selection with anything else (an argument, a
directive, a fragment, a field that needs `info` or a loader, an abstract type) is refused
at planning time and the document keeps the resolver path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    SelectionSetNode,
)
from graphql.pyutils import Undefined
from strawberry.types.field import StrawberryField

Render = Callable[[Any], Any]


class NotPlainError(Exception):
    """The selection needs the resolver path (the reason is the message)."""


class RenderError(Exception):
    """A value the schema's type refuses (null for a non-null field): a server bug."""


def renderer(graphql_type: GraphQLOutputType, selection_set: SelectionSetNode | None) -> Render:
    """The function that turns a value of `graphql_type` into its JSON-ready form."""
    if isinstance(graphql_type, GraphQLNonNull):
        inner = renderer(graphql_type.of_type, selection_set)

        def required(value: Any) -> Any:
            if value is None:
                raise RenderError("null for a non-null field")
            return inner(value)

        return required
    if isinstance(graphql_type, GraphQLList):
        item = renderer(graphql_type.of_type, selection_set)
        return lambda value: None if value is None else [item(v) for v in value]
    if isinstance(graphql_type, GraphQLScalarType | GraphQLEnumType):
        return _leaf(graphql_type)
    if isinstance(graphql_type, GraphQLObjectType):
        if selection_set is None:
            raise NotPlainError(f"{graphql_type.name} without a selection")
        return _object(graphql_type, selection_set)
    raise NotPlainError(f"{graphql_type} is an abstract type")


def _leaf(graphql_type: GraphQLScalarType | GraphQLEnumType) -> Render:
    serialize = graphql_type.serialize

    def leaf(value: Any) -> Any:
        if value is None:
            return None
        serialized = serialize(value)
        if serialized is None or serialized is Undefined:
            raise RenderError(f"{graphql_type.name} cannot represent {value!r}")
        return serialized

    return leaf


def _object(graphql_type: GraphQLObjectType, selection_set: SelectionSetNode) -> Render:
    parts: list[tuple[str, Callable[[Any], Any], Render | None]] = []
    keys: set[str] = set()
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode):
            raise NotPlainError("a fragment")
        if selection.directives:
            raise NotPlainError("a directive")
        if selection.arguments:
            raise NotPlainError(f"{graphql_type.name}.{selection.name.value} with arguments")
        key = (selection.alias or selection.name).value
        if key in keys:
            raise NotPlainError(f"{key} selected twice")
        keys.add(key)
        name = selection.name.value
        if name == "__typename":
            parts.append((key, _constant(graphql_type.name), None))
            continue
        graphql_field = graphql_type.fields[name]
        read = _reader(graphql_type.name, name, graphql_field.extensions)
        parts.append((key, read, renderer(graphql_field.type, selection.selection_set)))

    def rendered(value: Any) -> Any:
        if value is None:
            return None
        answer = {}
        for key, read, render in parts:
            answer[key] = read(value) if render is None else render(read(value))
        return answer

    return rendered


def _constant(value: str) -> Callable[[Any], str]:
    return lambda _parent: value


def _reader(type_name: str, name: str, extensions: dict[str, Any]) -> Callable[[Any], Any]:
    """How Strawberry reads the field: its resolver when it is a plain function of the
    parent, else the parent's attribute."""
    definition = extensions.get("strawberry-definition")
    if not isinstance(definition, StrawberryField):
        raise NotPlainError(f"{type_name}.{name} is not a Strawberry field")
    if definition.extensions or definition.permission_classes:
        raise NotPlainError(f"{type_name}.{name} has field extensions")
    resolver = definition.base_resolver
    if resolver is None:
        attribute, default = definition.python_name, definition.default_resolver
        return lambda value: default(value, attribute)
    if resolver.is_async or resolver.info_parameter is not None or resolver.arguments:
        raise NotPlainError(f"{type_name}.{name} needs the resolver path")
    positional = resolver.self_parameter is not None
    named = [p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p is not None]

    def call(value: Any) -> Any:
        return resolver(*((value,) if positional else ()), **dict.fromkeys(named, value))

    return call

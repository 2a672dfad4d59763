"""Input objects built from coerced GraphQL values by converters made once per type.

Strawberry's `convert_argument` walks an input's type definition on every call (the name
converter, `resolve_type` and the leaf checks for every field of every item): about 0.8 ms
per item of a `transitionUows` batch, half of the server's time there. The conversion itself
is fixed by the type, so it is worked out once here: each field's GraphQL name, Python name
and converter, applied to the values graphql-core has already coerced. The result is the
same object Strawberry builds (a test compares the two on generated inputs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Converter = Callable[[Any], Any]


class UnsupportedInputError(Exception):
    """A type this module does not build (it stays with Strawberry's own conversion)."""


class InputConverters:
    """Converters by type, made on first use and kept for the schema's life."""

    def __init__(self, config: StrawberryConfig, scalars: Mapping[object, Any]) -> None:
        self.config = config
        self.scalars = scalars
        self._made: dict[Any, Converter] = {}

    def of(self, type_: Any) -> Converter:
        made = self._made.get(type_)
        if made is None:
            made = self._made[type_] = self._make(type_)
        return made

    def _make(self, type_: Any) -> Converter:
        if isinstance(type_, StrawberryMaybe):
            raise UnsupportedInputError("Maybe[...] inputs")
        if isinstance(type_, StrawberryOptional):
            return self._make(type_.of_type)
        if isinstance(type_, LazyType):
            return self._make(type_.resolve_type())
        if isinstance(type_, StrawberryList):
            return self._list(type_.of_type)
        if self._is_leaf(type_):
            return _leaf
        if has_object_definition(type_):
            return self._object(type_)
        raise UnsupportedInputError(f"input type {type_!r}")

    def _is_leaf(self, type_: Any) -> bool:
        if isinstance(type_, StrawberryOptional):
            return self._is_leaf(type_.of_type)
        if isinstance(type_, LazyType):
            return self._is_leaf(type_.resolve_type())
        # Strawberry's own leaves: scalars (their values are coerced already) and enums.
        return (
            is_scalar(type_, self.scalars)
            or isinstance(type_, StrawberryEnumDefinition)
            or has_enum_definition(type_)
        )

    def _list(self, item_type: Any) -> Converter:
        if self._is_leaf(item_type):
            # Copied: graphql-core hands every request that omits a value the same default.
            def copied(value: Any) -> Any:
                return None if value is None else (UNSET if value is UNSET else list(value))

            return copied
        convert_item = self.of(item_type)

        def each(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            return [convert_item(item) for item in value]

        return each

    def _object(self, cls: type[Any]) -> Converter:
        definition = cls.__strawberry_definition__
        if definition.from_input is not None or not definition.is_input:
            raise UnsupportedInputError(f"{definition.name} builds itself")
        required_none = {
            f.python_name: None
            for f in definition.fields
            if f.default_value is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        fields: list[tuple[str, str, Converter]] = []
        for f in definition.fields:
            field_type = f.resolve_type(type_definition=definition)
            graphql_name = self.config.name_converter.from_field(f)
            fields.append((graphql_name, f.python_name, self.of(field_type)))

        def build(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            kwargs = dict(required_none)
            for graphql_name, python_name, convert in fields:
                if graphql_name in value:
                    kwargs[python_name] = convert(value[graphql_name])
            return cls(**kwargs)

        return build


def _leaf(value: Any) -> Any:
    return value

"""One order and one notion of "the same content" for templates, whatever they came from.

A template's elements have no order of their own (the tables are sets); the canonical order
sorts them by name (components by their role, then name; guardians by name). Two templates
have the same content when their canonical specs agree on every field, the version and the
row ids aside. JSON values compare as JSON: a mapping's key order does not count, `true` is
not `1`, and numbers compare by decimal value (PostgreSQL's jsonb keeps `1e16` as the
integer 10000000000000000, SQLite keeps the float: both are the same number).
"""

from __future__ import annotations

import dataclasses
import enum
from decimal import Decimal
from typing import Any

from storage.templates.specs import ComponentSpec, TemplateSpec


def canonical_spec(spec: TemplateSpec) -> TemplateSpec:
    """`spec` with its elements in the canonical order (a new spec; fields untouched)."""
    components = tuple(
        dataclasses.replace(c, guardians=tuple(sorted(c.guardians, key=lambda g: g.name)))
        for c in sorted(spec.components, key=_component_order)
    )
    return dataclasses.replace(
        spec,
        roles=tuple(sorted(spec.roles, key=lambda r: r.name)),
        interactions=tuple(sorted(spec.interactions, key=lambda i: i.name)),
        components=components,
    )


def _component_order(component: ComponentSpec) -> tuple[str, str]:
    return (component.role, component.name)


def comparable(value: Any) -> Any:
    """A value that is equal for equal JSON content and hashable (see the module doc)."""
    if isinstance(value, bool) or value is None:
        return ("bool", value)
    if isinstance(value, int):
        return ("number", Decimal(value))
    if isinstance(value, float):
        return ("number", Decimal(repr(value)))
    if isinstance(value, str):
        return ("text", value)
    if isinstance(value, enum.Enum):
        return ("enum", value.value)
    if isinstance(value, dict):
        return ("map", frozenset((str(k), comparable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("list", tuple(comparable(item) for item in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, comparable(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    raise TypeError(f"{type(value).__name__} is not part of a template")


def same_content(left: TemplateSpec, right: TemplateSpec) -> bool:
    """Whether two templates say the same thing, their versions aside."""
    left, right = canonical_spec(left), canonical_spec(right)
    same: bool = comparable(dataclasses.replace(left, version=None)) == comparable(
        dataclasses.replace(right, version=None)
    )
    return same

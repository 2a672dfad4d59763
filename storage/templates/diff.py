"""What changed between two templates (usually two versions of one), element by element.

Elements are matched by name within their kind (names are unique per workflow); a guardian
is an element of its own whose `component` is one of its fields, so moving a guardian reads
as one change. Field values are the document's (enum names, JSON as stored), so a frontend
can show `before` and `after` as they would appear in the YAML.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storage.templates.canonical import canonical_spec, comparable
from storage.templates.export import (
    component_document,
    guardian_document,
    interaction_document,
    role_document,
    workflow_document,
)
from storage.templates.specs import TemplateSpec


class TemplateElementKind(enum.Enum):
    WORKFLOW = "WORKFLOW"
    ROLE = "ROLE"
    INTERACTION = "INTERACTION"
    COMPONENT = "COMPONENT"
    GUARDIAN = "GUARDIAN"


class TemplateChangeKind(enum.Enum):
    ADDED = "ADDED"
    REMOVED = "REMOVED"
    CHANGED = "CHANGED"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an element: its value before and after (None: not set)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class ElementChange:
    """An element added, removed or changed, with every field that differs (for an added
    or removed element: every field it has) and the element as a whole on each side."""

    kind: TemplateElementKind
    name: str
    change: TemplateChangeKind
    fields: tuple[FieldChange, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _elements(spec: TemplateSpec) -> dict[TemplateElementKind, dict[str, dict[str, Any]]]:
    """Each kind's elements by name, in document form."""
    guardians: dict[str, dict[str, Any]] = {}
    for component in spec.components:
        for guardian in component.guardians:
            guardians[guardian.name] = {"component": component.name, **guardian_document(guardian)}
    return {
        TemplateElementKind.WORKFLOW: {spec.name: workflow_document(spec)},
        TemplateElementKind.ROLE: {r.name: role_document(r) for r in spec.roles},
        TemplateElementKind.INTERACTION: {
            i.name: interaction_document(i) for i in spec.interactions
        },
        TemplateElementKind.COMPONENT: {
            c.name: component_document(c, guardians=False) for c in spec.components
        },
        TemplateElementKind.GUARDIAN: guardians,
    }


def _field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    keys = [key for key in (*before, *after) if key != "name"]
    return tuple(
        FieldChange(key, before.get(key), after.get(key))
        for key in dict.fromkeys(keys)
        if comparable(before.get(key)) != comparable(after.get(key))
    )


def diff_templates(before: TemplateSpec, after: TemplateSpec) -> list[ElementChange]:
    """The changes from `before` to `after`, by kind (workflow, roles, interactions,
    components, guardians), then name; nothing for two templates of the same content."""
    old, new = _elements(canonical_spec(before)), _elements(canonical_spec(after))
    changes: list[ElementChange] = []
    for kind in TemplateElementKind:
        if kind is TemplateElementKind.WORKFLOW:
            # One workflow on each side, whatever their names: compare them as one element.
            (old_one,), (new_one,) = old[kind].values(), new[kind].values()
            fields = _field_changes(old_one, new_one)
            if old_one["name"] != new_one["name"]:
                fields = (FieldChange("name", old_one["name"], new_one["name"]), *fields)
            if fields:
                changes.append(
                    ElementChange(
                        kind, after.name, TemplateChangeKind.CHANGED, fields, old_one, new_one
                    )
                )
            continue
        changes += _kind_changes(kind, old[kind], new[kind])
    return changes


def _kind_changes(
    kind: TemplateElementKind, old: Mapping[str, dict[str, Any]], new: Mapping[str, dict[str, Any]]
) -> Iterable[ElementChange]:
    empty: dict[str, Any] = {}
    for name in sorted(old.keys() | new.keys()):
        fields = _field_changes(old.get(name, empty), new.get(name, empty))
        if name not in old:
            yield ElementChange(kind, name, TemplateChangeKind.ADDED, fields, None, new[name])
        elif name not in new:
            yield ElementChange(kind, name, TemplateChangeKind.REMOVED, fields, old[name], None)
        elif fields:
            yield ElementChange(
                kind, name, TemplateChangeKind.CHANGED, fields, old[name], new[name]
            )

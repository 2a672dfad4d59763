"""A stored template as a document again: the import format, canonical.

Canonical means the same template always gives the same text: keys in one order, elements
sorted by name (components by their role, then name), mapping keys of JSON values sorted
(PostgreSQL's jsonb keeps its own key order, SQLite the writer's), defaults (nothing, an
empty list) left out, and child templates named with the version actually linked, so that
re-importing the document yields the same template wherever it is imported.

Reading (`stored_spec`) and writing text (`render_document`) are separate so the importer
and the diff can compare stored templates as specs, with no text in between.
"""

from __future__ import annotations

import uuid
from typing import Any

import yaml
from sqlalchemy import Connection, select

from storage.models.graphs import TEMPLATE_GRAPH, TEMPLATE_TABLES
from storage.templates.canonical import canonical_spec
from storage.templates.specs import (
    ComponentSpec,
    GuardianSpec,
    InteractionSpec,
    RoleSpec,
    TemplateSpec,
)

WORKFLOWS = TEMPLATE_TABLES.workflows


def named_id(connection: Connection, name: str, version: int | None) -> uuid.UUID | None:
    """The id of template `name` (its newest version unless one is given)."""
    query = select(WORKFLOWS.c.workflow_id).where(WORKFLOWS.c.name == name)
    if version is None:
        query = query.order_by(WORKFLOWS.c.version.desc()).limit(1)
    else:
        query = query.where(WORKFLOWS.c.version == version)
    found: uuid.UUID | None = connection.scalar(query)
    return found


def export_named(connection: Connection, name: str, version: int | None) -> str | None:
    """The document of the template `name` (its newest version unless one is given)."""
    workflow_id = named_id(connection, name, version)
    return None if workflow_id is None else export_document(connection, workflow_id)


def export_document(connection: Connection, workflow_id: uuid.UUID) -> str | None:
    """The template's document, or None when there is no such template."""
    spec = stored_spec(connection, workflow_id)
    return None if spec is None else render_document(spec)


def stored_spec(connection: Connection, workflow_id: uuid.UUID) -> TemplateSpec | None:
    """The template as stored, in canonical order, child templates by name and the version
    linked; None when there is no such template. Five statements plus one for children."""
    graph = TEMPLATE_GRAPH.read(connection, workflow_id)
    if graph is None:
        return None
    workflow, roles, interactions, components, guardians = graph
    child_ids = {role.child_workflow_id for role in roles if role.child_workflow_id}
    children = {
        row.workflow_id: row
        for row in connection.execute(
            select(WORKFLOWS.c.workflow_id, WORKFLOWS.c.name, WORKFLOWS.c.version).where(
                WORKFLOWS.c.workflow_id.in_(child_ids)
            )
        )
    }
    role_names = {role.role_id: role.name for role in roles}
    interaction_names = {i.interaction_id: i.name for i in interactions}
    by_component: dict[uuid.UUID, list[GuardianSpec]] = {}
    for g in guardians:
        by_component.setdefault(g.component_id, []).append(
            GuardianSpec(g.name, g.type, g.description, g.ai_context, g.config or {})
        )

    def role(row: Any) -> RoleSpec:
        child = children.get(row.child_workflow_id) if row.child_workflow_id else None
        return RoleSpec(
            row.name,
            row.role_type,
            row.strategy,
            row.description,
            row.ai_context,
            child.name if child else None,
            child.version if child else None,
        )

    spec = TemplateSpec(
        name=workflow.name,
        version=workflow.version,
        description=workflow.description,
        ai_context=workflow.ai_context,
        roles=tuple(role(row) for row in roles),
        interactions=tuple(
            InteractionSpec(i.name, i.description, i.ai_context, i.stale_token_limit_seconds)
            for i in interactions
        ),
        components=tuple(
            ComponentSpec(
                c.name,
                role_names[c.role_id],
                interaction_names[c.interaction_id],
                c.direction,
                c.description,
                c.ai_context,
                tuple(by_component.get(c.component_id, ())),
            )
            for c in components
        ),
    )
    return canonical_spec(spec)


def render_document(spec: TemplateSpec) -> str:
    """The canonical YAML text of a spec (put in canonical order first)."""
    spec = canonical_spec(spec)
    document = {
        "workflow": _present(
            name=spec.name,
            version=spec.version,
            description=spec.description,
            ai_context=_sorted_json(spec.ai_context),
            roles=[role_document(role) for role in spec.roles],
            interactions=[interaction_document(i) for i in spec.interactions],
            components=[component_document(c) for c in spec.components],
        )
    }
    return str(yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))


# PyYAML's safe dumper, except that a string holding one of YAML 1.1's extra line breaks
# (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR) is written double-quoted, where they are
# escaped: in the other styles PyYAML writes them raw and reading folds them to a space.
# (Built with `type` because PyYAML ships no type information to subclass under mypy.)
_Dumper: Any = type("_Dumper", (yaml.SafeDumper,), {})
_LINE_BREAKS = "\x85\u2028\u2029"


def _string(dumper: Any, text: str) -> Any:
    style = '"' if any(ch in text for ch in _LINE_BREAKS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def _sorted_json(value: Any) -> Any:
    """A JSON value with every mapping's keys in sorted order (lists keep theirs)."""
    if isinstance(value, dict):
        return {key: _sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_sorted_json(item) for item in value]
    return value


def _present(**fields: Any) -> dict[str, Any]:
    """The fields that carry something: nothing (None) and empty element lists are the
    defaults and left out; an empty text or mapping is a value and kept."""
    return {key: value for key, value in fields.items() if value is not None and value != []}


def role_document(role: RoleSpec) -> dict[str, Any]:
    return _present(
        name=role.name,
        role_type=role.role_type.value,
        strategy=role.strategy.value if role.strategy else None,
        description=role.description,
        ai_context=_sorted_json(role.ai_context),
        child_workflow=role.child_workflow,
        child_workflow_version=role.child_workflow_version,
    )


def interaction_document(interaction: InteractionSpec) -> dict[str, Any]:
    return _present(
        name=interaction.name,
        description=interaction.description,
        ai_context=_sorted_json(interaction.ai_context),
        stale_token_limit_seconds=interaction.stale_token_limit_seconds,
    )


def component_document(component: ComponentSpec, *, guardians: bool = True) -> dict[str, Any]:
    """A component as its document has it (without its guardians when `guardians` is
    False: the diff treats them as elements of their own)."""
    return _present(
        name=component.name,
        role=component.role,
        interaction=component.interaction,
        direction=component.direction.value,
        description=component.description,
        ai_context=_sorted_json(component.ai_context),
        guardians=[guardian_document(g) for g in component.guardians] if guardians else None,
    )


def guardian_document(guardian: GuardianSpec) -> dict[str, Any]:
    return _present(
        name=guardian.name,
        type=guardian.type.value,
        description=guardian.description,
        ai_context=_sorted_json(guardian.ai_context),
        config=_sorted_json(guardian.config) or None,  # {} is the default
    )


def workflow_document(spec: TemplateSpec) -> dict[str, Any]:
    """The workflow's own fields (no elements, no version)."""
    return _present(
        name=spec.name, description=spec.description, ai_context=_sorted_json(spec.ai_context)
    )

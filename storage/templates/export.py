"""A stored template as a document again: the import format, canonical.

Canonical means the same template always gives the same text: keys in one order, elements
sorted by name (components by their role, then name), defaults and empty values left out,
and child templates named with the version actually linked, so that re-importing the
document yields the same template wherever it is imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, cast

import yaml
from sqlalchemy import Connection, Table, select

from storage.models import (
    TemplateComponentRow,
    TemplateGuardianRow,
    TemplateInteractionRow,
    TemplateRoleRow,
    TemplateWorkflowRow,
)

WORKFLOWS = cast(Table, TemplateWorkflowRow.__table__)
ROLES = cast(Table, TemplateRoleRow.__table__)
INTERACTIONS = cast(Table, TemplateInteractionRow.__table__)
COMPONENTS = cast(Table, TemplateComponentRow.__table__)
GUARDIANS = cast(Table, TemplateGuardianRow.__table__)


def export_named(connection: Connection, name: str, version: int | None) -> str | None:
    """The document of the template `name` (its newest version unless one is given)."""
    query = select(WORKFLOWS.c.workflow_id).where(WORKFLOWS.c.name == name)
    if version is None:
        query = query.order_by(WORKFLOWS.c.version.desc()).limit(1)
    else:
        query = query.where(WORKFLOWS.c.version == version)
    workflow_id = connection.scalar(query)
    return None if workflow_id is None else export_document(connection, workflow_id)


def export_document(connection: Connection, workflow_id: uuid.UUID) -> str | None:
    """The template's document, or None when there is no such template."""
    workflow = connection.execute(
        select(WORKFLOWS).where(WORKFLOWS.c.workflow_id == workflow_id)
    ).first()
    if workflow is None:
        return None

    def of(table: Table) -> list[Any]:
        rows = connection.execute(select(table).where(table.c.workflow_id == workflow_id))
        return sorted(rows, key=lambda row: row.name)

    roles, interactions = of(ROLES), of(INTERACTIONS)
    components, guardians = of(COMPONENTS), of(GUARDIANS)
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
    by_component: dict[uuid.UUID, list[Any]] = {}
    for guardian in guardians:
        by_component.setdefault(guardian.component_id, []).append(guardian)
    document = {
        "workflow": _present(
            name=workflow.name,
            version=workflow.version,
            description=workflow.description,
            ai_context=workflow.ai_context,
            roles=[_role(role, children) for role in roles],
            interactions=[_interaction(i) for i in interactions],
            components=[
                _component(c, role_names, interaction_names, by_component.get(c.component_id, []))
                for c in sorted(components, key=lambda c: (role_names[c.role_id], c.name))
            ],
        )
    }
    return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))


def _present(**fields: Any) -> dict[str, Any]:
    """The fields that carry something (defaults and empty values are left out)."""
    return {key: value for key, value in fields.items() if value not in (None, [], {}, "")}


def _role(role: Any, children: Mapping[uuid.UUID, Any]) -> dict[str, Any]:
    child = children.get(role.child_workflow_id) if role.child_workflow_id else None
    return _present(
        name=role.name,
        role_type=role.role_type.value,
        strategy=role.strategy.value if role.strategy else None,
        description=role.description,
        ai_context=role.ai_context,
        child_workflow=child.name if child else None,
        child_workflow_version=child.version if child else None,
    )


def _interaction(interaction: Any) -> dict[str, Any]:
    return _present(
        name=interaction.name,
        description=interaction.description,
        ai_context=interaction.ai_context,
        stale_token_limit_seconds=interaction.stale_token_limit_seconds,
    )


def _component(
    component: Any,
    roles: Mapping[uuid.UUID, str],
    interactions: Mapping[uuid.UUID, str],
    guardians: list[Any],
) -> dict[str, Any]:
    return _present(
        name=component.name,
        role=roles[component.role_id],
        interaction=interactions[component.interaction_id],
        direction=component.direction.value,
        description=component.description,
        ai_context=component.ai_context,
        guardians=[
            _present(
                name=g.name,
                type=g.type.value,
                description=g.description,
                ai_context=g.ai_context,
                config=g.config,
            )
            for g in sorted(guardians, key=lambda g: g.name)
        ],
    )

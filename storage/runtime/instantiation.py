"""Instantiation (SPEC 4.3): deep-copy a template and its child templates into a new instance.

The template tier is read here and nowhere else at run time: level by level through the
child references (one query per level and table), then the whole copy is written to the
instance tier in one transaction with one multi-row INSERT per table.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engines import Tiers
from storage.enums import ActorType, AssignmentStatus, InstanceStatus
from storage.errors import DomainError, ErrorCode, Problem
from storage.ids import new_id
from storage.models import ActorRow, AssignmentRow, InstanceRow, TemplateWorkflowRow
from storage.models.graphs import LOCAL_GRAPH, TEMPLATE_GRAPH
from storage.runtime.audit import audit
from storage.values import check_text, checked_json, column_length

DEFAULT_MAX_DEPTH = 16
NAME_LENGTH = column_length(InstanceRow.name)
ACTOR_NAME_LENGTH = column_length(ActorRow.name)
IDENTITY_KEY_LENGTH = column_length(ActorRow.identity_key)


@dataclass(frozen=True, slots=True)
class ActorSpec:
    """An actor to register with the new instance, and the roles it is assigned to
    (`"Role"` in the master workflow, or `"Workflow.Role"`)."""

    name: str
    identity_key: str
    type: ActorType
    description: str | None = None
    capabilities: Any = None
    roles: list[str] = field(default_factory=list)


@dataclass
class _Blueprint:
    """Every row of the templates to copy, read from the template tier."""

    workflows: list[Any] = field(default_factory=list)
    roles: list[Any] = field(default_factory=list)
    interactions: list[Any] = field(default_factory=list)
    components: list[Any] = field(default_factory=list)
    guardians: list[Any] = field(default_factory=list)


def _fail(code: ErrorCode, message: str, *path: str) -> DomainError:
    return DomainError.single(code, message, ("input", *path))


async def instantiate(
    tiers: Tiers,
    *,
    name: str,
    template_id: uuid.UUID | None = None,
    template_name: str | None = None,
    template_version: int | None = None,
    description: str | None = None,
    actors: Sequence[ActorSpec] = (),
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> InstanceRow:
    """A new ACTIVE instance: a deep copy of the template and its children, with its actors
    and their assignments, written in one transaction after every client value is checked.

    A retired template is refused (CONFLICT naming it); by name without a version that is
    its newest version, retired or not, so retiring the newest never silently falls back to
    an older one. Retired child templates are still copied: the parent that names them is
    what was asked for."""
    if not name.strip():
        raise _fail(ErrorCode.VALIDATION_FAILED, "name: an instance needs a name", "name")
    check_text(name, ("input", "name"), NAME_LENGTH)
    check_text(description, ("input", "description"))
    check_text(template_name, ("input", "templateName"))  # a NUL cannot even be looked up
    if (template_id is None) == (template_name is None):
        raise _fail(
            ErrorCode.VALIDATION_FAILED,
            "give either templateId or templateName (with an optional templateVersion)",
            "templateId",
        )
    async with tiers.template.sessions() as session:
        master = await _master(session, template_id, template_name, template_version)
        blueprint = await _read_blueprint(session, master, max_depth)
    try:
        async with tiers.instance.writing() as session:
            return await _copy(session, blueprint, master.workflow_id, name, description, actors)
    except IntegrityError:
        raise _fail(
            ErrorCode.CONFLICT, f"an instance named {name!r} already exists", "name"
        ) from None


async def _master(
    session: AsyncSession, template_id: uuid.UUID | None, name: str | None, version: int | None
) -> Any:
    query = select(TemplateWorkflowRow)
    if template_id is not None:
        query = query.where(TemplateWorkflowRow.workflow_id == template_id)
    else:
        query = query.where(TemplateWorkflowRow.name == name)
        if version is None:
            query = query.order_by(TemplateWorkflowRow.version.desc()).limit(1)
        else:
            query = query.where(TemplateWorkflowRow.version == version)
    row = (await session.scalars(query)).first()
    if row is None:
        what = (
            template_id
            if template_id is not None
            else (f"{name!r}" + ("" if version is None else f" version {version}"))
        )
        raise _fail(
            ErrorCode.NOT_FOUND,
            f"no template {what}",
            "templateId" if template_id is not None else "templateName",
        )
    if row.retired_at is not None:
        raise _fail(
            ErrorCode.CONFLICT,
            f"template {row.name!r} version {row.version} is retired (since "
            f"{row.retired_at.isoformat()}): no new instances are made from it; instantiate "
            "another version",
            "templateId" if template_id is not None else "templateName",
        )
    return row


async def _read_blueprint(session: AsyncSession, master: Any, max_depth: int) -> _Blueprint:
    """The master and every template reachable through child references, each read once,
    one level of the child graph at a time."""
    blueprint = _Blueprint(workflows=[master])
    seen = {master.workflow_id}
    frontier = [master.workflow_id]
    depth = 0
    while frontier:
        depth += 1
        roles = await _rows(session, TEMPLATE_GRAPH.roles, frontier)
        blueprint.roles += roles
        blueprint.interactions += await _rows(session, TEMPLATE_GRAPH.interactions, frontier)
        blueprint.components += await _rows(session, TEMPLATE_GRAPH.components, frontier)
        blueprint.guardians += await _rows(session, TEMPLATE_GRAPH.guardians, frontier)
        new = {r.child_workflow_id for r in roles if r.child_workflow_id is not None} - seen
        if new and depth >= max_depth:
            raise _fail(
                ErrorCode.RULE_VIOLATION,
                f"template {master.name!r} nests child templates deeper than {max_depth} levels",
                "templateId",
            )
        if new:
            blueprint.workflows += list(
                await session.scalars(
                    select(TemplateWorkflowRow).where(TemplateWorkflowRow.workflow_id.in_(new))
                )
            )
            seen |= new
        frontier = list(new)
    _refuse_cycles(blueprint, master.name)
    return blueprint


async def _rows(session: AsyncSession, model: Any, workflow_ids: list[uuid.UUID]) -> list[Any]:
    return list(await session.scalars(select(model).where(model.workflow_id.in_(workflow_ids))))


def _refuse_cycles(blueprint: _Blueprint, master_name: str) -> None:
    """A child chain that leads back to a template already on the chain is refused."""
    children: dict[uuid.UUID, set[uuid.UUID]] = {}
    for role in blueprint.roles:
        if role.child_workflow_id is not None:
            children.setdefault(role.workflow_id, set()).add(role.child_workflow_id)
    names = {w.workflow_id: w.name for w in blueprint.workflows}
    done: set[uuid.UUID] = set()

    def visit(workflow: uuid.UUID, trail: list[uuid.UUID]) -> None:
        if workflow in trail:
            loop = " -> ".join(names[w] for w in [*trail[trail.index(workflow) :], workflow])
            raise _fail(
                ErrorCode.RULE_VIOLATION,
                f"the child templates of {master_name!r} form a cycle: {loop}",
                "templateId",
            )
        if workflow in done:
            return
        for child in children.get(workflow, ()):
            visit(child, [*trail, workflow])
        done.add(workflow)

    for workflow in names:
        visit(workflow, [])


async def _copy(
    session: AsyncSession,
    blueprint: _Blueprint,
    master_id: uuid.UUID,
    name: str,
    description: str | None,
    actors: Sequence[ActorSpec],
) -> InstanceRow:
    instance_id = new_id()
    ids: dict[uuid.UUID, uuid.UUID] = {}  # template id -> its copy's id

    def copy_id(template_id: uuid.UUID) -> uuid.UUID:
        return ids.setdefault(template_id, new_id())

    def element(row: Any) -> dict[str, Any]:
        """What the copy of any element takes from its template row: its workflow's copy,
        and the columns of `storage.models.elements` that all four kinds share as they are."""
        return {
            "local_workflow_id": copy_id(row.workflow_id),
            "name": row.name,
            "description": row.description,
            "ai_context": row.ai_context,
        }

    names = {w.workflow_id: w.name for w in blueprint.workflows}
    if len(set(names.values())) < len(names):
        raise _fail(
            ErrorCode.CONFLICT,
            "the template and its children share a workflow name "
            "(two versions of one template cannot live in one instance)",
            "templateId",
        )
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (
            InstanceRow,
            [
                {
                    "instance_id": instance_id,
                    "name": name,
                    "description": description,
                    "status": InstanceStatus.ACTIVE,
                }
            ],
        ),
        (
            LOCAL_GRAPH.workflows,
            [
                {
                    "local_workflow_id": copy_id(w.workflow_id),
                    "instance_id": instance_id,
                    "original_workflow_id": w.workflow_id,
                    "name": w.name,
                    "description": w.description,
                    "ai_context": w.ai_context,
                    "version": w.version,
                    "is_active": True,
                    "is_master": w.workflow_id == master_id,
                }
                for w in blueprint.workflows
            ],
        ),
        (
            LOCAL_GRAPH.roles,
            [
                {
                    "role_id": copy_id(r.role_id),
                    **element(r),
                    "role_type": r.role_type,
                    "decomposition_strategy": r.strategy,
                    "is_recursive_gateway": r.child_workflow_id is not None,
                    "linked_local_workflow_id": (
                        None if r.child_workflow_id is None else copy_id(r.child_workflow_id)
                    ),
                }
                for r in blueprint.roles
            ],
        ),
        (
            LOCAL_GRAPH.interactions,
            [
                {
                    "interaction_id": copy_id(i.interaction_id),
                    **element(i),
                    "stale_token_limit_seconds": i.stale_token_limit_seconds,
                }
                for i in blueprint.interactions
            ],
        ),
        (
            LOCAL_GRAPH.components,
            [
                {
                    "component_id": copy_id(c.component_id),
                    **element(c),
                    "interaction_id": copy_id(c.interaction_id),
                    "role_id": copy_id(c.role_id),
                    "direction": c.direction,
                }
                for c in blueprint.components
            ],
        ),
        (
            LOCAL_GRAPH.guardians,
            [
                {
                    "guardian_id": copy_id(g.guardian_id),
                    **element(g),
                    "component_id": copy_id(g.component_id),
                    "type": g.type,
                    "attributes": g.config,
                }
                for g in blueprint.guardians
            ],
        ),
    ]
    actor_rows, assignment_rows = _actors(blueprint, actors, instance_id, master_id, copy_id)
    tables += [(ActorRow, actor_rows), (AssignmentRow, assignment_rows)]
    for model, rows in tables:
        if rows:
            # The table, not the ORM entity: the ORM splits a bulk insert wherever the set of
            # NULL columns changes from one row to the next; the table takes one executemany.
            await session.execute(insert(model.__table__), rows)
    audit(session, "instantiate", instance_id, template_id=str(master_id))
    await session.flush()
    instance = await session.get(InstanceRow, instance_id)
    assert instance is not None
    return instance


def _actors(
    blueprint: _Blueprint,
    actors: Sequence[ActorSpec],
    instance_id: uuid.UUID,
    master_id: uuid.UUID,
    copy_id: Any,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    workflow_names = {w.workflow_id: w.name for w in blueprint.workflows}
    by_name: dict[str, uuid.UUID] = {}
    for role in blueprint.roles:
        by_name[f"{workflow_names[role.workflow_id]}.{role.name}"] = role.role_id
        if role.workflow_id == master_id:
            by_name[role.name] = role.role_id
    problems: list[Problem] = []
    actor_rows: list[dict[str, Any]] = []
    assignment_rows: list[dict[str, Any]] = []
    for index, actor in enumerate(actors):
        actor_id = new_id()
        at = ("input", "actors", str(index))
        check_text(actor.name, (*at, "name"), ACTOR_NAME_LENGTH)
        check_text(actor.identity_key, (*at, "identityKey"), IDENTITY_KEY_LENGTH)
        check_text(actor.description, (*at, "description"))
        actor_rows.append(
            {
                "actor_id": actor_id,
                "instance_id": instance_id,
                "identity_key": actor.identity_key,
                "name": actor.name,
                "description": actor.description,
                "type": actor.type,
                "capabilities": checked_json(actor.capabilities, (*at, "capabilities")),
            }
        )
        # "Role" and "Workflow.Role" may name one role: it is assigned once.
        assigned: set[uuid.UUID] = set()
        for role_name in actor.roles:
            role_id = by_name.get(role_name)
            if role_id is None:
                problems.append(
                    Problem(
                        ErrorCode.NOT_FOUND,
                        f"actor {actor.name!r}: no role {role_name!r} (use 'Role' for the master "
                        "workflow or 'Workflow.Role')",
                        (*at, "roles"),
                    )
                )
                continue
            if role_id in assigned:
                continue
            assigned.add(role_id)
            assignment_rows.append(
                {
                    "assignment_id": new_id(),
                    "actor_id": actor_id,
                    "role_id": copy_id(role_id),
                    "status": AssignmentStatus.ACTIVE,
                }
            )
    for field_name in ("name", "identity_key"):
        values = [getattr(a, field_name) for a in actors]
        for value in {v for v in values if values.count(v) > 1}:
            problems.append(
                Problem(
                    ErrorCode.CONFLICT,
                    f"two actors share the {field_name} {value!r}",
                    ("input", "actors"),
                )
            )
    if problems:
        raise DomainError(problems)
    return actor_rows, assignment_rows

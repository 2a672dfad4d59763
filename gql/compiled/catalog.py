"""Which table backs each GraphQL object type, and how each relationship field reaches its rows.

The resolver path answers these fields with loaders (`resolvers.loaders`, `resolvers.lists`);
this is the same knowledge as data, for the compiled path. Column-backed scalar fields need
no entry: a field without a resolver reads the column of its own name, an `id_field` the
column its metadata names (`schema.describe.COLUMN`). A field found nowhere here makes its
document run through the resolver path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase

from storage import models as m

UOW_ORDER = ("created_at", "uow_id")
# The `uows` filters on status sets and creation times (`resolvers.filters.uow_filter`).
UOW_RANGE = ("statuses", "createdAfter", "createdBefore")
BY_NAME = ("name",)


def _table(model: type[DeclarativeBase]) -> Table:
    return cast(Table, model.__table__)


TABLES: dict[str, Table] = {
    "TemplateWorkflow": _table(m.TemplateWorkflowRow),
    "TemplateRole": _table(m.TemplateRoleRow),
    "TemplateInteraction": _table(m.TemplateInteractionRow),
    "TemplateComponent": _table(m.TemplateComponentRow),
    "TemplateGuardian": _table(m.TemplateGuardianRow),
    "Instance": _table(m.InstanceRow),
    "LocalWorkflow": _table(m.LocalWorkflowRow),
    "LocalRole": _table(m.LocalRoleRow),
    "LocalInteraction": _table(m.LocalInteractionRow),
    "LocalComponent": _table(m.LocalComponentRow),
    "LocalGuardian": _table(m.LocalGuardianRow),
    "Actor": _table(m.ActorRow),
    "RoleAssignment": _table(m.AssignmentRow),
    "UnitOfWork": _table(m.UnitOfWorkRow),
    "UowAttribute": _table(m.UowAttributeRow),
    "UowHistoryEntry": _table(m.UowHistoryRow),
    "InteractionLog": _table(m.InteractionLogRow),
}


@dataclass(frozen=True, slots=True)
class ToOne:
    """The row of `target` whose primary key is the parent's `fk` (null when `fk` is)."""

    target: str
    fk: str


@dataclass(frozen=True, slots=True)
class ToMany:
    """Rows of `target` whose `column` equals the parent's `parent_column`, in `order`
    (then the primary key), narrowed by `where` (column, stored value) pairs."""

    target: str
    column: str
    parent_column: str
    order: tuple[str, ...] = BY_NAME
    where: tuple[tuple[str, str], ...] = ()
    first_only: bool = False  # a single object: the first row (Instance.masterWorkflow)


@dataclass(frozen=True, slots=True)
class Special:
    """A list the resolvers compute with more than one table (see `gql.compiled.render`)."""

    kind: str
    target: str


@dataclass(frozen=True, slots=True)
class Paged:
    """A connection: rows of `target` linked to the parent (`column` = parent's
    `parent_column`; `column` None: every row; `kind` "role_uows": the role's union), in
    `order` ending with the primary key, with the field's filter arguments in `filters`."""

    target: str
    column: str | None
    parent_column: str | None
    order: tuple[str, ...]
    filters: tuple[str, ...] = ()
    kind: str = "column"
    root_argument: str | None = None  # Query.uows: the parent key is an argument


Relation = ToOne | ToMany | Special | Paged


def _many(target: str, column: str, parent: str, **kw: Any) -> ToMany:
    return ToMany(target, column, parent, **kw)


_T_WF = "workflow_id"
_L_WF = "local_workflow_id"

RELATIONS: dict[tuple[str, str], Relation] = {
    # Template tier.
    ("TemplateWorkflow", "roles"): _many("TemplateRole", _T_WF, _T_WF),
    ("TemplateWorkflow", "interactions"): _many("TemplateInteraction", _T_WF, _T_WF),
    ("TemplateWorkflow", "components"): _many("TemplateComponent", _T_WF, _T_WF),
    ("TemplateWorkflow", "guardians"): _many("TemplateGuardian", _T_WF, _T_WF),
    ("TemplateWorkflow", "parentRoles"): _many("TemplateRole", "child_workflow_id", _T_WF),
    ("TemplateRole", "workflow"): ToOne("TemplateWorkflow", _T_WF),
    ("TemplateRole", "childWorkflow"): ToOne("TemplateWorkflow", "child_workflow_id"),
    ("TemplateRole", "components"): _many("TemplateComponent", "role_id", "role_id"),
    ("TemplateInteraction", "workflow"): ToOne("TemplateWorkflow", _T_WF),
    ("TemplateInteraction", "components"): _many(
        "TemplateComponent", "interaction_id", "interaction_id"
    ),
    ("TemplateComponent", "workflow"): ToOne("TemplateWorkflow", _T_WF),
    ("TemplateComponent", "role"): ToOne("TemplateRole", "role_id"),
    ("TemplateComponent", "interaction"): ToOne("TemplateInteraction", "interaction_id"),
    ("TemplateComponent", "guardians"): _many("TemplateGuardian", "component_id", "component_id"),
    ("TemplateGuardian", "workflow"): ToOne("TemplateWorkflow", _T_WF),
    ("TemplateGuardian", "component"): ToOne("TemplateComponent", "component_id"),
    # Instance structure.
    ("Instance", "workflows"): _many("LocalWorkflow", "instance_id", "instance_id"),
    ("Instance", "masterWorkflow"): _many(
        "LocalWorkflow",
        "instance_id",
        "instance_id",
        where=(("is_master", "true"),),
        first_only=True,
    ),
    ("Instance", "actors"): _many("Actor", "instance_id", "instance_id"),
    ("Instance", "uows"): Paged(
        "UnitOfWork",
        "instance_id",
        "instance_id",
        UOW_ORDER,
        ("status", "interactionId", *UOW_RANGE),
    ),
    ("Instance", "logs"): Paged(
        "InteractionLog", "instance_id", "instance_id", ("timestamp", "log_id"), ("logTypes",)
    ),
    ("LocalWorkflow", "instance"): ToOne("Instance", "instance_id"),
    ("LocalWorkflow", "roles"): _many("LocalRole", _L_WF, _L_WF),
    ("LocalWorkflow", "interactions"): _many("LocalInteraction", _L_WF, _L_WF),
    ("LocalWorkflow", "components"): _many("LocalComponent", _L_WF, _L_WF),
    ("LocalWorkflow", "guardians"): _many("LocalGuardian", _L_WF, _L_WF),
    ("LocalWorkflow", "gatewayRoles"): _many("LocalRole", "linked_local_workflow_id", _L_WF),
    ("LocalWorkflow", "uows"): Paged("UnitOfWork", _L_WF, _L_WF, UOW_ORDER, ("status",)),
    ("LocalRole", "workflow"): ToOne("LocalWorkflow", _L_WF),
    ("LocalRole", "linkedWorkflow"): ToOne("LocalWorkflow", "linked_local_workflow_id"),
    ("LocalRole", "inboundComponents"): _many(
        "LocalComponent", "role_id", "role_id", where=(("direction", "INBOUND"),)
    ),
    ("LocalRole", "outboundComponents"): _many(
        "LocalComponent", "role_id", "role_id", where=(("direction", "OUTBOUND"),)
    ),
    ("LocalRole", "assignments"): _many("RoleAssignment", "role_id", "role_id", order=("status",)),
    ("LocalRole", "uows"): Paged(
        "UnitOfWork", None, "role_id", UOW_ORDER, ("status",), kind="role_uows"
    ),
    ("LocalInteraction", "workflow"): ToOne("LocalWorkflow", _L_WF),
    ("LocalInteraction", "components"): _many("LocalComponent", "interaction_id", "interaction_id"),
    ("LocalInteraction", "uows"): Paged(
        "UnitOfWork", "current_interaction_id", "interaction_id", UOW_ORDER, ("status",)
    ),
    ("LocalComponent", "workflow"): ToOne("LocalWorkflow", _L_WF),
    ("LocalComponent", "role"): ToOne("LocalRole", "role_id"),
    ("LocalComponent", "interaction"): ToOne("LocalInteraction", "interaction_id"),
    ("LocalComponent", "guardians"): _many("LocalGuardian", "component_id", "component_id"),
    ("LocalGuardian", "workflow"): ToOne("LocalWorkflow", _L_WF),
    ("LocalGuardian", "component"): ToOne("LocalComponent", "component_id"),
    # Actors.
    ("Actor", "instance"): ToOne("Instance", "instance_id"),
    ("Actor", "assignments"): _many("RoleAssignment", "actor_id", "actor_id", order=("status",)),
    ("Actor", "roles"): Special("actor_roles", "LocalRole"),
    ("Actor", "work"): _many(
        "UnitOfWork",
        "locked_by_actor_id",
        "actor_id",
        order=("updated_at",),
        where=(("status", "ACTIVE"),),
    ),
    ("RoleAssignment", "actor"): ToOne("Actor", "actor_id"),
    ("RoleAssignment", "role"): ToOne("LocalRole", "role_id"),
    # Units of work and their records.
    ("UnitOfWork", "instance"): ToOne("Instance", "instance_id"),
    ("UnitOfWork", "workflow"): ToOne("LocalWorkflow", _L_WF),
    ("UnitOfWork", "parent"): ToOne("UnitOfWork", "parent_id"),
    ("UnitOfWork", "children"): Paged("UnitOfWork", "parent_id", "uow_id", UOW_ORDER, ("status",)),
    ("UnitOfWork", "currentInteraction"): ToOne("LocalInteraction", "current_interaction_id"),
    ("UnitOfWork", "currentRole"): ToOne("LocalRole", "current_role_id"),
    ("UnitOfWork", "lockedBy"): ToOne("Actor", "locked_by_actor_id"),
    ("UnitOfWork", "attributes"): Special("current_attributes", "UowAttribute"),
    ("UnitOfWork", "attributeHistory"): Paged(
        "UowAttribute", "uow_id", "uow_id", ("created_at", "attribute_id"), ("key",)
    ),
    ("UnitOfWork", "history"): Paged(
        "UowHistoryEntry", "uow_id", "uow_id", ("transition_timestamp", "history_id")
    ),
    ("UnitOfWork", "logs"): Paged(
        "InteractionLog", "uow_id", "uow_id", ("timestamp", "log_id"), ("logTypes",)
    ),
    ("UowAttribute", "actor"): ToOne("Actor", "actor_id"),
    ("UowHistoryEntry", "uow"): ToOne("UnitOfWork", "uow_id"),
    ("UowHistoryEntry", "actor"): ToOne("Actor", "actor_id"),
    ("UowHistoryEntry", "previousInteraction"): ToOne(
        "LocalInteraction", "previous_interaction_id"
    ),
    ("UowHistoryEntry", "newInteraction"): ToOne("LocalInteraction", "new_interaction_id"),
    ("InteractionLog", "instance"): ToOne("Instance", "instance_id"),
    ("InteractionLog", "uow"): ToOne("UnitOfWork", "uow_id"),
    ("InteractionLog", "actor"): ToOne("Actor", "actor_id"),
    ("InteractionLog", "role"): ToOne("LocalRole", "role_id"),
    ("InteractionLog", "interaction"): ToOne("LocalInteraction", "interaction_id"),
}

# Scalar fields whose value is not a column: the value every row of the type shows.
CONSTANTS: dict[tuple[str, str], str] = {("UowHistoryEntry", "dropped"): "0"}


@dataclass(frozen=True, slots=True)
class Root:
    """A Query field: the tier it reads and how (`lookup`: a row by the `id` argument)."""

    tier: str
    kind: str
    target: str | None = None
    relation: Paged | None = field(default=None)


ROOTS: dict[str, Root] = {
    "template": Root("template", "lookup", "TemplateWorkflow"),
    "templateByName": Root("template", "template_by_name", "TemplateWorkflow"),
    "templates": Root(
        "template",
        "paged",
        relation=Paged("TemplateWorkflow", None, None, ("created_at", "workflow_id"), ("filter",)),
    ),
    "instance": Root("instance", "lookup", "Instance"),
    "uow": Root("instance", "lookup", "UnitOfWork"),
    "actor": Root("instance", "lookup", "Actor"),
    "instances": Root(
        "instance",
        "paged",
        relation=Paged("Instance", None, None, ("deployment_date", "instance_id"), ("status",)),
    ),
    "uows": Root(
        "instance",
        "paged",
        relation=Paged(
            "UnitOfWork",
            "instance_id",
            None,
            UOW_ORDER,
            ("status", "interactionId", "parentId", *UOW_RANGE),
            root_argument="instanceId",
        ),
    ),
    "schemaGuide": Root("argument", "schema_guide"),
}

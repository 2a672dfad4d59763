"""Tier 1 models: the five template tables (SPEC 3.2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import DecompositionStrategy
from storage.models.base import TemplateBase, enum_column, owned_rows, uuid_pk
from storage.models.columns import ai_context_column, fk_column, name_column, text_column
from storage.models.elements import (
    AFTER_SHARED,
    ComponentColumns,
    GuardianColumns,
    InteractionColumns,
    RoleColumns,
    stale_limit_positive,
    strategy_iff_beta,
)
from storage.types import JSONType, UTCDateTime, UUIDType, utcnow
from storage.values import folded


def _folded_name(context: DefaultExecutionContext) -> str:
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
    return folded(str(parameters["name"]))


def _workflow_fk() -> Any:
    return fk_column(
        "Template_Workflows.workflow_id",
        "Workflow this element belongs to; deleted with it.",
        ondelete="CASCADE",
    )


class TemplateWorkflowRow(TemplateBase):
    __tablename__ = "Template_Workflows"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        {"comment": "Workflow blueprints; each (name, version) is immutable once imported."},
    )

    workflow_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the workflow blueprint.")
    name: Mapped[str] = name_column("Workflow name, unique per version.")
    # Set from `name` on every insert (a column default), never written by hand.
    name_folded: Mapped[str | None] = mapped_column(
        Text,
        nullable=True,
        default=_folded_name,
        comment="The name case-folded (NFKC), for case-insensitive search alike on every database.",
    )
    description: Mapped[str | None] = text_column("Human-readable purpose of the workflow.")
    ai_context: Mapped[Any | None] = ai_context_column()
    version: Mapped[int] = mapped_column(
        Integer, default=1, comment="Blueprint version, starting at 1."
    )
    schema_json: Mapped[Any | None] = mapped_column(
        JSONType, nullable=True, comment="Cached full graph of the blueprint as imported."
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, comment="When the blueprint was imported (UTC)."
    )
    retired_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(),
        nullable=True,
        comment="When the blueprint was retired (UTC): no new instances from it; "
        "NULL while it may be instantiated.",
    )

    roles: Mapped[list[TemplateRoleRow]] = owned_rows(
        "workflow", foreign_keys="TemplateRoleRow.workflow_id"
    )
    interactions: Mapped[list[TemplateInteractionRow]] = owned_rows("workflow")
    components: Mapped[list[TemplateComponentRow]] = owned_rows("workflow")
    guardians: Mapped[list[TemplateGuardianRow]] = owned_rows("workflow")
    parent_roles: Mapped[list[TemplateRoleRow]] = relationship(
        back_populates="child_workflow", foreign_keys="TemplateRoleRow.child_workflow_id"
    )


class TemplateRoleRow(RoleColumns, TemplateBase):
    __tablename__ = "Template_Roles"
    __table_args__ = (
        UniqueConstraint("workflow_id", "name"),
        strategy_iff_beta("strategy"),
        {"comment": "Roles of a blueprint: who acts at each step (ALPHA..TAU)."},
    )

    role_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the role.")
    workflow_id: Mapped[uuid.UUID] = _workflow_fk()
    strategy: Mapped[DecompositionStrategy | None] = enum_column(
        DecompositionStrategy,
        "strategy",
        "Decomposition strategy; required for BETA roles, absent otherwise.",
        nullable=True,
        sort_order=AFTER_SHARED,
    )
    child_workflow_id: Mapped[uuid.UUID | None] = fk_column(
        "Template_Workflows.workflow_id",
        "Child blueprint this role delegates to (recursive gateway), if any.",
        nullable=True,
        ondelete="RESTRICT",
        sort_order=AFTER_SHARED,
    )

    workflow: Mapped[TemplateWorkflowRow] = relationship(
        back_populates="roles", foreign_keys=[workflow_id]
    )
    child_workflow: Mapped[TemplateWorkflowRow | None] = relationship(
        back_populates="parent_roles", foreign_keys=[child_workflow_id]
    )
    components: Mapped[list[TemplateComponentRow]] = relationship(back_populates="role")


class TemplateInteractionRow(InteractionColumns, TemplateBase):
    __tablename__ = "Template_Interactions"
    __table_args__ = (
        UniqueConstraint("workflow_id", "name"),
        stale_limit_positive(),
        {"comment": "Interactions (queues) where units of work wait between roles."},
    )

    interaction_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the interaction.")
    workflow_id: Mapped[uuid.UUID] = _workflow_fk()

    workflow: Mapped[TemplateWorkflowRow] = relationship(back_populates="interactions")
    components: Mapped[list[TemplateComponentRow]] = relationship(back_populates="interaction")


class TemplateComponentRow(ComponentColumns, TemplateBase):
    __tablename__ = "Template_Components"
    __table_args__ = (
        UniqueConstraint("workflow_id", "name"),
        {"comment": "Components: directed links between a role and an interaction."},
    )

    component_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the component.")
    workflow_id: Mapped[uuid.UUID] = _workflow_fk()
    interaction_id: Mapped[uuid.UUID] = fk_column(
        "Template_Interactions.interaction_id",
        "Interaction at one end of the link.",
        ondelete="CASCADE",
    )
    role_id: Mapped[uuid.UUID] = fk_column(
        "Template_Roles.role_id", "Role at the other end of the link.", ondelete="CASCADE"
    )

    workflow: Mapped[TemplateWorkflowRow] = relationship(back_populates="components")
    role: Mapped[TemplateRoleRow] = relationship(back_populates="components")
    interaction: Mapped[TemplateInteractionRow] = relationship(back_populates="components")
    guardians: Mapped[list[TemplateGuardianRow]] = owned_rows("component")


class TemplateGuardianRow(GuardianColumns, TemplateBase):
    __tablename__ = "Template_Guardians"
    __table_args__ = (
        UniqueConstraint("workflow_id", "name"),
        {"comment": "Guardians: checks that gate or route work along a component."},
    )

    guardian_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the guardian.")
    workflow_id: Mapped[uuid.UUID] = _workflow_fk()
    component_id: Mapped[uuid.UUID] = fk_column(
        "Template_Components.component_id", "Component this guardian watches.", ondelete="CASCADE"
    )
    config: Mapped[Any | None] = mapped_column(
        JSONType,
        nullable=True,
        comment="Guardian settings, e.g. criteria or interaction_policy.",
        sort_order=AFTER_SHARED,
    )

    workflow: Mapped[TemplateWorkflowRow] = relationship(back_populates="guardians")
    component: Mapped[TemplateComponentRow] = relationship(back_populates="guardians")


class TemplateAuditRow(TemplateBase):
    """One template write and who made it, written in the transaction of the write itself
    (`storage.templates.audit`): a write that fails or is refused leaves no row. Append-only
    (database triggers refuse UPDATE and DELETE); no foreign key, so the record of a deleted
    template outlives it."""

    __tablename__ = "Template_Audit"
    __table_args__ = ({"comment": "Every template write with its caller; append-only."},)

    audit_id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=True, comment="Order of the writes (1, 2, ...)."
    )
    at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, comment="When the write was made, in its transaction (UTC)."
    )
    caller: Mapped[str] = mapped_column(
        String(200),
        comment="Who wrote: the token's subject, `anonymous` while auth is off, `cli` for "
        "the command line.",
    )
    action: Mapped[str] = mapped_column(
        String(32), comment="What was done: import, retire or delete."
    )
    template_id: Mapped[uuid.UUID] = mapped_column(
        UUIDType(), comment="The template written (its id may no longer exist after delete)."
    )
    template_name: Mapped[str] = mapped_column(
        String(200), index=True, comment="The template's name when it was written."
    )
    template_version: Mapped[int] = mapped_column(
        Integer, comment="The template's version when it was written."
    )
    outcome: Mapped[str] = mapped_column(Text, comment="What the write did, in a sentence.")

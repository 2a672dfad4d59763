"""Tier 2 structural models: the instance and its deep-copied workflow graph (SPEC 3.3)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import DecompositionStrategy, InstanceStatus
from storage.models.base import InstanceBase, enum_column, owned_rows, partial_unique_index, uuid_pk
from storage.models.columns import (
    ai_context_column,
    created_at_column,
    fk_column,
    json_column,
    name_column,
    text_column,
)
from storage.models.elements import (
    AFTER_SHARED,
    ComponentColumns,
    GuardianColumns,
    InteractionColumns,
    RoleColumns,
    stale_limit_positive,
    strategy_iff_beta,
)
from storage.types import UUIDType

if TYPE_CHECKING:
    from storage.models.instance_runtime import ActorRow, AssignmentRow, UnitOfWorkRow


def _local_workflow_fk() -> Any:
    return fk_column(
        "Local_Workflows.local_workflow_id",
        "Local workflow this element belongs to; deleted with it.",
        ondelete="CASCADE",
    )


class InstanceRow(InstanceBase):
    __tablename__ = "Instance_Context"
    __table_args__ = (
        UniqueConstraint("name"),
        {"comment": "Running instances: isolated deep copies of templates with their own data."},
    )

    instance_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the instance.")
    name: Mapped[str] = name_column("Instance name, unique.")
    description: Mapped[str | None] = text_column("What this instance is for.")
    status: Mapped[InstanceStatus] = enum_column(
        InstanceStatus,
        "instance_status",
        "ACTIVE, PAUSED or ARCHIVED; only ACTIVE instances accept work.",
        default=InstanceStatus.ACTIVE,
    )
    deployment_date: Mapped[datetime] = created_at_column("When the instance was created (UTC).")

    workflows: Mapped[list[LocalWorkflowRow]] = relationship(back_populates="instance")
    actors: Mapped[list[ActorRow]] = relationship(back_populates="instance")
    uows: Mapped[list[UnitOfWorkRow]] = relationship(back_populates="instance")


class LocalWorkflowRow(InstanceBase):
    __tablename__ = "Local_Workflows"
    __table_args__ = (
        UniqueConstraint("instance_id", "name"),
        partial_unique_index("uq_Local_Workflows_one_master", "instance_id", where="is_master"),
        {"comment": "Workflows copied into an instance; exactly one is the master."},
    )

    local_workflow_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the local workflow.")
    instance_id: Mapped[uuid.UUID] = fk_column(
        "Instance_Context.instance_id", "Instance owning this workflow copy."
    )
    original_workflow_id: Mapped[uuid.UUID] = mapped_column(
        UUIDType(),
        comment="Template_Workflows id it was copied from (plain value: tiers never join).",
    )
    name: Mapped[str] = name_column("Workflow name, unique in its instance.")
    description: Mapped[str | None] = text_column("Purpose of the workflow.")
    ai_context: Mapped[Any | None] = ai_context_column()
    version: Mapped[int] = mapped_column(Integer, comment="Template version it was copied from.")
    is_active: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="Whether the workflow accepts new work."
    )
    is_master: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="True for the workflow the instance was created from."
    )

    instance: Mapped[InstanceRow] = relationship(back_populates="workflows")
    roles: Mapped[list[LocalRoleRow]] = owned_rows(
        "workflow", foreign_keys="LocalRoleRow.local_workflow_id"
    )
    interactions: Mapped[list[LocalInteractionRow]] = owned_rows("workflow")
    components: Mapped[list[LocalComponentRow]] = owned_rows("workflow")
    guardians: Mapped[list[LocalGuardianRow]] = owned_rows("workflow")
    gateway_roles: Mapped[list[LocalRoleRow]] = relationship(
        back_populates="linked_workflow", foreign_keys="LocalRoleRow.linked_local_workflow_id"
    )
    uows: Mapped[list[UnitOfWorkRow]] = relationship(back_populates="workflow")


class LocalRoleRow(RoleColumns, InstanceBase):
    __tablename__ = "Local_Roles"
    __table_args__ = (
        UniqueConstraint("local_workflow_id", "name"),
        strategy_iff_beta("decomposition_strategy"),
        {"comment": "Roles of a local workflow."},
    )

    role_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the local role.")
    local_workflow_id: Mapped[uuid.UUID] = _local_workflow_fk()
    decomposition_strategy: Mapped[DecompositionStrategy | None] = enum_column(
        DecompositionStrategy,
        "decomposition_strategy",
        "Decomposition strategy; required for BETA roles, absent otherwise.",
        nullable=True,
        sort_order=AFTER_SHARED,
    )
    is_recursive_gateway: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        comment="True when the role delegates to a linked child workflow.",
        sort_order=AFTER_SHARED,
    )
    linked_local_workflow_id: Mapped[uuid.UUID | None] = fk_column(
        "Local_Workflows.local_workflow_id",
        "Child workflow copy (same instance) this gateway role delegates to.",
        nullable=True,
        sort_order=AFTER_SHARED,
    )

    workflow: Mapped[LocalWorkflowRow] = relationship(
        back_populates="roles", foreign_keys=[local_workflow_id]
    )
    linked_workflow: Mapped[LocalWorkflowRow | None] = relationship(
        back_populates="gateway_roles", foreign_keys=[linked_local_workflow_id]
    )
    components: Mapped[list[LocalComponentRow]] = relationship(back_populates="role")
    assignments: Mapped[list[AssignmentRow]] = relationship(back_populates="role")


class LocalInteractionRow(InteractionColumns, InstanceBase):
    __tablename__ = "Local_Interactions"
    __table_args__ = (
        UniqueConstraint("local_workflow_id", "name"),
        stale_limit_positive(),
        {"comment": "Interactions (queues) of a local workflow."},
    )

    interaction_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the local interaction.")
    local_workflow_id: Mapped[uuid.UUID] = _local_workflow_fk()

    workflow: Mapped[LocalWorkflowRow] = relationship(back_populates="interactions")
    components: Mapped[list[LocalComponentRow]] = relationship(back_populates="interaction")


class LocalComponentRow(ComponentColumns, InstanceBase):
    __tablename__ = "Local_Components"
    __table_args__ = (
        UniqueConstraint("local_workflow_id", "name"),
        {"comment": "Components of a local workflow: role-interaction links."},
    )

    component_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the local component.")
    local_workflow_id: Mapped[uuid.UUID] = _local_workflow_fk()
    interaction_id: Mapped[uuid.UUID] = fk_column(
        "Local_Interactions.interaction_id",
        "Interaction at one end of the link.",
        ondelete="CASCADE",
    )
    role_id: Mapped[uuid.UUID] = fk_column(
        "Local_Roles.role_id", "Role at the other end of the link.", ondelete="CASCADE"
    )

    workflow: Mapped[LocalWorkflowRow] = relationship(back_populates="components")
    role: Mapped[LocalRoleRow] = relationship(back_populates="components")
    interaction: Mapped[LocalInteractionRow] = relationship(back_populates="components")
    guardians: Mapped[list[LocalGuardianRow]] = owned_rows("component")


class LocalGuardianRow(GuardianColumns, InstanceBase):
    __tablename__ = "Local_Guardians"
    __table_args__ = (
        UniqueConstraint("local_workflow_id", "name"),
        {"comment": "Guardians of a local workflow's components."},
    )

    guardian_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the local guardian.")
    local_workflow_id: Mapped[uuid.UUID] = _local_workflow_fk()
    component_id: Mapped[uuid.UUID] = fk_column(
        "Local_Components.component_id", "Component this guardian watches.", ondelete="CASCADE"
    )
    attributes: Mapped[Any | None] = json_column(
        "Guardian settings copied from the template config (criteria, interaction_policy).",
        sort_order=AFTER_SHARED,
    )

    workflow: Mapped[LocalWorkflowRow] = relationship(back_populates="guardians")
    component: Mapped[LocalComponentRow] = relationship(back_populates="guardians")

"""Tier 2 runtime models: actors, memory, units of work and their append-only records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.enums import ActorType, AssignmentStatus, LogType, UowStatus
from storage.models.base import InstanceBase, enum_column, partial_unique_index, uuid_pk
from storage.models.columns import (
    ai_context_column,
    created_at_column,
    fk_column,
    json_column,
    name_column,
    text_column,
)
from storage.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from storage.models.instance_structure import (
        InstanceRow,
        LocalInteractionRow,
        LocalRoleRow,
        LocalWorkflowRow,
    )


def _instance_fk() -> Any:
    return fk_column("Instance_Context.instance_id", "Instance this row belongs to (isolation).")


def _uow_fk(comment: str = "Unit of work this row describes.") -> Any:
    return fk_column("UnitsOfWork.uow_id", comment)


def _actor_fk(comment: str) -> Any:
    return fk_column("Local_Actors.actor_id", comment, nullable=True)


class ActorRow(InstanceBase):
    __tablename__ = "Local_Actors"
    __table_args__ = (
        UniqueConstraint("instance_id", "name"),
        UniqueConstraint("instance_id", "identity_key"),
        {"comment": "People, AI agents and systems acting within an instance."},
    )

    actor_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the actor.")
    instance_id: Mapped[uuid.UUID] = _instance_fk()
    identity_key: Mapped[str] = mapped_column(
        String(320), comment="External identity (e-mail, agent key), unique in the instance."
    )
    name: Mapped[str] = name_column("Display name, unique in the instance.")
    description: Mapped[str | None] = text_column("Who or what the actor is.")
    ai_context: Mapped[Any | None] = ai_context_column()
    type: Mapped[ActorType] = enum_column(ActorType, "actor_type", "HUMAN, AI_AGENT or SYSTEM.")
    capabilities: Mapped[Any | None] = json_column("What the actor can do (free-form JSON).")

    instance: Mapped[InstanceRow] = relationship(back_populates="actors")
    assignments: Mapped[list[AssignmentRow]] = relationship(back_populates="actor")


class AssignmentRow(InstanceBase):
    __tablename__ = "Local_Actor_Role_Assignments"
    __table_args__ = (
        UniqueConstraint("actor_id", "role_id"),
        {"comment": "Which actor may act in which role; revoked rows are kept."},
    )

    assignment_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the assignment.")
    actor_id: Mapped[uuid.UUID] = fk_column("Local_Actors.actor_id", "Assigned actor.")
    role_id: Mapped[uuid.UUID] = fk_column("Local_Roles.role_id", "Role the actor may act in.")
    status: Mapped[AssignmentStatus] = enum_column(
        AssignmentStatus,
        "assignment_status",
        "ACTIVE or REVOKED.",
        default=AssignmentStatus.ACTIVE,
    )

    actor: Mapped[ActorRow] = relationship(back_populates="assignments")
    role: Mapped[LocalRoleRow] = relationship(back_populates="assignments")


class RoleMemoryRow(InstanceBase):
    __tablename__ = "Local_Role_Attributes"
    __table_args__ = (
        partial_unique_index(
            "uq_Local_Role_Attributes_global_key", "role_id", "key", where="actor_id IS NULL"
        ),
        partial_unique_index(
            "uq_Local_Role_Attributes_personal_key",
            "role_id",
            "actor_id",
            "key",
            where="actor_id IS NOT NULL",
        ),
        {"comment": "Role memory: global blueprints (no actor) and personal playbooks (actor)."},
    )

    memory_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the memory entry.")
    instance_id: Mapped[uuid.UUID] = _instance_fk()
    role_id: Mapped[uuid.UUID] = fk_column("Local_Roles.role_id", "Role the memory belongs to.")
    actor_id: Mapped[uuid.UUID | None] = _actor_fk(
        "NULL for the role's global blueprint; the actor for a personal playbook."
    )
    key: Mapped[str] = mapped_column(String(200), comment="Memory key; one live value per scope.")
    value: Mapped[Any] = json_column("Remembered value (JSON).", nullable=False)
    is_toxic: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="Marked harmful: kept for audit, not to be reused."
    )
    created_at: Mapped[datetime] = created_at_column()
    last_accessed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, comment="Last read of the entry (for decay)."
    )


class UnitOfWorkRow(InstanceBase):
    __tablename__ = "UnitsOfWork"
    __table_args__ = (
        CheckConstraint("child_count >= 0", name="child_count_non_negative"),
        CheckConstraint("finished_child_count >= 0", name="finished_non_negative"),
        CheckConstraint("finished_child_count <= child_count", name="finished_le_count"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("retry_count >= 0", name="retry_count_non_negative"),
        Index("ix_UnitsOfWork_instance_status", "instance_id", "status"),
        Index("ix_UnitsOfWork_interaction_status", "current_interaction_id", "status"),
        Index("ix_UnitsOfWork_queue", "current_interaction_id", "status", "updated_at", "uow_id"),
        {"comment": "Units of work: the tokens that move through a workflow's interactions."},
    )

    uow_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the unit of work.")
    instance_id: Mapped[uuid.UUID] = _instance_fk()
    local_workflow_id: Mapped[uuid.UUID] = fk_column(
        "Local_Workflows.local_workflow_id", "Workflow the unit of work runs in."
    )
    parent_id: Mapped[uuid.UUID | None] = fk_column(
        "UnitsOfWork.uow_id", "Parent unit of work (NULL for a base unit).", nullable=True
    )
    current_interaction_id: Mapped[uuid.UUID] = fk_column(
        "Local_Interactions.interaction_id", "Interaction the unit of work is in now."
    )
    current_role_id: Mapped[uuid.UUID | None] = fk_column(
        "Local_Roles.role_id", "Role working on it now, if checked out.", nullable=True
    )
    locked_by_actor_id: Mapped[uuid.UUID | None] = _actor_fk("Actor holding it, if any.")
    status: Mapped[UowStatus] = enum_column(
        UowStatus, "uow_status", "Lifecycle status (see the transition table)."
    )
    child_count: Mapped[int] = mapped_column(
        Integer, default=0, comment="Children created by decomposition."
    )
    finished_child_count: Mapped[int] = mapped_column(
        Integer, default=0, comment="Children that reached COMPLETED or FAILED."
    )
    content_hash: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of the current attributes (SPEC 4.4)."
    )
    version: Mapped[int] = mapped_column(
        Integer, default=1, comment="Row version for optimistic locking; +1 on every change."
    )
    retry_count: Mapped[int] = mapped_column(
        Integer, default=0, comment="Times the unit was retried from ZOMBIED_SOFT."
    )
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, comment="Last liveness signal of the holding actor."
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, comment="Last change of the row (UTC)."
    )

    instance: Mapped[InstanceRow] = relationship(back_populates="uows")
    workflow: Mapped[LocalWorkflowRow] = relationship(back_populates="uows")
    parent: Mapped[UnitOfWorkRow | None] = relationship(
        back_populates="children", remote_side=[uow_id]
    )
    children: Mapped[list[UnitOfWorkRow]] = relationship(back_populates="parent")
    current_interaction: Mapped[LocalInteractionRow] = relationship()
    current_role: Mapped[LocalRoleRow | None] = relationship()
    locked_by: Mapped[ActorRow | None] = relationship()
    attributes: Mapped[list[UowAttributeRow]] = relationship(back_populates="uow")
    history: Mapped[list[UowHistoryRow]] = relationship(back_populates="uow")


class UowAttributeRow(InstanceBase):
    __tablename__ = "UOW_Attributes"
    __table_args__ = (
        UniqueConstraint("uow_id", "key", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        {"comment": "Versioned attributes of units of work; append-only."},
    )

    attribute_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the attribute version.")
    uow_id: Mapped[uuid.UUID] = _uow_fk("Unit of work the attribute belongs to.")
    instance_id: Mapped[uuid.UUID] = _instance_fk()
    key: Mapped[str] = mapped_column(String(200), comment="Attribute name.")
    value: Mapped[Any] = json_column("Attribute value (JSON).")
    version: Mapped[int] = mapped_column(Integer, comment="Version of this key, from 1.")
    actor_id: Mapped[uuid.UUID | None] = _actor_fk("Actor who wrote this version.")
    reasoning: Mapped[str | None] = text_column("Why the value was written.")
    created_at: Mapped[datetime] = created_at_column()

    uow: Mapped[UnitOfWorkRow] = relationship(back_populates="attributes")


class InteractionLogRow(InstanceBase):
    __tablename__ = "Interaction_Logs"
    __table_args__ = (
        Index("ix_Interaction_Logs_instance_log", "instance_id", "log_id"),
        Index("ix_Interaction_Logs_instance_time", "instance_id", "timestamp", "log_id"),
        Index("ix_Interaction_Logs_uow_time", "uow_id", "timestamp", "log_id"),
        {"comment": "Append-only event log: interactions, telemetry, errors, decisions."},
    )

    log_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
        comment="Sequence number of the entry.",
    )
    instance_id: Mapped[uuid.UUID] = _instance_fk()
    uow_id: Mapped[uuid.UUID | None] = fk_column(
        "UnitsOfWork.uow_id", "Unit of work concerned, if any.", nullable=True
    )
    actor_id: Mapped[uuid.UUID | None] = _actor_fk("Actor concerned, if any.")
    role_id: Mapped[uuid.UUID | None] = fk_column(
        "Local_Roles.role_id", "Role concerned, if any.", nullable=True
    )
    interaction_id: Mapped[uuid.UUID | None] = fk_column(
        "Local_Interactions.interaction_id", "Interaction concerned, if any.", nullable=True
    )
    timestamp: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, comment="When the event happened (UTC)."
    )
    log_type: Mapped[LogType] = enum_column(
        LogType, "log_type", "INTERACTION, TELEMETRY, ERROR, GUARDIAN_DECISION, STATE_TRANSITION."
    )
    event_details: Mapped[Any | None] = json_column("Structured details of the event.")
    error_metadata: Mapped[Any | None] = json_column("Error context, for ERROR entries.")


class UowHistoryRow(InstanceBase):
    __tablename__ = "UnitsOfWorkHistory"
    __table_args__ = (
        Index("ix_UnitsOfWorkHistory_uow_time", "uow_id", "transition_timestamp"),
        {"comment": "Append-only ledger of every status or location change of a unit of work."},
    )

    history_id: Mapped[uuid.UUID] = uuid_pk("Primary key of the history entry.")
    instance_id: Mapped[uuid.UUID] = _instance_fk()
    uow_id: Mapped[uuid.UUID] = _uow_fk("Unit of work that changed.")
    previous_status: Mapped[UowStatus | None] = enum_column(
        UowStatus, "previous_status", "Status before the change (NULL at genesis).", nullable=True
    )
    new_status: Mapped[UowStatus] = enum_column(UowStatus, "new_status", "Status after the change.")
    previous_state_hash: Mapped[str | None] = mapped_column(
        String(64), nullable=True, comment="content_hash before the change."
    )
    new_state_hash: Mapped[str] = mapped_column(String(64), comment="content_hash after it.")
    previous_interaction_id: Mapped[uuid.UUID | None] = fk_column(
        "Local_Interactions.interaction_id", "Interaction before the change.", nullable=True
    )
    new_interaction_id: Mapped[uuid.UUID] = fk_column(
        "Local_Interactions.interaction_id", "Interaction after the change."
    )
    actor_id: Mapped[uuid.UUID | None] = _actor_fk("Actor who made the change.")
    transition_timestamp: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, comment="When the change was committed (UTC)."
    )
    reasoning: Mapped[str | None] = mapped_column(Text, nullable=True, comment="Why.")
    transition_metadata: Mapped[Any | None] = json_column("Extra facts about the change.")

    uow: Mapped[UnitOfWorkRow] = relationship(back_populates="history")

"""Actors, role assignments, role memory and instance status (SPEC 3.3, 4.6)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engines import Tier
from storage.enums import ActorType, AssignmentStatus, InstanceStatus
from storage.errors import DomainError, ErrorCode
from storage.models import (
    ActorRow,
    AssignmentRow,
    InstanceRow,
    LocalRoleRow,
    LocalWorkflowRow,
    RoleMemoryRow,
)
from storage.runtime.audit import audit
from storage.types import utcnow
from storage.values import check_text, checked_json, column_length

NAME_LENGTH = column_length(ActorRow.name)
IDENTITY_KEY_LENGTH = column_length(ActorRow.identity_key)
MEMORY_KEY_LENGTH = column_length(RoleMemoryRow.key)


def _missing(kind: str, key: uuid.UUID, field: str) -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, f"no {kind} with id {key}", ("input", field))


async def _instance(session: AsyncSession, instance_id: uuid.UUID) -> InstanceRow:
    instance = await session.get(InstanceRow, instance_id)
    if instance is None:
        raise _missing("instance", instance_id, "instanceId")
    return instance


async def _require_active(session: AsyncSession, instance_id: uuid.UUID, field: str) -> None:
    """One rule for every write into an instance: only an ACTIVE instance takes it."""
    instance = await _instance(session, instance_id)
    if instance.status != InstanceStatus.ACTIVE:
        raise DomainError.single(
            ErrorCode.INSTANCE_NOT_ACTIVE,
            f"instance {instance.name!r} is {instance.status.value}; it takes no writes",
            ("input", field),
        )


async def _role_instance(session: AsyncSession, role_id: uuid.UUID) -> uuid.UUID:
    instance_id = await session.scalar(
        select(LocalWorkflowRow.instance_id)
        .join(LocalRoleRow, LocalRoleRow.local_workflow_id == LocalWorkflowRow.local_workflow_id)
        .where(LocalRoleRow.role_id == role_id)
    )
    if instance_id is None:
        raise _missing("role", role_id, "roleId")
    return instance_id


async def _actor(session: AsyncSession, actor_id: uuid.UUID) -> ActorRow:
    actor = await session.get(ActorRow, actor_id)
    if actor is None:
        raise _missing("actor", actor_id, "actorId")
    return actor


async def register_actor(
    tier: Tier,
    *,
    instance_id: uuid.UUID,
    name: str,
    identity_key: str,
    type: ActorType,
    description: str | None = None,
    capabilities: Any = None,
) -> ActorRow:
    """A new actor of an ACTIVE instance; its fields are checked (`storage.values`) first."""
    check_text(name, ("input", "name"), NAME_LENGTH)
    check_text(identity_key, ("input", "identityKey"), IDENTITY_KEY_LENGTH)
    check_text(description, ("input", "description"))
    capabilities = checked_json(capabilities, ("input", "capabilities"))
    try:
        async with tier.writing() as session:
            await _require_active(session, instance_id, "instanceId")
            actor = ActorRow(
                instance_id=instance_id,
                name=name,
                identity_key=identity_key,
                type=type,
                description=description,
                capabilities=capabilities,
            )
            session.add(actor)
            await session.flush()
            audit(session, "registerActor", instance_id, actor_id=actor.actor_id)
            await session.flush()
            return actor
    except IntegrityError:
        raise DomainError.single(
            ErrorCode.CONFLICT,
            f"an actor named {name!r} or with identity key {identity_key!r} already exists "
            "in this instance",
            ("input", "name"),
        ) from None


async def assign_role(tier: Tier, *, actor_id: uuid.UUID, role_id: uuid.UUID) -> AssignmentRow:
    async with tier.writing() as session:
        actor = await _actor(session, actor_id)
        await _require_active(session, actor.instance_id, "actorId")
        if await _role_instance(session, role_id) != actor.instance_id:
            raise DomainError.single(
                ErrorCode.FORBIDDEN,
                f"role {role_id} belongs to another instance than actor {actor.name!r}",
                ("input", "roleId"),
            )
        existing = await session.scalar(
            select(AssignmentRow).where(
                AssignmentRow.actor_id == actor_id, AssignmentRow.role_id == role_id
            )
        )
        if existing is not None:
            if existing.status == AssignmentStatus.ACTIVE:
                raise DomainError.single(
                    ErrorCode.CONFLICT,
                    f"actor {actor.name!r} is already assigned to role {role_id}",
                    ("input", "roleId"),
                )
            existing.status = AssignmentStatus.ACTIVE
            audit(session, "assignRole", actor.instance_id, actor_id=actor_id, role_id=role_id)
            return existing
        assignment = AssignmentRow(actor_id=actor_id, role_id=role_id)
        session.add(assignment)
        await session.flush()
        audit(session, "assignRole", actor.instance_id, actor_id=actor_id, role_id=role_id)
        await session.flush()
        return assignment


async def revoke_assignment(tier: Tier, *, assignment_id: uuid.UUID) -> AssignmentRow:
    """The row stays (the history of who could act is kept); its status becomes REVOKED."""
    async with tier.writing() as session:
        assignment = await session.get(AssignmentRow, assignment_id)
        if assignment is None:
            raise _missing("assignment", assignment_id, "assignmentId")
        actor = await _actor(session, assignment.actor_id)
        await _require_active(session, actor.instance_id, "assignmentId")
        assignment.status = AssignmentStatus.REVOKED
        audit(
            session,
            "revokeAssignment",
            actor.instance_id,
            actor_id=actor.actor_id,
            role_id=assignment.role_id,
            assignment_id=str(assignment_id),
        )
        return assignment


async def put_role_memory(
    tier: Tier, *, role_id: uuid.UUID, actor_id: uuid.UUID | None, key: str, value: Any
) -> RoleMemoryRow:
    """Global blueprint (no actor) or personal playbook: one live value per scope and key."""
    if not key.strip():
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED, "key: a memory key must not be empty", ("input", "key")
        )
    check_text(key, ("input", "key"), MEMORY_KEY_LENGTH)
    value = checked_json(value, ("input", "value"))
    async with tier.writing() as session:
        instance_id = await _role_instance(session, role_id)
        await _require_active(session, instance_id, "roleId")
        if actor_id is not None and (await _actor(session, actor_id)).instance_id != instance_id:
            raise DomainError.single(
                ErrorCode.FORBIDDEN,
                f"actor {actor_id} belongs to another instance than role {role_id}",
                ("input", "actorId"),
            )
        scope = (
            RoleMemoryRow.actor_id.is_(None)
            if actor_id is None
            else RoleMemoryRow.actor_id == actor_id
        )
        memory = await session.scalar(
            select(RoleMemoryRow).where(
                RoleMemoryRow.role_id == role_id, RoleMemoryRow.key == key, scope
            )
        )
        if memory is None:
            memory = RoleMemoryRow(
                instance_id=instance_id, role_id=role_id, actor_id=actor_id, key=key, value=value
            )
            session.add(memory)
        else:
            memory.value = value
            memory.last_accessed_at = utcnow()
        audit(session, "putRoleMemory", instance_id, actor_id=actor_id, role_id=role_id, key=key)
        await session.flush()
        return memory


async def set_instance_status(
    tier: Tier, *, instance_id: uuid.UUID, status: InstanceStatus
) -> InstanceRow:
    """ACTIVE and PAUSED switch freely; ARCHIVED is final.

    Once committed, this process's telemetry checks forget the status they remembered."""
    async with tier.writing() as session:
        instance = await _instance(session, instance_id)
        if instance.status == InstanceStatus.ARCHIVED and status != InstanceStatus.ARCHIVED:
            raise DomainError.single(
                ErrorCode.INVALID_TRANSITION,
                f"instance {instance.name!r} is archived; it cannot become {status.value}",
                ("input", "status"),
            )
        instance.status = status
        audit(session, "setInstanceStatus", instance_id, status=status.value)
    if tier.known_ids is not None:
        tier.known_ids.forget_status(instance_id)
    return instance

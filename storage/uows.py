"""Units of work besides plain transitions: genesis, decomposition, heartbeat, drift check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.attributes import (
    append_attributes,
    checked_attributes,
    current_attributes,
)
from storage.engines import Tier
from storage.enums import ComponentDirection, InstanceStatus, LogType, RoleType, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.hashing import state_hash
from storage.models import (
    InstanceRow,
    InteractionLogRow,
    LocalComponentRow,
    LocalRoleRow,
    LocalWorkflowRow,
    UnitOfWorkRow,
)
from storage.transitions import TERMINAL, TransitionResult, apply_change, claim, record
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class DecomposeResult:
    parent: UnitOfWorkRow
    children: list[TransitionResult]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """`history`/`log` are set when drift was found and the breach recorded."""

    uow: UnitOfWorkRow
    intact: bool
    history: Any = None
    log: InteractionLogRow | None = None


def _missing(kind: str, key: uuid.UUID, field: str) -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, f"no {kind} with id {key}", ("input", field))


async def _active_instance(session: AsyncSession, instance_id: uuid.UUID) -> InstanceRow:
    instance = await session.get(InstanceRow, instance_id)
    if instance is None:
        raise _missing("instance", instance_id, "instanceId")
    if instance.status != InstanceStatus.ACTIVE:
        raise DomainError.single(
            ErrorCode.INSTANCE_NOT_ACTIVE,
            f"instance {instance.name!r} is {instance.status.value}; it accepts no work",
            ("input", "instanceId"),
        )
    return instance


async def _entry_interaction(session: AsyncSession, workflow: LocalWorkflowRow) -> uuid.UUID:
    """Where new work starts: the interaction the ALPHA role feeds (first by component name)."""
    interaction = await session.scalar(
        select(LocalComponentRow.interaction_id)
        .join(LocalRoleRow, LocalRoleRow.role_id == LocalComponentRow.role_id)
        .where(
            LocalComponentRow.local_workflow_id == workflow.local_workflow_id,
            LocalRoleRow.role_type == RoleType.ALPHA,
            LocalComponentRow.direction == ComponentDirection.OUTBOUND,
        )
        .order_by(LocalComponentRow.name)
        .limit(1)
    )
    if interaction is None:
        raise DomainError.single(
            ErrorCode.RULE_VIOLATION,
            f"workflow {workflow.name!r} has no ALPHA role with an OUTBOUND component",
            ("input", "workflowId"),
            "R10",
        )
    return interaction


def _create(
    session: Session,
    *,
    instance_id: uuid.UUID,
    workflow_id: uuid.UUID,
    interaction_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    attributes: dict[str, Any],
    actor_id: uuid.UUID | None,
    reasoning: str | None,
) -> TransitionResult:
    """A new PENDING unit of work with version-1 attributes, its history and log rows."""
    uow_id = uuid.uuid4()
    now = utcnow()
    session.execute(
        insert(UnitOfWorkRow).values(
            uow_id=uow_id,
            instance_id=instance_id,
            local_workflow_id=workflow_id,
            parent_id=parent_id,
            current_interaction_id=interaction_id,
            status=UowStatus.PENDING,
            content_hash=state_hash(attributes),
            version=1,
            child_count=0,
            finished_child_count=0,
            retry_count=0,
            created_at=now,
            updated_at=now,
        )
    )
    append_attributes(
        session,
        uow_id=uow_id,
        instance_id=instance_id,
        changes=attributes,
        actor_id=actor_id,
        reasoning=reasoning,
        base_versions={},
    )
    uow = session.get(UnitOfWorkRow, uow_id)
    assert uow is not None
    return record(
        session,
        uow,
        previous=(None, None, None),
        actor_id=actor_id,
        reasoning=reasoning,
        metadata={"genesis": parent_id is None, "parent_id": str(parent_id) if parent_id else None},
    )


async def start_work(
    tier: Tier,
    *,
    instance_id: uuid.UUID,
    workflow_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    attributes: Any = None,
    reasoning: str | None = None,
) -> TransitionResult:
    """Genesis (SPEC 4.4): a base unit of work where the workflow's ALPHA role puts work."""
    values = checked_attributes(attributes)
    async with tier.writing() as session:
        await _active_instance(session, instance_id)
        query = select(LocalWorkflowRow).where(LocalWorkflowRow.instance_id == instance_id)
        if workflow_id is None:
            query = query.where(LocalWorkflowRow.is_master.is_(True))
        else:
            query = query.where(LocalWorkflowRow.local_workflow_id == workflow_id)
        workflow = (await session.scalars(query)).first()
        if workflow is None:
            raise _missing("workflow", workflow_id or instance_id, "workflowId")
        create = partial(
            _create,
            instance_id=instance_id,
            workflow_id=workflow.local_workflow_id,
            interaction_id=await _entry_interaction(session, workflow),
            parent_id=None,
            attributes=values,
            actor_id=actor_id,
            reasoning=reasoning,
        )
        return await session.run_sync(create)


async def decompose(
    tier: Tier,
    *,
    parent_id: uuid.UUID,
    children: list[Any],
    actor_id: uuid.UUID | None = None,
    inherit: bool = True,
    reasoning: str | None = None,
) -> DecomposeResult:
    """Child units of work in the parent's interaction; the parent's child_count rises in
    the same transaction."""
    overlays = [checked_attributes(c, f"children[{n}]") for n, c in enumerate(children)]
    if not overlays:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED, "children: give at least one child", ("input", "children")
        )
    async with tier.writing() as session:
        parent = await session.run_sync(claim, parent_id, None)
        if parent.status in TERMINAL:
            raise DomainError.single(
                ErrorCode.INVALID_TRANSITION,
                f"a {parent.status.value} unit of work cannot be decomposed",
                ("input", "parentId"),
            )
        if parent.current_role_id is not None:
            role_type = await session.scalar(
                select(LocalRoleRow.role_type).where(LocalRoleRow.role_id == parent.current_role_id)
            )
            if role_type != RoleType.BETA:
                raise DomainError.single(
                    ErrorCode.RULE_VIOLATION,
                    f"only a BETA role decomposes; this unit of work is held by a "
                    f"{role_type.value if role_type else 'missing'} role",
                    ("input", "parentId"),
                )
        base = await current_attributes(session, parent_id) if inherit else {}
        created = await session.run_sync(
            lambda sync: [
                _create(
                    sync,
                    instance_id=parent.instance_id,
                    workflow_id=parent.local_workflow_id,
                    interaction_id=parent.current_interaction_id,
                    parent_id=parent_id,
                    attributes={**base, **overlay},
                    actor_id=actor_id,
                    reasoning=reasoning,
                )
                for overlay in overlays
            ]
        )
        await session.execute(
            update(UnitOfWorkRow)
            .where(UnitOfWorkRow.uow_id == parent_id)
            .values(child_count=UnitOfWorkRow.child_count + len(created), updated_at=utcnow())
        )
        fresh = await session.get(UnitOfWorkRow, parent_id, populate_existing=True)
        assert fresh is not None
        return DecomposeResult(fresh, created)


async def heartbeat(tier: Tier, *, uow_id: uuid.UUID, actor_id: uuid.UUID) -> UnitOfWorkRow:
    """Liveness of the actor holding an ACTIVE unit of work; not a lifecycle change."""
    async with tier.writing() as session:
        refreshed = await session.execute(
            update(UnitOfWorkRow)
            .where(
                UnitOfWorkRow.uow_id == uow_id,
                UnitOfWorkRow.status == UowStatus.ACTIVE,
                UnitOfWorkRow.locked_by_actor_id == actor_id,
            )
            .values(last_heartbeat_at=utcnow())
            .returning(UnitOfWorkRow.uow_id)
        )
        if refreshed.first() is None:
            uow = await session.get(UnitOfWorkRow, uow_id)
            if uow is None:
                raise _missing("unit of work", uow_id, "uowId")
            if uow.status != UowStatus.ACTIVE:
                raise DomainError.single(
                    ErrorCode.INVALID_TRANSITION,
                    f"unit of work {uow_id} is {uow.status.value}; only ACTIVE work has a "
                    "heartbeat",
                    ("input", "uowId"),
                )
            raise DomainError.single(
                ErrorCode.FORBIDDEN,
                f"unit of work {uow_id} is not held by actor {actor_id}",
                ("input", "actorId"),
            )
        uow = await session.get(UnitOfWorkRow, uow_id, populate_existing=True)
        assert uow is not None
        return uow


async def verify_uow_state(tier: Tier, *, uow_id: uuid.UUID) -> VerifyResult:
    """Recompute the hash from the stored attributes; drift is recorded as a security breach.

    This is the only way into FAILED_SECURITY_BREACH. Work already at rest (COMPLETED,
    ARCHIVED, already breached) is reported but not moved."""
    async with tier.writing() as session:
        uow = await session.get(UnitOfWorkRow, uow_id)
        if uow is None:
            raise _missing("unit of work", uow_id, "uowId")
        computed = state_hash(await current_attributes(session, uow_id))
        if computed == uow.content_hash:
            return VerifyResult(uow, True)
        if uow.status in TERMINAL:
            return VerifyResult(uow, False)
        stored, version = uow.content_hash, uow.version

        def breach(sync: Session) -> TransitionResult:
            return apply_change(
                sync,
                claim(sync, uow_id, version),
                to_status=UowStatus.FAILED_SECURITY_BREACH,
                to_interaction_id=None,
                actor_id=None,
                reasoning="state hash drift: stored attributes no longer match content_hash",
                metadata={"reason": "hash drift", "stored": stored, "computed": computed},
                changes={},
            )

        result = await session.run_sync(breach)
        await session.execute(
            insert(InteractionLogRow).values(
                instance_id=uow.instance_id,
                uow_id=uow_id,
                log_type=LogType.ERROR,
                timestamp=utcnow(),
                event_details={"reason": "hash drift"},
                error_metadata={"stored": uow.content_hash, "computed": computed},
            )
        )
        return VerifyResult(result.uow, False, result.history, result.log)

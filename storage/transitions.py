"""The one service that changes a unit of work's status or location (SPEC 4.5).

Every change runs the same steps in one transaction. It starts by bumping the row's version
with a conditional UPDATE: that write both claims the row (a concurrent writer waits or
finds the version moved on and gets STALE_STATE) and, on SQLite, takes the write lock
before anything is read, so no reader snapshot can go stale underneath the change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.attributes import append_attributes, checked_attributes, current_versions
from storage.attributes import current_attributes as read_attributes
from storage.engines import Tier
from storage.enums import (
    AssignmentStatus,
    ComponentDirection,
    InstanceStatus,
    LogType,
    UowStatus,
)
from storage.errors import DomainError, ErrorCode
from storage.hashing import state_hash
from storage.models import (
    AssignmentRow,
    InstanceRow,
    InteractionLogRow,
    LocalComponentRow,
    LocalInteractionRow,
    UnitOfWorkRow,
    UowHistoryRow,
)
from storage.types import utcnow

S = UowStatus
ALLOWED: dict[UowStatus, frozenset[UowStatus]] = {
    S.PENDING: frozenset({S.ACTIVE, S.PAUSED, S.ZOMBIED_SOFT, S.FAILED}),
    S.ACTIVE: frozenset(
        {S.COMPLETED, S.FAILED, S.PENDING, S.PENDING_PILOT_APPROVAL, S.ZOMBIED_SOFT, S.PAUSED}
    ),
    S.PENDING_PILOT_APPROVAL: frozenset({S.ACTIVE, S.FAILED, S.PAUSED}),
    S.ZOMBIED_SOFT: frozenset({S.ACTIVE, S.PENDING, S.ZOMBIED_DEAD}),
    S.ZOMBIED_DEAD: frozenset({S.FAILED, S.ARCHIVED}),
    S.PAUSED: frozenset(),  # back to the status it had before the pause, only
    S.FAILED: frozenset({S.ACTIVE, S.ARCHIVED}),
    S.COMPLETED: frozenset({S.ARCHIVED}),
    S.FAILED_SECURITY_BREACH: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}
FINISHED = frozenset({S.COMPLETED, S.FAILED})
TERMINAL = frozenset({S.COMPLETED, S.ARCHIVED, S.FAILED_SECURITY_BREACH})


@dataclass(frozen=True, slots=True)
class TransitionResult:
    """What one committed change wrote; the caller publishes it after the commit."""

    uow: UnitOfWorkRow
    history: UowHistoryRow
    log: InteractionLogRow


def _stale(message: str) -> DomainError:
    return DomainError.single(ErrorCode.STALE_STATE, message, ("input", "expectedVersion"))


def _refused(message: str) -> DomainError:
    return DomainError.single(ErrorCode.INVALID_TRANSITION, message, ("input", "toStatus"))


async def transition_uow(
    tier: Tier,
    *,
    uow_id: uuid.UUID,
    to_status: UowStatus | None = None,
    to_interaction_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    reasoning: str | None = None,
    metadata: Any = None,
    attributes: Any = None,
    expected_version: int | None = None,
    expected_state_hash: str | None = None,
) -> TransitionResult:
    """Move a unit of work (status and/or interaction, with attribute changes)."""
    changes = checked_attributes(attributes)
    if to_status == S.FAILED_SECURITY_BREACH:
        raise _refused("FAILED_SECURITY_BREACH is reached only through verifyUowState")
    try:
        async with tier.sessions.begin() as session:
            uow = await claim(session, uow_id, expected_version)
            if expected_state_hash is not None and expected_state_hash != uow.content_hash:
                raise DomainError.single(
                    ErrorCode.STALE_STATE,
                    f"unit of work {uow_id} has state hash {uow.content_hash}, "
                    f"not the expected {expected_state_hash}",
                    ("input", "expectedStateHash"),
                )
            target = to_status or uow.status
            if to_status is not None:
                await _check_move(session, uow, to_status)
            elif uow.status in TERMINAL:
                raise _refused(f"a {uow.status.value} unit of work cannot change any more")
            return await apply_change(
                session,
                uow,
                to_status=target,
                to_interaction_id=to_interaction_id,
                actor_id=actor_id,
                reasoning=reasoning,
                metadata=metadata,
                changes=changes,
            )
    except IntegrityError as error:
        raise _stale(f"unit of work {uow_id} was changed concurrently; read it again") from error
    except DBAPIError as error:
        if "locked" in str(error).lower():
            raise _stale(f"unit of work {uow_id} is being changed by another client") from error
        raise


async def claim(
    session: AsyncSession, uow_id: uuid.UUID, expected_version: int | None
) -> UnitOfWorkRow:
    """Bump the row's version first (see the module docstring); returns the claimed row."""
    condition = [UnitOfWorkRow.uow_id == uow_id]
    if expected_version is not None:
        condition.append(UnitOfWorkRow.version == expected_version)
    claimed = await session.execute(
        update(UnitOfWorkRow)
        .where(*condition)
        .values(version=UnitOfWorkRow.version + 1)
        .returning(UnitOfWorkRow.uow_id)
    )
    if claimed.first() is None:
        current = await session.scalar(
            select(UnitOfWorkRow.version).where(UnitOfWorkRow.uow_id == uow_id)
        )
        if current is None:
            raise DomainError.single(
                ErrorCode.NOT_FOUND, f"no unit of work with id {uow_id}", ("input", "uowId")
            )
        raise _stale(f"unit of work {uow_id} is at version {current}, not {expected_version}")
    uow = await session.get(UnitOfWorkRow, uow_id, populate_existing=True)
    assert uow is not None
    status = await session.scalar(
        select(InstanceRow.status).where(InstanceRow.instance_id == uow.instance_id)
    )
    if status != InstanceStatus.ACTIVE:
        raise DomainError.single(
            ErrorCode.INSTANCE_NOT_ACTIVE,
            f"instance {uow.instance_id} is {status.value if status else 'missing'}; "
            "its units of work cannot change",
            ("input", "uowId"),
        )
    return uow


async def _check_move(session: AsyncSession, uow: UnitOfWorkRow, to_status: UowStatus) -> None:
    if uow.status == S.PAUSED:
        before = await session.scalar(
            select(UowHistoryRow.previous_status)
            .where(UowHistoryRow.uow_id == uow.uow_id, UowHistoryRow.new_status == S.PAUSED)
            .order_by(UowHistoryRow.transition_timestamp.desc())
            .limit(1)
        )
        if to_status != before:
            back = before.value if before else "its previous status"
            raise _refused(f"a PAUSED unit of work returns to {back} only, not {to_status.value}")
        return
    if to_status not in ALLOWED[uow.status]:
        raise _refused(f"{uow.status.value} -> {to_status.value} is not an allowed transition")


async def _holding_role(
    session: AsyncSession, interaction_id: uuid.UUID, actor_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The role an ACTIVE unit of work is checked out under: the consumer of its interaction
    that the actor is assigned to, or the only consumer when there is one."""
    consumers = list(
        await session.scalars(
            select(LocalComponentRow.role_id).where(
                LocalComponentRow.interaction_id == interaction_id,
                LocalComponentRow.direction == ComponentDirection.INBOUND,
            )
        )
    )
    if actor_id is not None and consumers:
        assigned = await session.scalar(
            select(AssignmentRow.role_id).where(
                AssignmentRow.actor_id == actor_id,
                AssignmentRow.role_id.in_(consumers),
                AssignmentRow.status == AssignmentStatus.ACTIVE,
            )
        )
        if assigned is not None:
            return assigned
    return consumers[0] if len(consumers) == 1 else None


async def apply_change(
    session: AsyncSession,
    uow: UnitOfWorkRow,
    *,
    to_status: UowStatus,
    to_interaction_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    reasoning: str | None,
    metadata: Any,
    changes: dict[str, Any],
) -> TransitionResult:
    """Attributes, hash, row, history, log and parent counter of one claimed change."""
    interaction_id = uow.current_interaction_id
    if to_interaction_id is not None and to_interaction_id != interaction_id:
        workflow = await session.scalar(
            select(LocalInteractionRow.local_workflow_id).where(
                LocalInteractionRow.interaction_id == to_interaction_id
            )
        )
        if workflow != uow.local_workflow_id:
            raise DomainError.single(
                ErrorCode.NOT_FOUND,
                f"no interaction {to_interaction_id} in the unit of work's workflow",
                ("input", "toInteractionId"),
            )
        interaction_id = to_interaction_id
    await append_attributes(
        session,
        uow_id=uow.uow_id,
        instance_id=uow.instance_id,
        changes=changes,
        actor_id=actor_id,
        reasoning=reasoning,
        base_versions=await current_versions(session, uow.uow_id) if changes else {},
    )
    new_hash = (
        state_hash(await read_attributes(session, uow.uow_id)) if changes else (uow.content_hash)
    )
    now = utcnow()
    previous = (uow.status, uow.content_hash, uow.current_interaction_id)
    values: dict[str, Any] = {
        "status": to_status,
        "current_interaction_id": interaction_id,
        "content_hash": new_hash,
        "updated_at": now,
    }
    if to_status == S.ACTIVE:
        if uow.status != S.ACTIVE:
            values["last_heartbeat_at"] = now
            values["locked_by_actor_id"] = actor_id
            values["current_role_id"] = await _holding_role(session, interaction_id, actor_id)
        if uow.status == S.ZOMBIED_SOFT:
            values["retry_count"] = UnitOfWorkRow.retry_count + 1
    else:
        values["locked_by_actor_id"] = None
        values["current_role_id"] = None
    await session.execute(
        update(UnitOfWorkRow).where(UnitOfWorkRow.uow_id == uow.uow_id).values(**values)
    )
    # (the ORM UPDATE above synchronised `uow`: compare against the status read before it)
    if uow.parent_id is not None and to_status in FINISHED and previous[0] not in FINISHED:
        await _count_finished_child(session, uow)
    return await record(
        session,
        uow,
        previous=previous,
        actor_id=actor_id,
        reasoning=reasoning,
        metadata=metadata,
    )


async def _count_finished_child(session: AsyncSession, child: UnitOfWorkRow) -> None:
    """A child's first arrival at COMPLETED or FAILED counts once on its parent."""
    finished_before = await session.scalar(
        select(UowHistoryRow.history_id)
        .where(UowHistoryRow.uow_id == child.uow_id, UowHistoryRow.new_status.in_(FINISHED))
        .limit(1)
    )
    if finished_before is None:
        await session.execute(
            update(UnitOfWorkRow)
            .where(UnitOfWorkRow.uow_id == child.parent_id)
            .values(
                finished_child_count=UnitOfWorkRow.finished_child_count + 1,
                version=UnitOfWorkRow.version + 1,
                updated_at=utcnow(),
            )
        )


async def record(
    session: AsyncSession,
    uow: UnitOfWorkRow,
    *,
    previous: tuple[UowStatus | None, str | None, uuid.UUID | None],
    actor_id: uuid.UUID | None,
    reasoning: str | None,
    metadata: Any,
) -> TransitionResult:
    """The history row and the STATE_TRANSITION log row of a change (genesis included)."""
    fresh = await session.get(UnitOfWorkRow, uow.uow_id, populate_existing=True)
    assert fresh is not None
    previous_status, previous_hash, previous_interaction = previous
    history_id = uuid.uuid4()
    await session.execute(
        insert(UowHistoryRow).values(
            history_id=history_id,
            instance_id=fresh.instance_id,
            uow_id=fresh.uow_id,
            previous_status=previous_status,
            new_status=fresh.status,
            previous_state_hash=previous_hash,
            new_state_hash=fresh.content_hash,
            previous_interaction_id=previous_interaction,
            new_interaction_id=fresh.current_interaction_id,
            actor_id=actor_id,
            transition_timestamp=fresh.updated_at,
            reasoning=reasoning,
            transition_metadata=metadata,
        )
    )
    details = {
        "history_id": str(history_id),
        "from": previous_status.value if previous_status else None,
        "to": fresh.status.value,
        "from_interaction_id": str(previous_interaction) if previous_interaction else None,
        "to_interaction_id": str(fresh.current_interaction_id),
        "version": fresh.version,
    }
    log_id = await session.scalar(
        insert(InteractionLogRow)
        .values(
            instance_id=fresh.instance_id,
            uow_id=fresh.uow_id,
            actor_id=actor_id,
            role_id=fresh.current_role_id,
            interaction_id=fresh.current_interaction_id,
            timestamp=fresh.updated_at,
            log_type=LogType.STATE_TRANSITION,
            event_details=details,
        )
        .returning(InteractionLogRow.log_id)
    )
    history = await session.get(UowHistoryRow, history_id)
    log = await session.get(InteractionLogRow, log_id)
    assert history is not None
    assert log is not None
    return TransitionResult(fresh, history, log)

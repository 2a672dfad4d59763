"""Units of work besides plain transitions: genesis, decomposition, heartbeat, drift check.

Like transitions, each is a synchronous Core body run by `Tier.write` in one transaction,
and answers with row-like records (attribute names = columns).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, exists, insert, select, update

from storage.engines import Tier
from storage.enums import ComponentDirection, InstanceStatus, LogType, RoleType, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.ids import new_id
from storage.models import LocalComponentRow, LocalRoleRow, LocalWorkflowRow
from storage.runtime.attributes import (
    Executor,
    append_attributes,
    checked_attributes,
    current_attributes,
)
from storage.runtime.hashing import state_hash
from storage.runtime.transitions import (
    INSTANCES,
    LOGS,
    TERMINAL,
    UOW,
    TransitionResult,
    apply_change,
    check_holder,
    check_member,
    claim,
    record,
)
from storage.types import utcnow

WORKFLOWS = cast(Table, LocalWorkflowRow.__table__)


@dataclass(frozen=True, slots=True)
class DecomposeResult:
    parent: Any
    children: list[TransitionResult]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """`history`/`log` are set when drift was found and the breach recorded."""

    uow: Any
    intact: bool
    history: Any = None
    log: Any = None


def _missing(kind: str, key: uuid.UUID, field: str) -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, f"no {kind} with id {key}", ("input", field))


def _uow(session: Executor, uow_id: uuid.UUID) -> Any:
    return session.execute(select(UOW).where(UOW.c.uow_id == uow_id)).first()


def _check_active_instance(
    session: Executor, instance_id: uuid.UUID, field: str = "instanceId"
) -> None:
    instance = session.execute(
        select(INSTANCES.c.name, INSTANCES.c.status).where(INSTANCES.c.instance_id == instance_id)
    ).first()
    if instance is None:
        raise _missing("instance", instance_id, "instanceId")
    if instance.status != InstanceStatus.ACTIVE:
        raise DomainError.single(
            ErrorCode.INSTANCE_NOT_ACTIVE,
            f"instance {instance.name!r} is {instance.status.value}; it accepts no work",
            ("input", field),
        )


def _entry_interaction(session: Executor, workflow: Any) -> uuid.UUID:
    """Where new work starts: the interaction the ALPHA role feeds (first by component name)."""
    interaction: uuid.UUID | None = session.scalar(
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


def create_uow(
    session: Executor,
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
    uow_id = new_id()
    now = utcnow()
    # The actor is checked before the first row that names it is written (see apply_change).
    check_member(session, SimpleNamespace(instance_id=instance_id, uow_id=uow_id), actor_id)
    uow = session.execute(
        insert(UOW)
        .values(
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
        .returning(*UOW.c)
    ).one()
    append_attributes(
        session,
        uow_id=uow_id,
        instance_id=instance_id,
        changes=attributes,
        actor_id=actor_id,
        reasoning=reasoning,
        base_versions={},
    )
    return record(
        session,
        uow,
        previous=(None, None, None),
        actor_id=actor_id,
        reasoning=reasoning,
        metadata={"genesis": parent_id is None, "parent_id": str(parent_id) if parent_id else None},
        member_checked=True,
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

    def genesis(session: Executor) -> TransitionResult:
        _check_active_instance(session, instance_id)
        query = select(WORKFLOWS).where(WORKFLOWS.c.instance_id == instance_id)
        if workflow_id is None:
            query = query.where(WORKFLOWS.c.is_master.is_(True))
        else:
            query = query.where(WORKFLOWS.c.local_workflow_id == workflow_id)
        workflow = session.execute(query).first()
        if workflow is None:
            raise _missing("workflow", workflow_id or instance_id, "workflowId")
        return create_uow(
            session,
            instance_id=instance_id,
            workflow_id=workflow.local_workflow_id,
            interaction_id=_entry_interaction(session, workflow),
            parent_id=None,
            attributes=values,
            actor_id=actor_id,
            reasoning=reasoning,
        )

    return await tier.write(genesis)


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

    def split(session: Executor) -> DecomposeResult:
        parent = claim(session, parent_id, None)
        check_holder(parent, actor_id)
        role_type = session.scalar(
            select(LocalRoleRow.role_type).where(LocalRoleRow.role_id == parent.current_role_id)
        )
        if parent.status != UowStatus.ACTIVE or role_type != RoleType.BETA:
            held = f"held under a {role_type.value} role" if role_type else "held by no role"
            raise DomainError.single(
                ErrorCode.RULE_VIOLATION,
                f"only a unit of work held under a BETA role is decomposed; this one is "
                f"{parent.status.value} and {held}",
                ("input", "parentId"),
            )
        base = current_attributes(session, parent_id) if inherit else {}
        created = [
            create_uow(
                session,
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
        counted = session.execute(
            update(UOW)
            .where(UOW.c.uow_id == parent_id)
            .values(child_count=UOW.c.child_count + len(created), updated_at=utcnow())
            .returning(*UOW.c)
        ).one()
        return DecomposeResult(counted, created)

    return await tier.write(split)


async def heartbeat(tier: Tier, *, uow_id: uuid.UUID, actor_id: uuid.UUID) -> Any:
    """Liveness of the actor holding an ACTIVE unit of work; not a lifecycle change."""

    def beat(session: Executor) -> Any:
        refreshed = session.execute(
            update(UOW)
            .where(
                UOW.c.uow_id == uow_id,
                UOW.c.status == UowStatus.ACTIVE,
                UOW.c.locked_by_actor_id == actor_id,
                exists().where(
                    INSTANCES.c.instance_id == UOW.c.instance_id,
                    INSTANCES.c.status == InstanceStatus.ACTIVE,
                ),
            )
            .values(last_heartbeat_at=utcnow())
            .returning(*UOW.c)
        ).first()
        if refreshed is not None:
            return refreshed
        uow = _uow(session, uow_id)
        if uow is None:
            raise _missing("unit of work", uow_id, "uowId")
        _check_active_instance(session, uow.instance_id, "uowId")
        if uow.status != UowStatus.ACTIVE:
            raise DomainError.single(
                ErrorCode.INVALID_TRANSITION,
                f"unit of work {uow_id} is {uow.status.value}; only ACTIVE work has a heartbeat",
                ("input", "uowId"),
            )
        raise DomainError.single(
            ErrorCode.FORBIDDEN,
            f"unit of work {uow_id} is not held by actor {actor_id}",
            ("input", "actorId"),
        )

    return await tier.write(beat)


async def verify_uow_state(tier: Tier, *, uow_id: uuid.UUID) -> VerifyResult:
    """Recompute the hash from the stored attributes; drift is recorded as a security breach.

    This is the only way into FAILED_SECURITY_BREACH. Work already at rest (COMPLETED,
    ARCHIVED, already breached) is reported but not moved."""

    def verify(session: Executor) -> VerifyResult:
        uow = _uow(session, uow_id)
        if uow is None:
            raise _missing("unit of work", uow_id, "uowId")
        computed = state_hash(current_attributes(session, uow_id))
        if computed == uow.content_hash:
            return VerifyResult(uow, True)
        if uow.status in TERMINAL:
            return VerifyResult(uow, False)
        result = apply_change(
            session,
            claim(session, uow_id, uow.version),
            to_status=UowStatus.FAILED_SECURITY_BREACH,
            to_interaction_id=None,
            actor_id=None,
            reasoning="state hash drift: stored attributes no longer match content_hash",
            metadata={"reason": "hash drift", "stored": uow.content_hash, "computed": computed},
            changes={},
        )
        session.execute(
            insert(LOGS).values(
                instance_id=uow.instance_id,
                uow_id=uow_id,
                log_type=LogType.ERROR,
                timestamp=utcnow(),
                event_details={"reason": "hash drift"},
                error_metadata={"stored": uow.content_hash, "computed": computed},
            )
        )
        return VerifyResult(result.uow, False, result.history, result.log)

    return await tier.write(verify)

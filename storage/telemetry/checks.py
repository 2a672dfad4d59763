"""Checks an entry's ids before the buffer accepts it: a bad id would fail its whole batch."""

from __future__ import annotations

from sqlalchemy import select

from storage.engines import Tier
from storage.enums import InstanceStatus
from storage.errors import DomainError, ErrorCode, Problem
from storage.models import (
    ActorRow,
    InstanceRow,
    LocalInteractionRow,
    LocalRoleRow,
    LocalWorkflowRow,
    UnitOfWorkRow,
)
from storage.telemetry.buffer import TelemetryEntry


async def check_entry(tier: Tier, entry: TelemetryEntry) -> None:
    """Every id exists and belongs to the entry's instance, which is not archived."""
    problems: list[Problem] = []
    async with tier.sessions() as session:
        status = await session.scalar(
            select(InstanceRow.status).where(InstanceRow.instance_id == entry.instance_id)
        )
        if status is None:
            raise DomainError.single(
                ErrorCode.NOT_FOUND,
                f"no instance with id {entry.instance_id}",
                ("input", "instanceId"),
            )
        if status == InstanceStatus.ARCHIVED:
            raise DomainError.single(
                ErrorCode.INSTANCE_NOT_ACTIVE,
                f"instance {entry.instance_id} is archived",
                ("input", "instanceId"),
            )
        owners = {
            "uowId": (
                entry.uow_id,
                select(UnitOfWorkRow.instance_id).where(UnitOfWorkRow.uow_id == entry.uow_id),
            ),
            "actorId": (
                entry.actor_id,
                select(ActorRow.instance_id).where(ActorRow.actor_id == entry.actor_id),
            ),
            "roleId": (
                entry.role_id,
                select(LocalWorkflowRow.instance_id)
                .join(
                    LocalRoleRow,
                    LocalRoleRow.local_workflow_id == LocalWorkflowRow.local_workflow_id,
                )
                .where(LocalRoleRow.role_id == entry.role_id),
            ),
            "interactionId": (
                entry.interaction_id,
                select(LocalWorkflowRow.instance_id)
                .join(
                    LocalInteractionRow,
                    LocalInteractionRow.local_workflow_id == LocalWorkflowRow.local_workflow_id,
                )
                .where(LocalInteractionRow.interaction_id == entry.interaction_id),
            ),
        }
        for field, (key, owner_query) in owners.items():
            if key is None:
                continue
            owner = await session.scalar(owner_query)
            if owner != entry.instance_id:
                problems.append(
                    Problem(
                        ErrorCode.NOT_FOUND,
                        f"{field}: no such id {key} in instance {entry.instance_id}",
                        ("input", field),
                    )
                )
    if problems:
        raise DomainError(problems)

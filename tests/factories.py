"""Minimal rows written straight through the ORM, for tests of the storage layer itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from storage.engines import Tiers
from storage.enums import LogType, UowStatus
from storage.models import (
    InstanceRow,
    InteractionLogRow,
    LocalInteractionRow,
    LocalWorkflowRow,
    UnitOfWorkRow,
    UowAttributeRow,
    UowHistoryRow,
)
from storage.runtime.hashing import state_hash


@dataclass(frozen=True, slots=True)
class SeededUow:
    instance_id: uuid.UUID
    workflow_id: uuid.UUID
    interaction_id: uuid.UUID
    uow_id: uuid.UUID


def pending_history(
    instance_id: uuid.UUID,
    uow_id: uuid.UUID,
    interaction_id: uuid.UUID,
    state_hash: str,
    *,
    at: datetime | None = None,
) -> UowHistoryRow:
    """A history entry putting a unit of work PENDING at an interaction with no state before
    it, as a unit's first entry is; `at` pins its time (otherwise the insert's)."""
    entry = UowHistoryRow(
        instance_id=instance_id,
        uow_id=uow_id,
        new_status=UowStatus.PENDING,
        new_state_hash=state_hash,
        new_interaction_id=interaction_id,
    )
    if at is not None:
        entry.transition_timestamp = at
    return entry


async def seed_uow(tiers: Tiers, name: str = "seed") -> SeededUow:
    """One instance, workflow, interaction and UOW with one row in each append-only table."""
    async with tiers.instance.sessions.begin() as session:
        instance = InstanceRow(name=name)
        workflow = LocalWorkflowRow(
            instance=instance,
            original_workflow_id=uuid.uuid4(),
            name="Flow",
            version=1,
            is_master=True,
        )
        interaction = LocalInteractionRow(workflow=workflow, name="Queue")
        session.add_all([instance, workflow, interaction])
        await session.flush()
        uow = UnitOfWorkRow(
            instance_id=instance.instance_id,
            local_workflow_id=workflow.local_workflow_id,
            current_interaction_id=interaction.interaction_id,
            status=UowStatus.PENDING,
            content_hash=state_hash({"amount": 1}),
        )
        session.add(uow)
        await session.flush()
        session.add_all(
            [
                UowAttributeRow(
                    uow_id=uow.uow_id,
                    instance_id=instance.instance_id,
                    key="amount",
                    value=1,
                    version=1,
                ),
                pending_history(
                    instance.instance_id, uow.uow_id, interaction.interaction_id, uow.content_hash
                ),
                InteractionLogRow(
                    instance_id=instance.instance_id,
                    uow_id=uow.uow_id,
                    log_type=LogType.STATE_TRANSITION,
                    event_details={"to": "PENDING"},
                ),
            ]
        )
        return SeededUow(
            instance.instance_id, workflow.local_workflow_id, interaction.interaction_id, uow.uow_id
        )

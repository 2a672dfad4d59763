"""Generated data for the benchmarks: a real instance (through the services), then many units
of work with history written in bulk (the read benchmark needs volume, not realism)."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import insert, select

from storage.engines import Tiers
from storage.enums import ComponentDirection, UowStatus
from storage.models import (
    LocalComponentRow,
    LocalWorkflowRow,
    UnitOfWorkRow,
    UowAttributeRow,
    UowHistoryRow,
)
from storage.runtime.hashing import state_hash
from storage.runtime.instantiation import instantiate
from storage.templates.importer import import_template_yaml
from storage.types import utcnow
from tests.conftest import EXAMPLES


async def example_instance(tiers: Tiers, name: str = "Bench") -> uuid.UUID:
    for file in ("receipt_audit.yaml", "expense_review.yaml"):
        await import_template_yaml(tiers.template, text=(EXAMPLES / file).read_text())
    return (await instantiate(tiers, template_name="Expense_Review", name=name)).instance_id


async def bulk_uows(
    tiers: Tiers,
    instance_id: uuid.UUID,
    *,
    uows: int,
    history_per_uow: int,
    seed: int = 1,
    status: UowStatus | None = None,
) -> list[uuid.UUID]:
    """`uows` units of work spread over the master workflow's consumed interactions, each with
    `status` if given, else one drawn at random from PENDING, ACTIVE and COMPLETED."""
    rng = random.Random(seed)
    async with tiers.instance.sessions.begin() as session:
        workflow = await session.scalar(
            select(LocalWorkflowRow.local_workflow_id).where(
                LocalWorkflowRow.instance_id == instance_id, LocalWorkflowRow.is_master
            )
        )
        interactions = sorted(
            set(
                await session.scalars(
                    select(LocalComponentRow.interaction_id).where(
                        LocalComponentRow.local_workflow_id == workflow,
                        LocalComponentRow.direction == ComponentDirection.INBOUND,
                    )
                )
            ),
            key=str,
        )
        start = utcnow() - timedelta(days=1)
        uow_rows, attribute_rows, history_rows = [], [], []
        statuses = [UowStatus.PENDING, UowStatus.ACTIVE, UowStatus.COMPLETED]
        for n in range(uows):
            uow_id = uuid.uuid4()
            attributes = {"amount": rng.randint(1, 5000), "line": n}
            created = start + timedelta(milliseconds=n)
            uow_rows.append(
                {
                    "uow_id": uow_id,
                    "instance_id": instance_id,
                    "local_workflow_id": workflow,
                    "current_interaction_id": interactions[n % len(interactions)],
                    "status": status or rng.choice(statuses),
                    "content_hash": state_hash(attributes),
                    "version": max(1, history_per_uow),
                    "child_count": 0,
                    "finished_child_count": 0,
                    "retry_count": 0,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            attribute_rows += [
                {
                    "attribute_id": uuid.uuid4(),
                    "uow_id": uow_id,
                    "instance_id": instance_id,
                    "key": key,
                    "value": value,
                    "version": 1,
                    "created_at": created,
                }
                for key, value in attributes.items()
            ]
            previous = None
            for step in range(history_per_uow):
                # Not `status`: that is the caller's override, read again for the next unit.
                step_status = statuses[step % len(statuses)]
                history_rows.append(
                    {
                        "history_id": uuid.uuid4(),
                        "instance_id": instance_id,
                        "uow_id": uow_id,
                        "previous_status": previous,
                        "new_status": step_status,
                        "new_state_hash": state_hash(attributes),
                        "new_interaction_id": interactions[n % len(interactions)],
                        "transition_timestamp": created + timedelta(seconds=step),
                        "reasoning": f"step {step}",
                    }
                )
                previous = step_status
        for model, rows in (
            (UnitOfWorkRow, uow_rows),
            (UowAttributeRow, attribute_rows),
            (UowHistoryRow, history_rows),
        ):
            for chunk in range(0, len(rows), 2000):
                await session.execute(insert(model), rows[chunk : chunk + 2000])
    return [row["uow_id"] for row in uow_rows]


async def pending_unit_sets(
    template_url: str, instance_url: str, sets: int, size: int
) -> list[list[uuid.UUID]]:
    """`sets` disjoint lists of `size` PENDING units of work (one history entry each) of one
    example instance, for rounds that must not touch each other's units."""
    tiers = Tiers.open(template_url, instance_url)
    try:
        instance_id = await example_instance(tiers)
        uow_ids = await bulk_uows(
            tiers, instance_id, uows=sets * size, history_per_uow=1, status=UowStatus.PENDING
        )
    finally:
        await tiers.dispose()
    return [uow_ids[n * size : (n + 1) * size] for n in range(sets)]

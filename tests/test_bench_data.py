"""The benchmarks' data generator: the read benchmark is only realistic with a status mix."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from storage.engines import Tiers
from storage.enums import UowStatus
from storage.models import UnitOfWorkRow, UowHistoryRow
from tests.bench.data import bulk_uows, example_instance


async def test_generated_units_have_a_mix_of_statuses(tiers: Tiers) -> None:
    instance_id = await example_instance(tiers)
    uow_ids = await bulk_uows(tiers, instance_id, uows=60, history_per_uow=3)
    async with tiers.instance.sessions() as session:
        statuses = Counter(
            await session.scalars(
                select(UnitOfWorkRow.status).where(UnitOfWorkRow.uow_id.in_(uow_ids))
            )
        )
        history = await session.scalar(
            select(func.count()).where(UowHistoryRow.uow_id.in_(uow_ids))
        )
    assert sum(statuses.values()) == 60
    assert len(statuses) >= 3, statuses
    assert max(statuses.values()) <= 0.6 * 60, statuses
    assert history == 180


async def test_a_given_status_is_kept_for_every_unit(tiers: Tiers) -> None:
    instance_id = await example_instance(tiers)
    uow_ids = await bulk_uows(
        tiers, instance_id, uows=5, history_per_uow=2, status=UowStatus.PENDING
    )
    async with tiers.instance.sessions() as session:
        statuses = set(
            await session.scalars(
                select(UnitOfWorkRow.status).where(UnitOfWorkRow.uow_id.in_(uow_ids))
            )
        )
    assert statuses == {UowStatus.PENDING}

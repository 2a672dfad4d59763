"""The UOW lifecycle through the services: the transition table, history, hashes, children."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import event, func, select

from storage.engines import Tiers
from storage.enums import InstanceStatus, LogType, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.models import InteractionLogRow, UnitOfWorkRow, UowHistoryRow
from storage.runtime import actors, transitions, uows
from storage.runtime.attributes import current_attributes
from storage.runtime.hashing import state_hash
from tests.services import expense_instance, held_by_splitter

S = UowStatus
# SPEC 4.5, written out again here so that a change to the service's table fails this test.
SPEC_TABLE = {
    S.PENDING: {S.ACTIVE, S.PAUSED, S.ZOMBIED_SOFT, S.FAILED},
    S.ACTIVE: {
        S.COMPLETED,
        S.FAILED,
        S.PENDING,
        S.PENDING_PILOT_APPROVAL,
        S.ZOMBIED_SOFT,
        S.PAUSED,
    },
    S.PENDING_PILOT_APPROVAL: {S.ACTIVE, S.FAILED, S.PAUSED},
    S.ZOMBIED_SOFT: {S.ACTIVE, S.PENDING, S.ZOMBIED_DEAD},
    S.ZOMBIED_DEAD: {S.FAILED, S.ARCHIVED},
    S.PAUSED: {S.PENDING},  # back to where it was paused from (PENDING in this test)
    S.FAILED: {S.ACTIVE, S.ARCHIVED},
    S.COMPLETED: {S.ARCHIVED},
    S.ARCHIVED: set(),
}
# How to reach each starting status from PENDING.
PATHS = {
    S.PENDING: [],
    S.ACTIVE: [S.ACTIVE],
    S.PENDING_PILOT_APPROVAL: [S.ACTIVE, S.PENDING_PILOT_APPROVAL],
    S.ZOMBIED_SOFT: [S.ZOMBIED_SOFT],
    S.ZOMBIED_DEAD: [S.ZOMBIED_SOFT, S.ZOMBIED_DEAD],
    S.PAUSED: [S.PAUSED],
    S.FAILED: [S.FAILED],
    S.COMPLETED: [S.ACTIVE, S.COMPLETED],
    S.ARCHIVED: [S.FAILED, S.ARCHIVED],
}


async def _counts(tiers: Tiers, uow_id: object) -> tuple[int, int]:
    async with tiers.instance.sessions() as session:
        history = await session.scalar(
            select(func.count()).select_from(UowHistoryRow).where(UowHistoryRow.uow_id == uow_id)
        )
        logs = await session.scalar(
            select(func.count())
            .select_from(InteractionLogRow)
            .where(
                InteractionLogRow.uow_id == uow_id,
                InteractionLogRow.log_type == LogType.STATE_TRANSITION,
            )
        )
    return history or 0, logs or 0


async def test_every_pair_of_statuses(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    for start, target in itertools.product(PATHS, list(S)):
        genesis = await uows.start_work(tiers.instance, instance_id=instance.instance_id)
        uow_id = genesis.uow.uow_id
        for step in PATHS[start]:
            await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=step)
        before = await _counts(tiers, uow_id)
        if target in SPEC_TABLE[start]:
            result = await transitions.transition_uow(
                tiers.instance, uow_id=uow_id, to_status=target
            )
            assert result.uow.status == target
            assert result.history.previous_status == start
            assert await _counts(tiers, uow_id) == (before[0] + 1, before[1] + 1)
        else:
            with pytest.raises(DomainError) as refused:
                await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=target)
            assert refused.value.problems[0].code == ErrorCode.INVALID_TRANSITION, (start, target)
            assert await _counts(tiers, uow_id) == before


async def test_paused_returns_only_to_where_it_was(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    uow_id = (await uows.start_work(tiers.instance, instance_id=instance.instance_id)).uow.uow_id
    await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.ACTIVE)
    await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.PAUSED)
    for wrong in (S.PENDING, S.COMPLETED, S.FAILED):
        with pytest.raises(DomainError, match="returns to ACTIVE only"):
            await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=wrong)
    result = await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.ACTIVE)
    assert result.uow.status == S.ACTIVE


async def test_hash_and_attribute_versions_follow_every_change(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    start = await uows.start_work(
        tiers.instance, instance_id=instance.instance_id, attributes={"amount": 10, "note": "é"}
    )
    uow_id = start.uow.uow_id
    assert start.uow.content_hash == state_hash({"amount": 10, "note": "é"})
    changes = [{"amount": 20}, {"flagged": True}, {"amount": 30, "note": None}]
    for change in changes:
        result = await transitions.transition_uow(
            tiers.instance, uow_id=uow_id, attributes=change, reasoning="edit"
        )
        async with tiers.instance.sessions() as session:
            attributes = await session.run_sync(current_attributes, uow_id)
        assert result.uow.content_hash == state_hash(attributes)
        assert result.history.new_state_hash == result.uow.content_hash
    assert attributes == {"amount": 30, "note": None, "flagged": True}
    assert result.uow.version == 4


async def test_expected_version_and_hash_mismatch_write_nothing(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    start = await uows.start_work(tiers.instance, instance_id=instance.instance_id)
    uow_id = start.uow.uow_id
    before = await _counts(tiers, uow_id)
    for kwargs in ({"expected_version": 7}, {"expected_state_hash": "0" * 64}):
        with pytest.raises(DomainError) as stale:
            await transitions.transition_uow(
                tiers.instance, uow_id=uow_id, to_status=S.ACTIVE, attributes={"x": 1}, **kwargs
            )
        assert stale.value.problems[0].code == ErrorCode.STALE_STATE
    assert await _counts(tiers, uow_id) == before
    async with tiers.instance.sessions() as session:
        row = await session.get(UnitOfWorkRow, uow_id)
        assert row is not None
        assert (row.version, row.status) == (1, S.PENDING)
        assert await session.run_sync(current_attributes, uow_id) == {}


async def test_children_count_once_even_when_finishing_together(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    parent = (
        await uows.start_work(
            tiers.instance, instance_id=instance.instance_id, attributes={"claim": 1}
        )
    ).uow
    splitter = await held_by_splitter(tiers, instance, parent.uow_id)
    result = await uows.decompose(
        tiers.instance,
        parent_id=parent.uow_id,
        actor_id=splitter,
        children=[{"line": n} for n in range(6)],
    )
    assert result.parent.child_count == 6
    children = [child.uow.uow_id for child in result.children]
    async with tiers.instance.sessions() as session:
        assert await session.run_sync(current_attributes, children[0]) == {"claim": 1, "line": 0}
    for child in children:
        await transitions.transition_uow(tiers.instance, uow_id=child, to_status=S.ACTIVE)
    # One child fails, is picked up again and completes: it still counts once.
    await transitions.transition_uow(tiers.instance, uow_id=children[0], to_status=S.FAILED)
    await transitions.transition_uow(tiers.instance, uow_id=children[0], to_status=S.ACTIVE)

    async def complete(uow_id: object) -> None:
        for _ in range(50):
            try:
                await transitions.transition_uow(
                    tiers.instance, uow_id=uow_id, to_status=S.COMPLETED
                )
                return
            except DomainError as error:  # the parent row is busy: the client retries
                if error.problems[0].code != ErrorCode.STALE_STATE:
                    raise
                await asyncio.sleep(0.01)

    await asyncio.gather(*(complete(child) for child in children))
    async with tiers.instance.sessions() as session:
        row = await session.get(UnitOfWorkRow, parent.uow_id)
        assert row is not None
        assert (row.child_count, row.finished_child_count) == (6, 6)


async def test_inactive_instances_refuse_work(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    uow_id = (await uows.start_work(tiers.instance, instance_id=instance.instance_id)).uow.uow_id
    await actors.set_instance_status(
        tiers.instance, instance_id=instance.instance_id, status=InstanceStatus.PAUSED
    )
    calls = [
        uows.start_work(tiers.instance, instance_id=instance.instance_id),
        transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.ACTIVE),
        uows.decompose(tiers.instance, parent_id=uow_id, children=[{}]),
    ]
    for call in calls:
        with pytest.raises(DomainError) as refused:
            await call
        assert refused.value.problems[0].code == ErrorCode.INSTANCE_NOT_ACTIVE
    await actors.set_instance_status(
        tiers.instance, instance_id=instance.instance_id, status=InstanceStatus.ACTIVE
    )
    result = await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.ACTIVE)
    assert result.uow.status == S.ACTIVE


async def test_a_transition_sends_five_statements(tiers: Tiers) -> None:
    """The hot path: claim, holding role, row, history, log (no read-back, no extra checks)."""
    instance = await expense_instance(tiers)
    uow_id = (await uows.start_work(tiers.instance, instance_id=instance.instance_id)).uow.uow_id
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.split()[0] not in ("BEGIN", "SAVEPOINT", "RELEASE"):  # transaction control
            sent.append(statement.split()[0])

    tiers.instance.watch_engines(
        lambda engine: event.listen(engine, "before_cursor_execute", record)
    )
    await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.ACTIVE)
    assert sent == ["UPDATE", "SELECT", "UPDATE", "INSERT", "INSERT"]
    sent.clear()
    await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.COMPLETED)
    assert sent == ["UPDATE", "UPDATE", "INSERT", "INSERT"]  # leaving ACTIVE: no role to find


async def test_a_change_that_changes_nothing_is_refused(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    uow_id = (await uows.start_work(tiers.instance, instance_id=instance.instance_id)).uow.uow_id
    before = await _counts(tiers, uow_id)
    for empty in ({}, {"attributes": {}}):
        with pytest.raises(DomainError) as refused:
            await transitions.transition_uow(tiers.instance, uow_id=uow_id, **empty)
        assert refused.value.problems[0].code == ErrorCode.VALIDATION_FAILED
    assert await _counts(tiers, uow_id) == before


async def test_a_paused_unit_resumes_after_changes_made_while_paused(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    uow_id = (await uows.start_work(tiers.instance, instance_id=instance.instance_id)).uow.uow_id
    await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.PAUSED)
    await transitions.transition_uow(tiers.instance, uow_id=uow_id, attributes={"note": "x"})
    with pytest.raises(DomainError) as refused:
        await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.ACTIVE)
    assert "returns to PENDING only" in refused.value.problems[0].message
    resumed = await transitions.transition_uow(tiers.instance, uow_id=uow_id, to_status=S.PENDING)
    assert resumed.uow.status == S.PENDING

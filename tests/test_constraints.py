"""Constraints of SPEC 3 hold in the database: CHECKs, uniqueness, foreign keys, the guide."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.engines import Tiers
from storage.enums import RoleType
from storage.models import (
    InstanceBase,
    LocalRoleRow,
    TemplateBase,
    TemplateRoleRow,
    TemplateWorkflowRow,
)
from tests.databases import TierUrls
from tests.factories import seed_uow
from tests.raw_sql import RawConnection


async def test_check_constraint_refuses_an_unknown_status(tiers: Tiers, db_urls: TierUrls) -> None:
    seeded = await seed_uow(tiers)
    async with RawConnection(db_urls) as raw:
        with pytest.raises(raw.refusal, match=r"(?i)ck_UnitsOfWork_uow_status|check"):
            await raw.execute(
                f"UPDATE \"UnitsOfWork\" SET status = 'BOGUS' WHERE uow_id = '{seeded.uow_id}'"
            )


async def test_strategy_is_required_exactly_for_beta(tiers: Tiers) -> None:
    async with tiers.template.sessions() as session:
        workflow = TemplateWorkflowRow(name="Flow", version=1)
        session.add(workflow)
        session.add(TemplateRoleRow(workflow=workflow, name="Beta", role_type=RoleType.BETA))
        with pytest.raises(IntegrityError, match="strategy_iff_beta"):
            await session.flush()


async def test_names_are_unique_in_their_namespace_only(tiers: Tiers) -> None:
    async with tiers.template.sessions.begin() as session:
        first = TemplateWorkflowRow(name="First", version=1)
        second = TemplateWorkflowRow(name="Second", version=1)
        session.add_all(
            [
                TemplateRoleRow(workflow=first, name="Start", role_type=RoleType.ALPHA),
                TemplateRoleRow(workflow=second, name="Start", role_type=RoleType.ALPHA),
            ]
        )
    async with tiers.template.sessions() as session:
        session.add(
            TemplateRoleRow(workflow_id=first.workflow_id, name="Start", role_type=RoleType.OMEGA)
        )
        with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
            await session.flush()
    async with tiers.template.sessions() as session:
        session.add(TemplateWorkflowRow(name="First", version=1))
        with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
            await session.flush()
        await session.rollback()
        session.add(TemplateWorkflowRow(name="First", version=2))
        await session.commit()


async def test_foreign_keys_are_enforced(tiers: Tiers) -> None:
    """On SQLite this holds only because the engine turns foreign_keys on for every connection."""
    async with tiers.instance.sessions() as session:
        session.add(
            LocalRoleRow(local_workflow_id=uuid.uuid4(), name="Orphan", role_type=RoleType.ALPHA)
        )
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
            await session.flush()


@pytest.mark.parametrize("tier", ["template", "instance"])
async def test_schema_guide_lists_every_column_with_its_description(
    tiers: Tiers, tier: str
) -> None:
    metadata = TemplateBase.metadata if tier == "template" else InstanceBase.metadata
    opened = tiers.template if tier == "template" else tiers.instance
    async with opened.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT table_name, column_name, data_type, is_primary_key,"
                    " foreign_key_target, description FROM v_ai_schema_guide"
                )
            )
        ).all()
    guide = {(row.table_name, row.column_name): row for row in rows}
    expected = {
        (table.name, column.name): column
        for table in metadata.tables.values()
        for column in table.columns
    }
    assert set(guide) == set(expected)
    for key, column in expected.items():
        row = guide[key]
        assert row.description == column.comment, key
        assert bool(row.is_primary_key) == column.primary_key, key
        assert row.data_type, key
        targets = {f"{fk.column.table.name}.{fk.column.name}" for fk in column.foreign_keys}
        assert (row.foreign_key_target in targets) if targets else row.foreign_key_target is None

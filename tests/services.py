"""Test data made through the storage services (no GraphQL), for service-level tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from storage.engine.checkout import checkout
from storage.engines import Tiers
from storage.enums import ActorType
from storage.models import LocalRoleRow, LocalWorkflowRow
from storage.runtime import actors
from storage.runtime.instantiation import instantiate
from storage.templates.importer import import_template_yaml
from tests.conftest import EXAMPLES


@dataclass(frozen=True, slots=True)
class ExpenseInstance:
    instance_id: uuid.UUID
    name: str


async def expense_instance(tiers: Tiers, name: str = "Expenses") -> ExpenseInstance:
    """Both shared examples imported (child first) and instantiated once."""
    for file in ("receipt_audit.yaml", "expense_review.yaml"):
        try:
            await import_template_yaml(tiers.template, text=(EXAMPLES / file).read_text())
        except Exception as error:  # already imported by an earlier call in this test
            if "already exists" not in str(error):
                raise
    instance = await instantiate(tiers, template_name="Expense_Review", name=name)
    return ExpenseInstance(instance.instance_id, name)


async def held_by_splitter(tiers: Tiers, instance: ExpenseInstance, uow_id: uuid.UUID) -> uuid.UUID:
    """A new actor of the Line_Splitter role checks `uow_id` out; returns the actor's id."""
    actor = await actors.register_actor(
        tiers.instance,
        instance_id=instance.instance_id,
        name=f"splitter {uuid.uuid4().hex[:6]}",
        identity_key=uuid.uuid4().hex,
        type=ActorType.AI_AGENT,
    )
    async with tiers.instance.sessions() as session:
        role_id = await session.scalar(
            select(LocalRoleRow.role_id)
            .join(
                LocalWorkflowRow,
                LocalWorkflowRow.local_workflow_id == LocalRoleRow.local_workflow_id,
            )
            .where(
                LocalWorkflowRow.instance_id == instance.instance_id,
                LocalWorkflowRow.is_master,
                LocalRoleRow.name == "Line_Splitter",
            )
        )
    assert role_id is not None
    await actors.assign_role(tiers.instance, actor_id=actor.actor_id, role_id=role_id)
    taken = await checkout(tiers.instance, role_id=role_id, actor_id=actor.actor_id, uow_id=uow_id)
    assert taken.main is not None
    return actor.actor_id

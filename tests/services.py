"""Test data made through the storage services (no GraphQL), for service-level tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from storage.engines import Tiers
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

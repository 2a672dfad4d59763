"""Instantiation copies in bulk: the statement count does not grow with the template's size."""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import event, func, select

from storage.engines import Tiers
from storage.models import LocalRoleRow, LocalWorkflowRow
from storage.runtime.instantiation import instantiate
from storage.templates.importer import import_template_yaml
from tests.test_template_document import base


def _template(name: str, children: list[str], extra_interactions: int) -> str:
    document: dict[str, Any] = base()
    workflow = document["workflow"]
    workflow["name"] = name
    for n, child in enumerate(children):
        workflow["roles"].append(
            {
                "name": f"Gate_{n}",
                "role_type": "BETA",
                "strategy": "HETEROGENEOUS",
                "child_workflow": child,
            }
        )
        workflow["components"].append(
            {
                "name": f"Gate_{n}_In",
                "role": f"Gate_{n}",
                "interaction": "Inbox",
                "direction": "INBOUND",
            }
        )
        workflow["components"].append(
            {
                "name": f"Gate_{n}_Out",
                "role": f"Gate_{n}",
                "interaction": "Done",
                "direction": "OUTBOUND",
            }
        )
    for n in range(extra_interactions):  # padding: more elements per template
        workflow["interactions"].append({"name": f"Extra_{n}"})
        workflow["components"].append(
            {
                "name": f"Extra_{n}_In",
                "role": "Work",
                "interaction": f"Extra_{n}",
                "direction": "INBOUND",
            }
        )
        workflow["components"].append(
            {
                "name": f"Extra_{n}_Out",
                "role": "Fix",
                "interaction": f"Extra_{n}",
                "direction": "OUTBOUND",
            }
        )
    return yaml.safe_dump(document)


async def _statements_to_instantiate(tiers: Tiers, children: int, size: int, tag: str) -> int:
    names = [f"Child_{tag}_{n}" for n in range(children)]
    for name in names:
        await import_template_yaml(tiers.template, text=_template(name, [], size))
    await import_template_yaml(tiers.template, text=_template(f"Master_{tag}", names, size))
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    engines = [tiers.template.engine.sync_engine, tiers.instance.engine.sync_engine]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        instance = await instantiate(tiers, template_name=f"Master_{tag}", name=f"I_{tag}")
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    async with tiers.instance.sessions() as session:
        copied = await session.scalar(
            select(func.count())
            .select_from(LocalWorkflowRow)
            .where(LocalWorkflowRow.instance_id == instance.instance_id)
        )
        gateways = await session.scalar(
            select(func.count())
            .select_from(LocalRoleRow)
            .join(
                LocalWorkflowRow,
                LocalWorkflowRow.local_workflow_id == LocalRoleRow.local_workflow_id,
            )
            .where(
                LocalWorkflowRow.instance_id == instance.instance_id,
                LocalRoleRow.linked_local_workflow_id.is_not(None),
            )
        )
    assert (copied, gateways) == (children + 1, children)
    return len(seen)


async def test_statement_count_does_not_grow_with_templates_or_elements(tiers: Tiers) -> None:
    small = await _statements_to_instantiate(tiers, children=1, size=0, tag="small")
    large = await _statements_to_instantiate(tiers, children=9, size=15, tag="large")
    assert small == large, (small, large)

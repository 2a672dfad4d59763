"""The demo data set: the project's loan templates, one instance, a few hundred units of work.

Everything is written through the storage services, so the demo obeys the same rules as
real clients (validation, hashing, history, logs).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.engines import Tiers
from storage.enums import ActorType, LogType, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.models import InstanceRow, LocalInteractionRow, LocalRoleRow, LocalWorkflowRow
from storage.runtime import actors, transitions, uows
from storage.runtime.instantiation import ActorSpec, instantiate
from storage.telemetry.buffer import TelemetryBuffer, TelemetryEntry
from storage.templates.importer import import_template_yaml

TEMPLATES = Path(__file__).resolve().parent / "demo_templates"
TEMPLATE_FILES = ("credit_check.yaml", "loan_application.yaml")  # children first
INSTANCE = "Loan_Demo"
ACTORS = [
    ActorSpec(
        "Ada Lovelace",
        "ada@example.com",
        ActorType.HUMAN,
        description="Senior underwriter.",
        roles=["Applicant_Portal", "Underwriter"],
    ),
    ActorSpec(
        "Scoring Agent",
        "agent:scorer",
        ActorType.AI_AGENT,
        description="Scores credit files.",
        capabilities={"model": "risk-v2"},
        roles=["Credit_Gateway", "Credit_Check.Scorer", "Document_Splitter"],
    ),
    ActorSpec(
        "Ops Robot",
        "system:ops",
        ActorType.SYSTEM,
        description="Handles stale and failed work.",
        roles=["Remediation", "Timer"],
    ),
]
Progress = Callable[[int, int], None]


async def demo_exists(tiers: Tiers) -> bool:
    async with tiers.instance.sessions() as session:
        found = await session.scalar(
            select(InstanceRow.instance_id).where(InstanceRow.name == INSTANCE)
        )
        return found is not None


async def _import_templates(tiers: Tiers) -> None:
    for name in TEMPLATE_FILES:
        try:
            await import_template_yaml(tiers.template, text=(TEMPLATES / name).read_text())
        except DomainError as error:
            if error.problems[0].code != ErrorCode.CONFLICT:
                raise


async def _names_to_ids(tiers: Tiers, instance_id: uuid.UUID, model: Any) -> dict[str, Any]:
    """Name -> id of the master workflow's roles or interactions."""
    key = model.__table__.primary_key.columns.values()[0]
    query = (
        select(model.name, key)
        .join(LocalWorkflowRow, LocalWorkflowRow.local_workflow_id == model.local_workflow_id)
        .where(LocalWorkflowRow.instance_id == instance_id, LocalWorkflowRow.is_master)
    )
    async with tiers.instance.sessions() as session:
        return dict((await session.execute(query)).all())


async def load_demo(
    tiers: Tiers, *, uow_count: int = 300, progress: Progress | None = None, seed: int = 7
) -> uuid.UUID:
    """Writes the demo data set; returns the instance id."""
    rng = random.Random(seed)
    await _import_templates(tiers)
    instance = await instantiate(
        tiers,
        template_name="Loan_Application",
        name=INSTANCE,
        description="Demo data: loan applications at every stage.",
        actors=ACTORS,
    )
    interactions = await _names_to_ids(tiers, instance.instance_id, LocalInteractionRow)
    roles = await _names_to_ids(tiers, instance.instance_id, LocalRoleRow)
    for key, value in (("max_auto_approval", 50_000), ("review_sla_hours", 24)):
        await actors.put_role_memory(
            tiers.instance, role_id=roles["Underwriter"], actor_id=None, key=key, value=value
        )
    telemetry = TelemetryBuffer(tiers.instance, capacity=10 * uow_count + 10)
    for n in range(uow_count):
        await _one_application(tiers, telemetry, instance.instance_id, interactions, rng, n)
        if progress is not None:
            progress(n + 1, uow_count)
    await telemetry.drain()
    return instance.instance_id


async def _one_application(
    tiers: Tiers,
    telemetry: TelemetryBuffer,
    instance_id: uuid.UUID,
    interactions: dict[str, uuid.UUID],
    rng: random.Random,
    n: int,
) -> None:
    """One application walked part of the way through the workflow, at random."""
    amount = rng.choice([800, 4_500, 12_000, 30_000, 75_000, 120_000])
    start = await uows.start_work(
        tiers.instance,
        instance_id=instance_id,
        reasoning="application received",
        attributes={
            "applicant": f"Applicant {n:04d}",
            "amount": amount,
            "flagged": rng.random() < 0.1,
        },
    )
    uow = start.uow.uow_id
    telemetry.record(
        TelemetryEntry(
            instance_id,
            LogType.TELEMETRY,
            uow_id=uow,
            details={"event": "received", "channel": "web"},
        )
    )
    stage = rng.random()
    if stage < 0.15:
        return  # still waiting in Applications
    move = transitions.transition_uow
    await move(tiers.instance, uow_id=uow, to_status=UowStatus.ACTIVE, reasoning="picked up")
    if stage < 0.25:
        await move(tiers.instance, uow_id=uow, to_status=UowStatus.PAUSED, reasoning="on hold")
        return
    documents = rng.randint(1, 3)
    await uows.decompose(
        tiers.instance,
        parent_id=uow,
        reasoning="one unit per document",
        children=[{"document": kind} for kind in ["id", "payslip", "bank_statement"][:documents]],
    )
    await move(
        tiers.instance,
        uow_id=uow,
        to_status=UowStatus.PENDING,
        to_interaction_id=interactions["Documents"],
        reasoning="documents split",
        attributes={"documents": documents},
    )
    if stage < 0.45:
        return
    await move(
        tiers.instance,
        uow_id=uow,
        to_status=UowStatus.ACTIVE,
        reasoning="credit check",
        attributes={"score": rng.randint(300, 850)},
    )
    if stage < 0.55:
        await move(
            tiers.instance, uow_id=uow, to_status=UowStatus.FAILED, reasoning="bureau unavailable"
        )
        telemetry.record(
            TelemetryEntry(
                instance_id,
                LogType.ERROR,
                uow_id=uow,
                error={"reason": "bureau timeout", "retry": True},
            )
        )
        return
    route = "Exceptions" if amount > 50_000 else "Credit_Results"
    await move(
        tiers.instance,
        uow_id=uow,
        to_status=UowStatus.PENDING,
        to_interaction_id=interactions[route],
        reasoning=f"routed to {route}",
    )
    telemetry.record(
        TelemetryEntry(
            instance_id,
            LogType.GUARDIAN_DECISION,
            uow_id=uow,
            details={"guardian": "Within_Limit", "route": route},
        )
    )
    if stage < 0.75:
        return
    await move(tiers.instance, uow_id=uow, to_status=UowStatus.ACTIVE, reasoning="underwriting")
    if stage < 0.85:
        await move(
            tiers.instance,
            uow_id=uow,
            to_status=UowStatus.PENDING_PILOT_APPROVAL,
            reasoning="needs a second pair of eyes",
        )
        return
    await move(
        tiers.instance,
        uow_id=uow,
        to_status=UowStatus.COMPLETED,
        attributes={"decision": "approved" if amount <= 50_000 else "referred"},
        reasoning="decision made",
    )

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

from storage.engine.checkout import checkout
from storage.engine.submit import report_failure, submit
from storage.engines import Tiers
from storage.enums import ActorType, LogType, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.models import ActorRow, InstanceRow, LocalRoleRow, LocalWorkflowRow
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
        roles=["Remediation", "Timer", "Credit_Check.Decision", "Credit_Check.Data_Fixer"],
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


async def _role_ids(tiers: Tiers, instance_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """ "Workflow.Role" -> id of every role of the instance."""
    query = (
        select(LocalWorkflowRow.name, LocalRoleRow.name, LocalRoleRow.role_id)
        .join(LocalRoleRow, LocalRoleRow.local_workflow_id == LocalWorkflowRow.local_workflow_id)
        .where(LocalWorkflowRow.instance_id == instance_id)
    )
    async with tiers.instance.sessions() as session:
        return {f"{w}.{r}": key for w, r, key in await session.execute(query)}


async def _actor_ids(tiers: Tiers, instance_id: uuid.UUID) -> dict[str, uuid.UUID]:
    query = select(ActorRow.name, ActorRow.actor_id).where(ActorRow.instance_id == instance_id)
    async with tiers.instance.sessions() as session:
        return {row.name: row.actor_id for row in await session.execute(query)}


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
    roles = await _role_ids(tiers, instance.instance_id)
    desk = _Desk(tiers, roles, await _actor_ids(tiers, instance.instance_id))
    for key, value in (("max_auto_approval", 50_000), ("review_sla_hours", 24)):
        await actors.put_role_memory(
            tiers.instance,
            role_id=roles["Loan_Application.Underwriter"],
            actor_id=None,
            key=key,
            value=value,
        )
    telemetry = TelemetryBuffer(tiers.instance, capacity=10 * uow_count + 10)
    for n in range(uow_count):
        await _one_application(desk, telemetry, instance.instance_id, rng, n)
        if progress is not None:
            progress(n + 1, uow_count)
    await telemetry.drain()
    return instance.instance_id


class _Desk:
    """The demo's actors at work: every move goes through the engine verbs."""

    def __init__(self, tiers: Tiers, roles: dict[str, uuid.UUID], people: dict[str, uuid.UUID]):
        self.tier, self.roles, self.people = tiers.instance, roles, people

    async def take(self, role: str, actor: str, uow_id: uuid.UUID) -> bool:
        """Check the unit out; False when it is not (or not yet) waiting for the role."""
        try:
            result = await checkout(
                self.tier, role_id=self.roles[role], actor_id=self.people[actor], uow_id=uow_id
            )
        except DomainError as error:
            if error.problems[0].code != ErrorCode.INVALID_TRANSITION:
                raise
            return False
        return result.main is not None

    async def submit(self, uow_id: uuid.UUID, actor: str, **kwargs: Any) -> Any:
        return await submit(self.tier, uow_id=uow_id, actor_id=self.people[actor], **kwargs)

    async def hold(self, uow_id: uuid.UUID, actor: str, status: UowStatus, why: str) -> None:
        await transitions.transition_uow(
            self.tier, uow_id=uow_id, actor_id=self.people[actor], to_status=status, reasoning=why
        )


AGENT, OPS, ADA = "Scoring Agent", "Ops Robot", "Ada Lovelace"


async def _one_application(
    desk: _Desk,
    telemetry: TelemetryBuffer,
    instance_id: uuid.UUID,
    rng: random.Random,
    n: int,
) -> None:
    """One application taken part of the way through the workflow by the engine, at random."""
    amount = rng.choice([800, 4_500, 12_000, 30_000, 75_000, 120_000])
    start = await uows.start_work(
        desk.tier,
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
    if stage < 0.15 or not await desk.take("Loan_Application.Document_Splitter", AGENT, uow):
        return  # still waiting in Applications
    if stage < 0.25:
        await desk.hold(uow, AGENT, UowStatus.PAUSED, "on hold: applicant asked to wait")
        return
    kinds = ["id", "payslip", "bank_statement"][: rng.randint(1, 3)]
    split = await desk.submit(
        uow,
        AGENT,
        reasoning="one unit per document",
        attributes={"documents": len(kinds)},
        decompose=[{"document": kind} for kind in kinds],
    )
    if stage < 0.4:
        return  # documents waiting for the credit check
    for number, child in enumerate(split.children):
        await _credit_check(desk, rng, child.uow.uow_id, fail=stage < 0.5 and number == 0)
    if stage < 0.75 or not await desk.take("Loan_Application.Underwriter", ADA, uow):
        return  # a document is still out, or waits in Exceptions
    if stage < 0.85:
        await desk.hold(uow, ADA, UowStatus.PENDING_PILOT_APPROVAL, "needs a second pair of eyes")
        return
    decision = "approved" if amount <= 50_000 else "referred"
    await desk.submit(uow, ADA, attributes={"decision": decision}, reasoning="decision made")


async def _credit_check(
    desk: _Desk,
    rng: random.Random,
    document: uuid.UUID,
    *,
    fail: bool,
) -> None:
    """One document through the Credit_Check child workflow and back."""
    if not await desk.take("Loan_Application.Credit_Gateway", AGENT, document):
        return
    delegated = await desk.submit(document, AGENT, reasoning="credit check")
    credit_file = delegated.children[0].uow.uow_id
    await desk.take("Credit_Check.Scorer", AGENT, credit_file)
    if fail:
        await report_failure(
            desk.tier,
            uow_id=credit_file,
            actor_id=desk.people[AGENT],
            error={"reason": "bureau timeout", "retry": True},
            reasoning="bureau unavailable",
        )
        return
    await desk.submit(credit_file, AGENT, attributes={"score": rng.randint(300, 850)})
    await desk.take("Credit_Check.Decision", OPS, credit_file)
    await desk.submit(credit_file, OPS, reasoning="score accepted")

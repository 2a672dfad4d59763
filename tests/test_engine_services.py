"""The engine verbs through the storage services: routing, joins, gateways, failures, holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from gql.demo import TEMPLATE_FILES, TEMPLATES
from storage.engine.checkout import checkout
from storage.engine.submit import report_failure, submit
from storage.engines import Tiers
from storage.enums import ActorType, InstanceStatus, LogType, RouteKind, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.models import InteractionLogRow, LocalRoleRow, LocalWorkflowRow, UowHistoryRow
from storage.runtime import actors, transitions, uows
from storage.runtime.instantiation import ActorSpec, instantiate
from storage.templates.importer import import_template_yaml

S = UowStatus


@dataclass
class Loan:
    instance_id: uuid.UUID
    roles: dict[str, uuid.UUID]
    actors: dict[str, uuid.UUID]


async def loan(tiers: Tiers) -> Loan:
    """The demo loan templates, one instance, one actor per role."""
    for name in TEMPLATE_FILES:
        await import_template_yaml(tiers.template, text=(TEMPLATES / name).read_text())
    specs = [
        ActorSpec("splitter", "splitter", ActorType.AI_AGENT, roles=["Document_Splitter"]),
        ActorSpec("gateway", "gateway", ActorType.AI_AGENT, roles=["Credit_Gateway"]),
        ActorSpec("scorer", "scorer", ActorType.AI_AGENT, roles=["Credit_Check.Scorer"]),
        ActorSpec("decider", "decider", ActorType.HUMAN, roles=["Credit_Check.Decision"]),
        ActorSpec("fixer", "fixer", ActorType.HUMAN, roles=["Credit_Check.Data_Fixer"]),
        ActorSpec("remedy", "remedy", ActorType.HUMAN, roles=["Remediation"]),
        ActorSpec("underwriter", "underwriter", ActorType.HUMAN, roles=["Underwriter"]),
    ]
    instance = await instantiate(
        tiers, template_name="Loan_Application", name="Loans", actors=specs
    )
    async with tiers.instance.sessions() as session:
        rows = await session.execute(
            select(LocalWorkflowRow.name, LocalRoleRow.name, LocalRoleRow.role_id)
            .join(
                LocalRoleRow, LocalRoleRow.local_workflow_id == LocalWorkflowRow.local_workflow_id
            )
            .where(LocalWorkflowRow.instance_id == instance.instance_id)
        )
        roles = {f"{w}.{r}": key for w, r, key in rows}
        from storage.models import ActorRow

        people = dict(
            (
                await session.execute(
                    select(ActorRow.name, ActorRow.actor_id).where(
                        ActorRow.instance_id == instance.instance_id
                    )
                )
            ).all()
        )
    return Loan(instance.instance_id, roles, people)


async def take(tiers: Tiers, loan: Loan, role: str, actor: str, **kw: Any) -> Any:
    return await checkout(
        tiers.instance, role_id=loan.roles[role], actor_id=loan.actors[actor], **kw
    )


async def test_a_loan_runs_end_to_end(tiers: Tiers) -> None:
    app = await loan(tiers)
    start = await uows.start_work(
        tiers.instance,
        instance_id=app.instance_id,
        attributes={"applicant": "Ada", "amount": 20_000, "flagged": False},
    )
    base = start.uow.uow_id
    got = await take(tiers, app, "Loan_Application.Document_Splitter", "splitter")
    assert got.main.uow.uow_id == base
    assert got.main.uow.status == S.ACTIVE
    assert got.main.uow.locked_by_actor_id == app.actors["splitter"]
    split = await submit(
        tiers.instance,
        uow_id=base,
        actor_id=app.actors["splitter"],
        decompose=[{"document": "id"}, {"document": "payslip", "flagged": True}],
    )
    assert split.route is not None
    assert split.route.kind == RouteKind.DECOMPOSED
    assert split.main is not None
    assert split.main.uow.status == S.PENDING
    assert len(split.children) == 2
    # Nothing for the underwriter yet: the children are out.
    assert (await take(tiers, app, "Loan_Application.Underwriter", "underwriter")).main is None
    docs = []
    for _ in range(2):
        got = await take(tiers, app, "Loan_Application.Credit_Gateway", "gateway")
        assert got.main is not None
        doc = got.main.uow.uow_id
        docs.append(doc)
        handed = await submit(tiers.instance, uow_id=doc, actor_id=app.actors["gateway"])
        assert handed.route.kind == RouteKind.GATEWAY
        assert handed.main.uow.status == S.ACTIVE
        assert handed.main.uow.locked_by_actor_id is None
    assert (await take(tiers, app, "Loan_Application.Credit_Gateway", "gateway")).main is None
    # Scoring in the child workflow: one file fails and is repaired.
    first = await take(tiers, app, "Credit_Check.Scorer", "scorer")
    failed = await report_failure(
        tiers.instance,
        uow_id=first.main.uow.uow_id,
        actor_id=app.actors["scorer"],
        error={"reason": "bureau timeout"},
    )
    assert failed.main.uow.status == S.FAILED
    assert failed.main.uow.retry_count == 1
    fixed = await take(tiers, app, "Credit_Check.Data_Fixer", "fixer")
    assert fixed.main.uow.uow_id == first.main.uow.uow_id
    back = await submit(tiers.instance, uow_id=fixed.main.uow.uow_id, actor_id=app.actors["fixer"])
    assert back.route.kind == RouteKind.ROUTED
    for _ in range(2):
        scored = await take(tiers, app, "Credit_Check.Scorer", "scorer")
        out = await submit(
            tiers.instance,
            uow_id=scored.main.uow.uow_id,
            actor_id=app.actors["scorer"],
            attributes={"score": 700},
        )
        assert out.route.component_name == "Scorer_Out"
    for _ in range(2):
        decided = await take(tiers, app, "Credit_Check.Decision", "decider")
        done = await submit(
            tiers.instance, uow_id=decided.main.uow.uow_id, actor_id=app.actors["decider"]
        )
        assert done.route.kind == RouteKind.COMPLETED
    # One document went on to Credit_Results (back with its parent), the flagged one to
    # Exceptions; the remediator clears the flag and it goes round again.
    got = await take(tiers, app, "Loan_Application.Remediation", "remedy")
    assert got.main is not None
    again = await submit(
        tiers.instance,
        uow_id=got.main.uow.uow_id,
        actor_id=app.actors["remedy"],
        attributes={"flagged": False},
    )
    assert again.route.component_name == "Remediation_Out"
    got = await take(tiers, app, "Loan_Application.Credit_Gateway", "gateway")
    await submit(tiers.instance, uow_id=got.main.uow.uow_id, actor_id=app.actors["gateway"])
    scored = await take(tiers, app, "Credit_Check.Scorer", "scorer")
    await submit(
        tiers.instance,
        uow_id=scored.main.uow.uow_id,
        actor_id=app.actors["scorer"],
        attributes={"score": 650},
    )
    decided = await take(tiers, app, "Credit_Check.Decision", "decider")
    await submit(tiers.instance, uow_id=decided.main.uow.uow_id, actor_id=app.actors["decider"])
    final = await take(tiers, app, "Loan_Application.Underwriter", "underwriter")
    assert final.main is not None
    assert final.main.uow.uow_id == base
    done = await submit(
        tiers.instance,
        uow_id=base,
        actor_id=app.actors["underwriter"],
        attributes={"decision": "approved"},
    )
    assert done.main.uow.status == S.COMPLETED
    async with tiers.instance.sessions() as session:
        decisions = await session.scalar(
            select(func.count())
            .select_from(InteractionLogRow)
            .where(InteractionLogRow.log_type == LogType.GUARDIAN_DECISION)
        )
        assert decisions
        assert decisions > 5
        story = (
            await session.execute(
                select(UowHistoryRow.previous_status, UowHistoryRow.new_status)
                .where(UowHistoryRow.uow_id == base)
                .order_by(UowHistoryRow.transition_timestamp)
            )
        ).all()
    assert [(a, b) for a, b in story] == [
        (None, S.PENDING),
        (S.PENDING, S.ACTIVE),
        (S.ACTIVE, S.PENDING),
        (S.PENDING, S.ACTIVE),
        (S.ACTIVE, S.COMPLETED),
    ]
    for doc in docs:
        verified = await uows.verify_uow_state(tiers.instance, uow_id=doc)
        assert verified.intact


async def test_rejections_write_nothing(tiers: Tiers) -> None:
    app = await loan(tiers)
    base = (
        await uows.start_work(tiers.instance, instance_id=app.instance_id, attributes={"amount": 1})
    ).uow.uow_id
    with pytest.raises(DomainError) as refused:
        await take(tiers, app, "Loan_Application.Document_Splitter", "gateway")
    assert refused.value.problems[0].code == ErrorCode.FORBIDDEN
    got = await take(tiers, app, "Loan_Application.Document_Splitter", "splitter")
    for kwargs, code in [
        ({"actor_id": app.actors["gateway"]}, ErrorCode.FORBIDDEN),
        ({"actor_id": app.actors["splitter"], "expected_version": 1}, ErrorCode.STALE_STATE),
    ]:
        with pytest.raises(DomainError) as refused:
            await submit(tiers.instance, uow_id=base, **kwargs)
        assert refused.value.problems[0].code == code
    with pytest.raises(DomainError) as refused:
        await transitions.transition_uow(tiers.instance, uow_id=base, to_status=S.COMPLETED)
    assert refused.value.problems[0].code == ErrorCode.FORBIDDEN
    assert got.main.uow.version == 2
    await actors.set_instance_status(
        tiers.instance, instance_id=app.instance_id, status=InstanceStatus.PAUSED
    )
    with pytest.raises(DomainError) as refused:
        await submit(tiers.instance, uow_id=base, actor_id=app.actors["splitter"])
    assert refused.value.problems[0].code == ErrorCode.INSTANCE_NOT_ACTIVE

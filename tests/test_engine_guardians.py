"""Each guardian type as checkout and submit meet it, and what holding a unit of work means."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.engine.checkout import checkout
from storage.engine.graph import GuardianNode, InteractionNode
from storage.engine.guardians import Facts, Outcome, judge
from storage.engine.submit import report_failure, submit
from storage.engines import Tiers
from storage.enums import ActorType, GuardianType, LogType, RouteKind, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.models import ActorRow, InteractionLogRow, LocalInteractionRow, LocalRoleRow
from storage.runtime import transitions, uows
from storage.runtime.instantiation import ActorSpec, instantiate
from storage.templates.importer import import_template_yaml
from storage.types import utcnow

S = UowStatus
PASS = {"name": "Open", "type": "PASS_THRU"}


def template(name: str, inbound: dict[str, Any], outbound: list[dict[str, Any]]) -> str:
    """A small valid workflow: Start -> Inbox -> Worker -> (routes) -> Done -> End."""
    routes = [
        {
            "name": f"Worker_Out_{n}",
            "role": "Worker",
            "interaction": route.get("to", "Done"),
            "direction": "OUTBOUND",
            **({"guardian": route["guardian"]} if "guardian" in route else {}),
        }
        for n, route in enumerate(outbound)
    ]
    document = {
        "workflow": {
            "name": name,
            "roles": [
                {"name": "Start", "role_type": "ALPHA"},
                {"name": "Worker", "role_type": "BETA", "strategy": "HOMOGENEOUS"},
                {"name": "End", "role_type": "OMEGA"},
                {"name": "Fix", "role_type": "EPSILON"},
                {"name": "Clock", "role_type": "TAU"},
            ],
            "interactions": [{"name": "Inbox"}, {"name": "Done"}, {"name": "Broken"}],
            "components": [
                {"name": "Start_Out", "role": "Start", "interaction": "Inbox",
                 "direction": "OUTBOUND"},
                {"name": "Worker_In", "role": "Worker", "interaction": "Inbox",
                 "direction": "INBOUND", "guardian": inbound},
                *routes,
                {"name": "End_In", "role": "End", "interaction": "Done", "direction": "INBOUND",
                 "guardian": {"name": "Join", "type": "CERBERUS"}},
                {"name": "Fix_In", "role": "Fix", "interaction": "Broken",
                 "direction": "INBOUND", "guardian": {"name": "Fix_Gate", "type": "PASS_THRU"}},
                {"name": "Fix_Out", "role": "Fix", "interaction": "Inbox",
                 "direction": "OUTBOUND"},
                {"name": "Clock_In", "role": "Clock", "interaction": "Inbox",
                 "direction": "INBOUND"},
                {"name": "Clock_Out", "role": "Clock", "interaction": "Broken",
                 "direction": "OUTBOUND"},
            ],
        }
    }  # fmt: skip
    return json.dumps(document)  # JSON is YAML


@dataclass
class Desk:
    tiers: Tiers
    instance_id: uuid.UUID
    roles: dict[str, uuid.UUID]
    interactions: dict[str, uuid.UUID]
    actors: dict[str, uuid.UUID]

    async def start(self, **attributes: Any) -> uuid.UUID:
        made = await uows.start_work(
            self.tiers.instance, instance_id=self.instance_id, attributes=attributes
        )
        return made.uow.uow_id

    async def take(self, role: str = "Worker", actor: str = "w1", **kw: Any) -> Any:
        got = await checkout(
            self.tiers.instance, role_id=self.roles[role], actor_id=self.actors[actor], **kw
        )
        return got.main.uow if got.main else None

    async def decisions(self, uow_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.tiers.instance.sessions() as session:
            rows = await session.scalars(
                select(InteractionLogRow.event_details)
                .where(
                    InteractionLogRow.uow_id == uow_id,
                    InteractionLogRow.log_type == LogType.GUARDIAN_DECISION,
                )
                .order_by(InteractionLogRow.log_id)
            )
            return list(rows)


async def desk(tiers: Tiers, inbound: dict[str, Any], outbound: list[dict[str, Any]]) -> Desk:
    name = f"T{uuid.uuid4().hex[:8]}"
    await import_template_yaml(tiers.template, text=template(name, inbound, outbound))
    people = [
        ActorSpec("w1", "w1", ActorType.AI_AGENT, roles=["Worker"]),
        ActorSpec("w2", "w2", ActorType.AI_AGENT, roles=["Worker"]),
        ActorSpec("fixer", "fixer", ActorType.HUMAN, roles=["Fix"]),
        ActorSpec("closer", "closer", ActorType.HUMAN, roles=["End"]),
        ActorSpec("pilot", "pilot", ActorType.HUMAN, roles=[]),
    ]
    made = await instantiate(tiers, template_name=name, name=name, actors=people)
    async with tiers.instance.sessions() as session:
        roles = dict((await session.execute(select(LocalRoleRow.name, LocalRoleRow.role_id))).all())
        interactions = dict(
            (
                await session.execute(
                    select(LocalInteractionRow.name, LocalInteractionRow.interaction_id)
                )
            ).all()
        )
        actors = dict(
            (
                await session.execute(
                    select(ActorRow.name, ActorRow.actor_id).where(
                        ActorRow.instance_id == made.instance_id
                    )
                )
            ).all()
        )
    return Desk(tiers, made.instance_id, roles, interactions, actors)


async def test_criteria_gate_refuses_a_named_unit_and_skips_it_otherwise(tiers: Tiers) -> None:
    gate = {"name": "Small", "type": "CRITERIA_GATE", "config": {"criteria": "amount < 100"}}
    d = await desk(tiers, gate, [{}])
    big = await d.start(amount=500)
    small = await d.start(amount=5)
    with pytest.raises(DomainError) as refused:
        await d.take(uow_id=big)
    problem = refused.value.problems[0]
    assert problem.code == ErrorCode.RULE_VIOLATION
    assert "Small" in problem.message
    assert problem.rule == "CRITERIA_GATE"
    taken = await d.take()
    assert taken.uow_id == small  # the older unit was passed over, not taken
    assert await d.take() is None
    (decision,) = await d.decisions(small)
    assert decision["guardian"] == "Small"
    assert decision["verdict"] == "PASS"
    assert decision["inputs"] == ["amount"]


async def test_directional_filter_routes_but_never_refuses(tiers: Tiers) -> None:
    only_red = {
        "name": "Red_Only",
        "type": "DIRECTIONAL_FILTER",
        "config": {"interaction_policy": "colour == 'red'"},
    }
    d = await desk(tiers, only_red, [{}])
    blue = await d.start(colour="blue")
    assert await d.take(uow_id=blue) is None  # no error: it is just not this role's work
    red = await d.start(colour="red")
    assert (await d.take()).uow_id == red


async def test_ttl_check_refuses_stale_tokens(tiers: Tiers) -> None:
    fresh_only = {"name": "Fresh", "type": "TTL_CHECK", "config": {"max_age_seconds": 0}}
    d = await desk(tiers, fresh_only, [{}])
    stale = await d.start()
    with pytest.raises(DomainError) as refused:
        await d.take(uow_id=stale)
    assert "stale" in refused.value.problems[0].message
    assert await d.take() is None


async def test_composite_needs_every_member_in_order(tiers: Tiers) -> None:
    both = {
        "name": "Both",
        "type": "COMPOSITE",
        "config": {
            "guardians": [
                {"name": "Positive", "type": "CRITERIA_GATE", "config": {"criteria": "n > 0"}},
                {"name": "Even_Label", "type": "CRITERIA_GATE",
                 "config": {"criteria": "label == 'even'"}},
            ]
        },
    }  # fmt: skip
    d = await desk(tiers, both, [{}])
    negative = await d.start(n=-1, label="even")
    odd = await d.start(n=3, label="odd")
    good = await d.start(n=4, label="even")
    for refused_id, member in ((negative, "Positive"), (odd, "Even_Label")):
        with pytest.raises(DomainError) as refused:
            await d.take(uow_id=refused_id)
        assert member in refused.value.problems[0].message
    assert (await d.take()).uow_id == good


async def test_submit_routes_by_priority_and_fails_without_a_route(tiers: Tiers) -> None:
    routes = [
        {"to": "Done", "guardian": {"name": "Z_Last", "type": "DIRECTIONAL_FILTER",
                                    "config": {"interaction_policy": "x > 0", "priority": 2}}},
        {"to": "Broken", "guardian": {"name": "A_First", "type": "DIRECTIONAL_FILTER",
                                      "config": {"interaction_policy": "x > 10",
                                                 "priority": 1}}},
    ]  # fmt: skip
    d = await desk(tiers, PASS, routes)
    for x, expected in ((50, "Broken"), (5, "Done")):
        unit = await d.start(x=x)
        await d.take(uow_id=unit)
        routed = await submit(tiers.instance, uow_id=unit, actor_id=d.actors["w1"])
        assert routed.route is not None
        assert routed.route.interaction_id == d.interactions[expected]
    lost = await d.start(label="no x at all")
    await d.take(uow_id=lost)
    result = await submit(tiers.instance, uow_id=lost, actor_id=d.actors["w1"])
    assert result.route is not None
    assert result.route.kind == RouteKind.NO_ROUTE
    assert result.main is not None
    assert result.main.uow.status == S.FAILED
    assert result.main.uow.current_interaction_id == d.interactions["Broken"]
    # Both guardians judged it; an unset name is a verdict with a reason, not an error.
    verdicts = [(x["guardian"], x["verdict"]) for x in await d.decisions(lost)][-2:]
    assert verdicts == [("A_First", "FAIL"), ("Z_Last", "FAIL")]
    assert "'x' is not set" in (await d.decisions(lost))[-1]["reason"]


async def test_cerberus_sends_the_parent_to_epsilon_when_a_child_failed(tiers: Tiers) -> None:
    # Here the Worker's only route leads to the join: the children wait there, where the
    # closer (OMEGA) takes them one by one (a child has no children: CERBERUS lets it by).
    d = await desk(tiers, PASS, [{}])
    parent = await d.start(order=1)
    await d.take(uow_id=parent)
    split = await submit(
        tiers.instance, uow_id=parent, actor_id=d.actors["w1"], decompose=[{"n": 1}, {"n": 2}]
    )
    assert split.main is not None
    assert split.main.uow.current_interaction_id == d.interactions["Done"]
    first, second = (child.uow.uow_id for child in split.children)
    closer = d.actors["closer"]
    # The parent is not taken while its children are out.
    assert (await d.take("End", "closer")).uow_id == first
    await report_failure(tiers.instance, uow_id=first, actor_id=closer, error={"e": 1})
    # Oldest first: the second child, then the parent, whose join a failed child refuses.
    assert (await d.take("End", "closer")).uow_id == second
    got = await checkout(tiers.instance, role_id=d.roles["End"], actor_id=closer)
    assert got.main is None
    (escalated,) = got.transitions
    assert escalated.uow.uow_id == parent
    assert escalated.uow.status == S.FAILED
    assert escalated.uow.current_interaction_id == d.interactions["Broken"]
    decisions = await d.decisions(parent)
    assert decisions[-1]["guardian"] == "Join"
    assert decisions[-1]["verdict"] == "ESCALATE"


async def test_holding_rules(tiers: Tiers) -> None:
    d = await desk(tiers, PASS, [{}])
    unit = await d.start()
    await d.take(uow_id=unit, actor="w1")
    for actor in (d.actors["w2"], None):
        with pytest.raises(DomainError) as refused:
            await transitions.transition_uow(
                tiers.instance, uow_id=unit, actor_id=actor, attributes={"x": 1}
            )
        assert refused.value.problems[0].code == ErrorCode.FORBIDDEN
    # The holder asks for approval: the lock is released; the pilot's approval returns it.
    asked = await transitions.transition_uow(
        tiers.instance, uow_id=unit, actor_id=d.actors["w1"], to_status=S.PENDING_PILOT_APPROVAL
    )
    assert asked.uow.locked_by_actor_id is None
    assert asked.uow.current_role_id is None
    approved = await transitions.transition_uow(
        tiers.instance, uow_id=unit, actor_id=d.actors["pilot"], to_status=S.ACTIVE
    )
    assert approved.uow.locked_by_actor_id == d.actors["w1"]
    assert approved.uow.current_role_id == d.roles["Worker"]
    assert approved.history.actor_id == d.actors["pilot"]
    # Moving between interactions takes the role of the interaction entered.
    moved = await transitions.transition_uow(
        tiers.instance,
        uow_id=unit,
        actor_id=d.actors["w1"],
        to_interaction_id=d.interactions["Done"],
    )
    assert moved.uow.current_role_id == d.roles["End"]  # Done's only consumer
    assert moved.uow.locked_by_actor_id == d.actors["w1"]
    left = await transitions.transition_uow(
        tiers.instance, uow_id=unit, actor_id=d.actors["w1"], to_status=S.COMPLETED
    )
    assert (left.uow.locked_by_actor_id, left.uow.current_role_id) == (None, None)


async def test_decompose_needs_a_unit_held_under_a_beta_role(tiers: Tiers) -> None:
    d = await desk(tiers, PASS, [{}])
    unit = await d.start()
    with pytest.raises(DomainError) as refused:
        await uows.decompose(tiers.instance, parent_id=unit, children=[{}])
    assert refused.value.problems[0].code == ErrorCode.RULE_VIOLATION
    await d.take(uow_id=unit)
    with pytest.raises(DomainError) as refused:
        await uows.decompose(tiers.instance, parent_id=unit, actor_id=d.actors["w2"], children=[{}])
    assert refused.value.problems[0].code == ErrorCode.FORBIDDEN
    made = await uows.decompose(
        tiers.instance, parent_id=unit, actor_id=d.actors["w1"], children=[{}]
    )
    assert made.parent.child_count == 1


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
POLICIES = st.sampled_from(
    [
        "amount > 1000 and not flagged",
        "a < b < c",
        "-x >= 0 or label == 'z'",
        "status == 'ACTIVE' and retry_count < 3",
        "not (a == b)",
    ]
)


@given(
    policy=POLICIES,
    attributes=st.dictionaries(st.sampled_from(["amount", "flagged", "a", "b", "c", "x", "label"]),
                               JSON_VALUES),
    kind=st.sampled_from([GuardianType.CRITERIA_GATE, GuardianType.DIRECTIONAL_FILTER]),
)  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_a_guardian_never_raises_on_client_data(
    policy: str, attributes: dict[str, Any], kind: GuardianType
) -> None:
    """Whatever the attributes hold (wrong types, NaN, huge numbers, nesting), a policy is a
    verdict with a reason."""
    guardian = GuardianNode(uuid.uuid4(), "G", kind, {"criteria": policy})
    unit = type(
        "Unit",
        (),
        {
            "uow_id": uuid.uuid4(),
            "status": S.PENDING,
            "parent_id": None,
            "child_count": 0,
            "finished_child_count": 0,
            "retry_count": 0,
            "updated_at": utcnow(),
        },
    )()
    facts = Facts(
        unit, attributes, InteractionNode(uuid.uuid4(), uuid.uuid4(), "I", None), utcnow()
    )
    decision = judge(guardian, facts, inbound=True)
    assert decision.outcome in (Outcome.PASS, Outcome.FAIL)
    assert decision.reason

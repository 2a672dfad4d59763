"""submit and reportFailure (SPEC 4.6): the holder hands a unit of work back and the
engine decides where it goes.

Submitting at a role routes by its OUTBOUND components in order (name order, or the
guardians' `priority`): the first whose guardians all pass decides the next interaction,
where the unit waits PENDING. No route: FAILED at the EPSILON role's inbound interaction.
At the OMEGA role the unit is COMPLETED. A child that comes back to its parent's CERBERUS
join is COMPLETED there. A BETA role may decompose on submit: the children are routed out
one by one, the parent waits at the join. A gateway role (linked child workflow) starts a
base unit there and keeps the unit, held by no actor, until the child workflow's OMEGA
completes that base unit; then the unit takes the child's results and is routed on.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from storage.engine.graph import InstanceGraph, RoleNode, WorkflowNode, graph_of_workflow
from storage.engine.guardians import Decision, Facts, judge_all
from storage.engine.journal import EngineResult, Journal, Route
from storage.engines import Tier
from storage.enums import LogType, RoleType, RouteKind, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.runtime.attributes import check_record, checked_attributes, newest_of
from storage.runtime.transitions import UOW, Hold, TransitionResult, claim
from storage.runtime.uows import create_uow
from storage.types import utcnow
from storage.values import check_text, checked_json

MAX_CHILDREN = 1_000
_ROW = select(UOW).where(UOW.c.uow_id == bindparam("b_uow_id"))
_WORKFLOW_OF = select(UOW.c.local_workflow_id).where(UOW.c.uow_id == bindparam("b_uow_id"))
_ADD_CHILDREN = (
    update(UOW)
    .where(UOW.c.uow_id == bindparam("b_uow_id"))
    .values(child_count=UOW.c.child_count + bindparam("b_count", type_=UOW.c.child_count.type))
)


@dataclass(frozen=True, slots=True)
class Choice:
    """Where routing sends a unit of work and the decisions that chose it."""

    route: Route
    decisions: tuple[Decision, ...]


def _with_children(session: Connection, uow: Any, count: int) -> Any:
    """Raise the unit's child_count in the database and in the row the move starts from."""
    session.execute(_ADD_CHILDREN, {"b_uow_id": uow.uow_id, "b_count": count})
    return SimpleNamespace(**{**uow._asdict(), "child_count": uow.child_count + count})


def _refusal(code: ErrorCode, message: str, field: str = "uowId") -> DomainError:
    return DomainError.single(code, message, ("input", field))


def _held(
    session: Connection,
    tier: Tier,
    uow_id: uuid.UUID,
    actor_id: uuid.UUID,
    expected_version: int | None,
) -> tuple[Any, InstanceGraph, RoleNode]:
    """Claim a unit of work that `actor_id` holds ACTIVE under a role, or say why not."""
    uow = claim(session, uow_id, expected_version)
    if uow.status != UowStatus.ACTIVE or uow.current_role_id is None:
        raise _refusal(
            ErrorCode.INVALID_TRANSITION,
            f"unit of work {uow_id} is {uow.status.value}; only ACTIVE work held under a "
            "role is submitted",
        )
    if uow.locked_by_actor_id != actor_id:
        holder = uow.locked_by_actor_id
        raise _refusal(
            ErrorCode.FORBIDDEN,
            f"unit of work {uow_id} is held by "
            f"{f'actor {holder}' if holder else 'no actor'}; only its holder submits it",
            "actorId",
        )
    graph = graph_of_workflow(tier, session, uow.local_workflow_id)
    return uow, graph, graph.roles[uow.current_role_id]


async def submit(
    tier: Tier,
    *,
    uow_id: uuid.UUID,
    actor_id: uuid.UUID,
    attributes: Any = None,
    reasoning: str | None = None,
    expected_version: int | None = None,
    metadata: Any = None,
    decompose: list[Any] | None = None,
    inherit: bool = True,
) -> EngineResult:
    """Hand back a held unit of work with its new attributes; the engine routes it.

    Every client value is checked before anything is read or written (`storage.values`)."""
    changes = checked_attributes(attributes)
    check_record(reasoning=reasoning, metadata=metadata)
    overlays = None
    if decompose is not None:
        if not decompose or len(decompose) > MAX_CHILDREN:
            raise _refusal(
                ErrorCode.VALIDATION_FAILED,
                f"decompose: give 1 to {MAX_CHILDREN} children",
                "decompose",
            )
        overlays = [checked_attributes(c, f"decompose[{n}]") for n, c in enumerate(decompose)]

    def hand_back(session: Connection) -> EngineResult:
        uow, graph, role = _held(session, tier, uow_id, actor_id, expected_version)
        journal = Journal(session, actor_id)
        newest = newest_of(session, uow_id)
        current = {key: row.value for key, row in newest.items()} | changes
        workflow = graph.workflows[uow.local_workflow_id]
        step = _Step(journal, graph, workflow, role, reasoning, metadata)
        if overlays is not None:
            return step.decompose(uow, changes, newest, current, overlays, inherit)
        if role.role_type == RoleType.OMEGA:
            return step.complete(uow, changes, newest, current)
        if role.linked_workflow_id is not None:
            return step.delegate(uow, changes, newest, current)
        return step.route_on(uow, changes, newest, current)

    return await tier.write(hand_back)


async def report_failure(
    tier: Tier,
    *,
    uow_id: uuid.UUID,
    actor_id: uuid.UUID,
    error: Any,
    reasoning: str | None = None,
    expected_version: int | None = None,
) -> EngineResult:
    """The holder gives up: FAILED at the EPSILON role's inbound interaction, retry_count
    + 1, the error kept in an ERROR log row."""
    if not isinstance(error, Mapping) or not error:
        raise _refusal(
            ErrorCode.VALIDATION_FAILED, "error: expected a non-empty JSON object", "error"
        )
    checked_json(error, ("input", "error"))
    check_text(reasoning, ("input", "reasoning"))

    def give_up(session: Connection) -> EngineResult:
        uow, graph, role = _held(session, tier, uow_id, actor_id, expected_version)
        journal = Journal(session, actor_id)
        workflow = graph.workflows[uow.local_workflow_id]
        target = workflow.failure_interaction_id
        moved = journal.move(
            uow,
            UowStatus.FAILED,
            to_interaction_id=target,
            retry=True,
            reasoning=reasoning or f"failure reported under role {role.name}",
            metadata={"verb": "reportFailure", "role": role.name},
        )
        journal.log(
            uow,
            LogType.ERROR,
            role_id=role.role_id,
            interaction_id=target,
            error=dict(error),
            details={"verb": "reportFailure", "role": role.name, "reasoning": reasoning},
        )
        route = Route(RouteKind.FAILURE_REPORTED, target, "failure reported by the holder")
        return journal.result(moved, route)

    return await tier.write(give_up)


class _Step:
    """One submit's moves, sharing the journal and the graph."""

    def __init__(
        self,
        journal: Journal,
        graph: InstanceGraph,
        workflow: WorkflowNode,
        role: RoleNode,
        reasoning: str | None,
        metadata: Any,
    ) -> None:
        self.journal, self.graph, self.workflow, self.role = journal, graph, workflow, role
        self.reasoning, self.metadata = reasoning, metadata

    def _meta(self, route: Route) -> dict[str, Any]:
        meta = {"verb": "submit", "role": self.role.name, "route": route.kind.value}
        if route.component_name:
            meta["component"] = route.component_name
        return meta if self.metadata is None else {**meta, "client": self.metadata}

    def route_on(
        self, uow: Any, changes: dict[str, Any], newest: dict[str, Any], current: dict[str, Any]
    ) -> EngineResult:
        parent_workflow = _parent_workflow(self.journal.session, uow)
        choice = choose_route(self.graph, self.role, uow, current, parent_workflow)
        moved = self._go(uow, choice, changes, newest, self.role)
        return self.journal.result(moved, choice.route)

    def _go(
        self,
        uow: Any,
        choice: Choice,
        changes: dict[str, Any],
        newest: dict[str, Any] | None,
        role: RoleNode,
    ) -> TransitionResult:
        """Log the decisions and move the unit where the choice says."""
        route = choice.route
        self.journal.decisions(
            uow,
            choice.decisions,
            role_id=role.role_id,
            interaction_id=uow.current_interaction_id,
            component=route.component_name,
            route=route.kind.value,
        )
        status = UowStatus.PENDING
        if route.kind == RouteKind.NO_ROUTE:
            status = UowStatus.FAILED
        elif route.kind == RouteKind.RETURNED:
            status = UowStatus.COMPLETED
        reason = self.reasoning or f"{route.kind.value.lower()}: {route.reason}"
        return self.journal.move(
            uow,
            status,
            to_interaction_id=route.interaction_id,
            changes=changes,
            newest=newest,
            reasoning=reason,
            metadata=self._meta(route),
        )

    def complete(
        self, uow: Any, changes: dict[str, Any], newest: dict[str, Any], current: dict[str, Any]
    ) -> EngineResult:
        route = Route(RouteKind.COMPLETED, uow.current_interaction_id, "submitted at OMEGA")
        moved = self.journal.move(
            uow,
            UowStatus.COMPLETED,
            changes=changes,
            newest=newest,
            reasoning=self.reasoning or f"completed by {self.role.name}",
            metadata=self._meta(route),
        )
        if uow.parent_id is not None:
            self._resume_gateway(uow, current)
        return self.journal.result(moved, route)

    def delegate(
        self, uow: Any, changes: dict[str, Any], newest: dict[str, Any], current: dict[str, Any]
    ) -> EngineResult:
        """A gateway role: a base unit in the linked child workflow; this unit stays ACTIVE
        under the role, held by no actor, until that base unit is COMPLETED."""
        assert self.role.linked_workflow_id is not None
        child_workflow = self.graph.workflows[self.role.linked_workflow_id]
        entry = child_workflow.entry_interaction_id
        if entry is None:
            raise _refusal(
                ErrorCode.RULE_VIOLATION,
                f"child workflow {child_workflow.name!r} has no ALPHA role with an OUTBOUND "
                "component",
            )
        route = Route(RouteKind.GATEWAY, entry, f"delegated to workflow {child_workflow.name!r}")
        uow = _with_children(self.journal.session, uow, 1)
        moved = self.journal.move(
            uow,
            UowStatus.ACTIVE,
            changes=changes,
            newest=newest,
            hold=Hold(None, self.role.role_id),
            reasoning=self.reasoning or f"waiting for child workflow {child_workflow.name}",
            metadata=self._meta(route),
        )
        child = create_uow(
            self.journal.session,
            instance_id=uow.instance_id,
            workflow_id=child_workflow.workflow_id,
            interaction_id=entry,
            parent_id=uow.uow_id,
            attributes=current,
            actor_id=self.journal.actor_id,
            reasoning=f"started by gateway role {self.role.name}",
        )
        self.journal.transitions.append(child)
        return self.journal.result(moved, route, [child])

    def decompose(
        self,
        uow: Any,
        changes: dict[str, Any],
        newest: dict[str, Any],
        current: dict[str, Any],
        overlays: list[dict[str, Any]],
        inherit: bool,
    ) -> EngineResult:
        if self.role.role_type != RoleType.BETA or not self.role.has_strategy:
            raise _refusal(
                ErrorCode.RULE_VIOLATION,
                f"role {self.role.name!r} is {self.role.role_type.value}; only a BETA role "
                "with a strategy decomposes",
                "decompose",
            )
        join = self.workflow.join_interaction_id
        if join is None:
            raise _refusal(
                ErrorCode.RULE_VIOLATION,
                f"workflow {self.workflow.name!r} has no CERBERUS join to wait at",
                "decompose",
            )
        children = []
        for overlay in overlays:
            attributes = {**(current if inherit else {}), **overlay}
            child = create_uow(
                self.journal.session,
                instance_id=uow.instance_id,
                workflow_id=uow.local_workflow_id,
                interaction_id=uow.current_interaction_id,
                parent_id=uow.uow_id,
                attributes=attributes,
                actor_id=self.journal.actor_id,
                reasoning=f"decomposed by {self.role.name}",
            )
            self.journal.transitions.append(child)
            # A new child is PENDING where its parent was; it is routed out like a submit.
            choice = choose_route(
                self.graph, self.role, child.uow, attributes, uow.local_workflow_id
            )
            children.append(self._place_child(child.uow, choice))
        uow = _with_children(self.journal.session, uow, len(children))
        route = Route(RouteKind.DECOMPOSED, join, f"{len(children)} children routed out")
        moved = self.journal.move(
            uow,
            UowStatus.PENDING,
            to_interaction_id=join,
            changes=changes,
            newest=newest,
            reasoning=self.reasoning or f"decomposed into {len(children)}; waiting at the join",
            metadata=self._meta(route),
        )
        return self.journal.result(moved, route, children)

    def _place_child(self, child: Any, choice: Choice) -> TransitionResult:
        """A just-created child (PENDING) goes where its route says; with no route it is
        FAILED at EPSILON."""
        route = choice.route
        self.journal.decisions(
            child,
            choice.decisions,
            role_id=self.role.role_id,
            interaction_id=child.current_interaction_id,
            component=route.component_name,
            route=route.kind.value,
        )
        status = UowStatus.FAILED if route.kind == RouteKind.NO_ROUTE else UowStatus.PENDING
        claimed = claim(self.journal.session, child.uow_id, child.version)
        return self.journal.move(
            claimed,
            status,
            to_interaction_id=route.interaction_id,
            reasoning=f"{route.kind.value.lower()}: {route.reason}",
            metadata={"verb": "decompose", "role": self.role.name, "route": route.kind.value},
        )

    def _resume_gateway(self, done: Any, results: dict[str, Any]) -> None:
        """A base unit of a child workflow is COMPLETED: its parent, waiting at a gateway
        role, takes the results that differ and is routed on from that role."""
        session = self.journal.session
        parent = session.execute(_ROW, {"b_uow_id": done.parent_id}).one()
        role = self.graph.roles.get(parent.current_role_id) if parent.current_role_id else None
        if (
            role is None
            or parent.status != UowStatus.ACTIVE
            or parent.locked_by_actor_id is not None
            or role.linked_workflow_id != done.local_workflow_id
        ):
            return  # a decomposition child's parent: it waits at its join instead
        parent = claim(session, parent.uow_id, parent.version)
        newest = newest_of(session, parent.uow_id)
        before = {key: row.value for key, row in newest.items()}
        changes = {k: v for k, v in results.items() if k not in before or before[k] != v}
        parent_workflow = _parent_workflow(session, parent)
        choice = choose_route(self.graph, role, parent, before | changes, parent_workflow)
        self.reasoning = f"child workflow {self.workflow.name} completed"
        self._go(parent, choice, changes, newest, role)


def choose_route(
    graph: InstanceGraph,
    role: RoleNode,
    uow: Any,
    attributes: dict[str, Any],
    parent_workflow_id: uuid.UUID | None,
) -> Choice:
    """The first OUTBOUND component of `role` whose guardians all pass; none: NO_ROUTE to
    the EPSILON role's inbound interaction. Every guardian judged is in the decisions."""
    workflow = graph.workflows[role.workflow_id]
    decisions: list[Decision] = []
    now = utcnow()
    for component in role.outbound:
        facts = Facts(uow, attributes, graph.interactions[component.interaction_id], now)
        judged = judge_all(component.guardians, facts, inbound=False)
        decisions.extend(judged)
        if all(d.passed for d in judged):
            kind = RouteKind.ROUTED
            # A decomposition child (its parent in the same workflow) that reaches a
            # CERBERUS join is back with its parent: it is COMPLETED there.
            if parent_workflow_id == uow.local_workflow_id and workflow.is_join(
                component.interaction_id
            ):
                kind = RouteKind.RETURNED
            last = judged[-1].guardian if judged else None
            reason = judged[-1].reason if judged else "default route (no guardian)"
            return Choice(
                Route(
                    kind,
                    component.interaction_id,
                    f"{component.name} -> {graph.interactions[component.interaction_id].name}: "
                    f"{reason}",
                    component.component_id,
                    component.name,
                    last.guardian_id if last else None,
                    last.name if last else None,
                ),
                tuple(decisions),
            )
    target = workflow.failure_interaction_id
    reason = "no outbound route's guardians passed" if role.outbound else "no outbound route"
    return Choice(Route(RouteKind.NO_ROUTE, target, reason), tuple(decisions))


def _parent_workflow(session: Connection, uow: Any) -> uuid.UUID | None:
    """The workflow of a unit's parent: the same for a decomposition child, the parent
    workflow for a gateway's base unit."""
    if uow.parent_id is None:
        return None
    return session.scalar(_WORKFLOW_OF, {"b_uow_id": uow.parent_id})

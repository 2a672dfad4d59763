"""checkout (SPEC 4.6): an actor of a role takes the oldest unit of work it may take.

Candidates are read oldest first in small batches (units waiting for their children are
left out in SQL), their inbound guardians judged in memory, and the first that passes is
claimed with a conditional UPDATE on its version. On PostgreSQL the batch is read with
`FOR UPDATE SKIP LOCKED`, so concurrent checkouts take different rows; on SQLite every write
transaction of the process runs on one writer thread, so candidates cannot be taken away
between the read and the claim. Either way, two actors never hold the same unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, exists, false, or_, select

from storage.engine.graph import InstanceGraph, RoleNode, graph_of_role
from storage.engine.guardians import Decision, Facts, Outcome, judge_all
from storage.engine.journal import EngineResult, Journal
from storage.engines import Tier
from storage.enums import AssignmentStatus, GuardianType, InstanceStatus, RoleType, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.models import ActorRow, AssignmentRow
from storage.prepared import Prepared
from storage.runtime.attributes import NEWEST_OF_MANY
from storage.runtime.transitions import INSTANCES, UOW, Hold, claim
from storage.types import utcnow

BATCHES = (4, 32, 128)  # the oldest candidates first; most checkouts take the first
MAX_SCANNED = 10_000  # an inbox is read at most this deep
ACTORS = cast(Table, ActorRow.__table__)
ASSIGNMENTS = cast(Table, AssignmentRow.__table__)
_AT_REST = (UowStatus.COMPLETED, UowStatus.ARCHIVED)
_CHILD = UOW.alias("child")


def _children_where(*conditions: Any) -> Any:
    return exists().where(_CHILD.c.parent_id == UOW.c.uow_id, *conditions)


def _any_of(column: Any, values: Any) -> Any:
    """`column IN values` as plain comparisons (a `Prepared` statement takes no expanding
    IN); an empty list matches nothing."""
    return or_(*(column == value for value in values)) if values else false()


_OPEN_CHILD = _children_where(
    _CHILD.c.status != UowStatus.COMPLETED, _CHILD.c.status != UowStatus.ARCHIVED
)
_FAILED_CHILD = _children_where(_CHILD.c.status == UowStatus.FAILED)
_OLDEST_FIRST = (UOW.c.updated_at, UOW.c.uow_id)
_AFTER = or_(
    UOW.c.updated_at > bindparam("b_after_at"),
    and_(UOW.c.updated_at == bindparam("b_after_at"), UOW.c.uow_id > bindparam("b_after_id")),
)


@dataclass(frozen=True, slots=True)
class _RoleQueries:
    """The candidate reads of one role, built once (they depend only on the graph)."""

    first: Prepared
    next: Prepared
    named: Prepared

    @classmethod
    def of(cls, role: RoleNode) -> _RoleQueries:
        # A unit waits in a plain interaction until none of its children is open (a
        # gateway's unit waits for its child workflow); at a CERBERUS join it is taken once
        # every child is at rest or one has FAILED (then the guardian sends it to EPSILON).
        plain = sorted({c.interaction_id for c in role.inbound if not c.is_join})
        joins = sorted({c.interaction_id for c in role.inbound if c.is_join})
        places = []
        if plain:
            places.append(and_(_any_of(UOW.c.current_interaction_id, plain), ~_OPEN_CHILD))
        if joins:
            at_join = or_(~_OPEN_CHILD, _FAILED_CHILD)
            places.append(and_(_any_of(UOW.c.current_interaction_id, joins), at_join))
        waiting = and_(
            _any_of(UOW.c.status, statuses_taken_by(role)),
            or_(*places) if places else false(),
        )
        first = select(UOW).where(waiting).order_by(*_OLDEST_FIRST).limit(bindparam("b_limit"))
        return cls(
            Prepared(first),
            Prepared(first.where(_AFTER)),
            Prepared(select(UOW).where(waiting, UOW.c.uow_id == bindparam("b_uow_id"))),
        )


def _queries(graph: InstanceGraph, role: RoleNode) -> _RoleQueries:
    queries = graph.memo.get(("checkout", role.role_id))
    if queries is None:
        queries = graph.memo[("checkout", role.role_id)] = _RoleQueries.of(role)
    return cast(_RoleQueries, queries)


_CHILD_STATUSES = select(UOW.c.parent_id, UOW.c.status).where(
    UOW.c.parent_id.in_(bindparam("b_ids", expanding=True))
)
_ACCESS = Prepared(
    select(
        select(INSTANCES.c.status)
        .where(INSTANCES.c.instance_id == bindparam("b_instance_id"))
        .scalar_subquery()
        .label("instance_status"),
        select(ACTORS.c.instance_id)
        .where(ACTORS.c.actor_id == bindparam("b_actor_id"))
        .scalar_subquery()
        .label("actor_instance"),
        select(ASSIGNMENTS.c.status)
        .where(
            ASSIGNMENTS.c.actor_id == bindparam("b_actor_id"),
            ASSIGNMENTS.c.role_id == bindparam("b_role_id"),
        )
        .scalar_subquery()
        .label("assignment"),
    )
)


@dataclass(frozen=True, slots=True)
class Judged:
    """A candidate with its guardians' verdicts (in order, up to the first that failed)."""

    uow: Any
    decisions: tuple[Decision, ...]
    outcome: Outcome


def check_actor(
    session: Connection, graph: InstanceGraph, actor_id: uuid.UUID, role_id: uuid.UUID | None
) -> None:
    """The actor exists in the role's instance, the instance is ACTIVE and (when a role is
    named) the actor has an ACTIVE assignment to it; one statement."""
    row = _ACCESS.run(
        session,
        {"b_instance_id": graph.instance_id, "b_actor_id": actor_id, "b_role_id": role_id},
    )[0]
    if row.actor_instance is None:
        raise DomainError.single(
            ErrorCode.NOT_FOUND, f"no actor with id {actor_id}", ("input", "actorId")
        )
    if row.actor_instance != graph.instance_id:  # instances are closed to each other's actors
        raise DomainError.single(
            ErrorCode.FORBIDDEN,
            f"actor {actor_id} belongs to another instance than this unit of work's",
            ("input", "actorId"),
        )
    if row.instance_status != InstanceStatus.ACTIVE:
        raise DomainError.single(
            ErrorCode.INSTANCE_NOT_ACTIVE,
            f"the instance is {row.instance_status.value}; it accepts no work",
            ("input", "roleId" if role_id else "uowId"),
        )
    if role_id is not None and row.assignment != AssignmentStatus.ACTIVE:
        raise DomainError.single(
            ErrorCode.FORBIDDEN,
            f"actor {actor_id} has no ACTIVE assignment to role {graph.roles[role_id].name!r}",
            ("input", "actorId"),
        )


def statuses_taken_by(role: RoleNode) -> list[UowStatus]:
    """PENDING work; the EPSILON role also picks up FAILED work (remediation)."""
    if role.role_type == RoleType.EPSILON:
        return [UowStatus.PENDING, UowStatus.FAILED]
    return [UowStatus.PENDING]


def judged_candidates(
    session: Connection,
    graph: InstanceGraph,
    role: RoleNode,
    *,
    uow_id: uuid.UUID | None = None,
    batches: tuple[int, ...] = BATCHES,
) -> Iterator[Judged]:
    """The units of work waiting for `role`, oldest first, each judged by the guardians of
    the inbound component it waits behind."""
    queries = _queries(graph, role)
    params: dict[str, Any] = {"b_limit": batches[0]}
    statement = queries.first
    if uow_id is not None:
        statement, params["b_uow_id"] = queries.named, uow_id
    scanned, round_ = 0, 0
    while scanned < MAX_SCANNED:
        rows = statement.run(session, params)
        yield from _judge(session, graph, role, rows)
        scanned += len(rows)
        if uow_id is not None or len(rows) < params["b_limit"]:
            return
        round_ += 1
        params["b_limit"] = batches[min(round_, len(batches) - 1)]
        statement = queries.next
        params["b_after_at"], params["b_after_id"] = rows[-1].updated_at, rows[-1].uow_id


def _judge(
    session: Connection, graph: InstanceGraph, role: RoleNode, rows: Sequence[Any]
) -> Iterator[Judged]:
    if not rows:
        return
    ids = [row.uow_id for row in rows]
    attributes: dict[uuid.UUID, dict[str, Any]] = {key: {} for key in ids}
    if role.inbound_reads_attributes:
        for found in session.execute(NEWEST_OF_MANY, {"b_ids": ids}):
            attributes[found.uow_id][found.key] = found.value
    children: dict[uuid.UUID, list[UowStatus]] = {}
    parents = [row.uow_id for row in rows if row.child_count]
    if parents:
        for child in session.execute(_CHILD_STATUSES, {"b_ids": parents}):
            children.setdefault(child.parent_id, []).append(child.status)
    now = utcnow()
    for row in rows:
        facts = Facts(
            row,
            attributes[row.uow_id],
            graph.interactions[row.current_interaction_id],
            now,
            children.get(row.uow_id, ()),
        )
        guardians = [g for c in role.inbound_from(row.current_interaction_id) for g in c.guardians]
        decisions = judge_all(guardians, facts, inbound=True)
        outcome = Outcome.PASS if all(d.passed for d in decisions) else decisions[-1].outcome
        yield Judged(row, decisions, outcome)


def eligible_units(tier: Tier, session: Connection, role_id: uuid.UUID) -> list[Any]:
    """What an actor of the role could check out now, oldest first (a work queue to show):
    the waiting units its inbound guardians let through, read without taking any."""
    graph = graph_of_role(tier, session, role_id)
    role = graph.roles[role_id]
    scan = judged_candidates(session, graph, role, batches=(200,))
    return [judged.uow for judged in scan if judged.outcome == Outcome.PASS]


async def checkout(
    tier: Tier, *, role_id: uuid.UUID, actor_id: uuid.UUID, uow_id: uuid.UUID | None = None
) -> EngineResult:
    """Take the oldest eligible unit of work (or the one named) for `actor_id` under
    `role_id`: ACTIVE, held by the actor, current role set. Nothing eligible: `main` None."""

    def take(session: Connection) -> EngineResult:
        graph = graph_of_role(tier, session, role_id)
        role = graph.roles[role_id]
        check_actor(session, graph, actor_id, role_id)
        journal = Journal(session, actor_id)
        for judged in judged_candidates(session, graph, role, uow_id=uow_id):
            if judged.outcome == Outcome.PASS:
                taken = _take(journal, role, judged)
                if taken is not None:
                    return journal.result(taken)
            elif judged.outcome == Outcome.ESCALATE:
                _escalate(journal, graph, role, judged)
            elif uow_id is not None:
                _refuse_named(judged)
        if uow_id is not None and not journal.transitions:
            _explain_named(session, graph, role, uow_id)
        return journal.result(None)

    return await tier.write(take)


def _take(journal: Journal, role: RoleNode, judged: Judged) -> Any:
    interaction = judged.uow.current_interaction_id
    journal.decisions(
        judged.uow,
        judged.decisions,
        role_id=role.role_id,
        interaction_id=interaction,
        component=_component_name(role, interaction),
        route=f"checkout by {role.name}",
    )
    return journal.take(
        judged.uow,
        Hold(journal.actor_id, role.role_id),
        reasoning=f"checked out under role {role.name}",
        metadata={"verb": "checkout", "role": role.name},
    )


def _escalate(journal: Journal, graph: InstanceGraph, role: RoleNode, judged: Judged) -> None:
    """CERBERUS met a FAILED child: the parent goes to the EPSILON role, FAILED."""
    workflow = graph.workflows[judged.uow.local_workflow_id]
    target = workflow.failure_interaction_id
    uow = _claim_at(journal.session, judged.uow)
    if uow is None:
        return
    reason = judged.decisions[-1].reason
    journal.decisions(
        uow,
        judged.decisions,
        role_id=role.role_id,
        interaction_id=uow.current_interaction_id,
        component=_component_name(role, uow.current_interaction_id),
        route="EPSILON",
    )
    journal.move(
        uow,
        UowStatus.FAILED,
        to_interaction_id=target,
        reasoning=f"join refused by {judged.decisions[-1].guardian.name}: {reason}",
        metadata={"verb": "checkout", "role": role.name, "escalated": True},
    )


def _claim_at(session: Connection, uow: Any) -> Any:
    """The row claimed at the version it was read at, or None when it moved on."""
    try:
        return claim(session, uow.uow_id, uow.version)
    except DomainError:
        return None


def _component_name(role: RoleNode, interaction_id: uuid.UUID) -> str | None:
    components = role.inbound_from(interaction_id)
    return components[0].name if components else None


def _refuse_named(judged: Judged) -> None:
    """A named unit that a gate refuses is an error; a routing filter's no is not."""
    last = judged.decisions[-1]
    if last.guardian.type == GuardianType.DIRECTIONAL_FILTER or last.outcome == Outcome.WAIT:
        return
    raise DomainError.single(
        ErrorCode.RULE_VIOLATION,
        f"guardian {last.guardian.name!r} refuses unit of work {judged.uow.uow_id}: {last.reason}",
        ("input", "uowId"),
        last.guardian.type.value,
    )


def _explain_named(
    session: Connection, graph: InstanceGraph, role: RoleNode, uow_id: uuid.UUID
) -> None:
    """Why the named unit of work is not waiting for this role (or nothing, when it is
    waiting but a routing filter said no)."""
    row = session.execute(select(UOW).where(UOW.c.uow_id == uow_id)).first()
    if row is None or row.instance_id != graph.instance_id:
        raise DomainError.single(
            ErrorCode.NOT_FOUND, f"no unit of work with id {uow_id}", ("input", "uowId")
        )
    inbound = {c.interaction_id for c in role.inbound}
    taken = statuses_taken_by(role)
    if row.current_interaction_id not in inbound or row.status not in taken:
        where = graph.interactions[row.current_interaction_id].name
        raise DomainError.single(
            ErrorCode.INVALID_TRANSITION,
            f"unit of work {uow_id} is {row.status.value} in {where!r}; role {role.name!r} "
            f"takes {' or '.join(s.value for s in taken)} work from "
            f"{', '.join(sorted(graph.interactions[i].name for i in inbound))}",
            ("input", "uowId"),
        )
    if row.child_count:
        raise DomainError.single(
            ErrorCode.INVALID_TRANSITION,
            f"unit of work {uow_id} is waiting for its children",
            ("input", "uowId"),
        )

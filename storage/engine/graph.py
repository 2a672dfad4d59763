"""An instance's workflow graphs in memory, for routing without a query per decision.

The structure of an instance (workflows, roles, interactions, components, guardians) is
deep-copied once at instantiation and never changes afterwards, so each tier keeps the
graphs it has loaded for as long as it lives: the engine reads one instance's structure in
five statements the first time it routes there, and none after that.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select

from storage.engines import Tier
from storage.enums import ComponentDirection, GuardianType, RoleType
from storage.errors import DomainError, ErrorCode
from storage.models.graphs import LOCAL_TABLES

WORKFLOWS, ROLES, INTERACTIONS, COMPONENTS, GUARDIANS = LOCAL_TABLES
_CACHE_KEY = "engine.graphs"


@dataclass(frozen=True, slots=True)
class GuardianNode:
    guardian_id: uuid.UUID
    name: str
    type: GuardianType
    config: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ComponentNode:
    component_id: uuid.UUID
    name: str
    role_id: uuid.UUID
    interaction_id: uuid.UUID
    direction: ComponentDirection
    guardians: tuple[GuardianNode, ...]

    @property
    def priority(self) -> tuple[float, str]:
        """Outbound routes are tried in name order unless a guardian's config gives a
        numeric `priority` (lower first)."""
        given = [
            g.config["priority"]
            for g in self.guardians
            if isinstance(g.config.get("priority"), int | float)
            and not isinstance(g.config.get("priority"), bool)
        ]
        return (min(given) if given else float("inf"), self.name)

    @property
    def is_join(self) -> bool:
        return any(g.type == GuardianType.CERBERUS for g in self.guardians)


@dataclass(frozen=True, slots=True)
class RoleNode:
    role_id: uuid.UUID
    workflow_id: uuid.UUID
    name: str
    role_type: RoleType
    has_strategy: bool
    linked_workflow_id: uuid.UUID | None
    inbound: tuple[ComponentNode, ...]
    outbound: tuple[ComponentNode, ...]

    @property
    def inbound_reads_attributes(self) -> bool:
        """Whether any inbound guardian evaluates a policy (else checkout reads no
        attributes)."""
        readers = (
            GuardianType.CRITERIA_GATE,
            GuardianType.DIRECTIONAL_FILTER,
            GuardianType.COMPOSITE,
        )
        return any(g.type in readers for c in self.inbound for g in c.guardians)

    def inbound_from(self, interaction_id: uuid.UUID) -> tuple[ComponentNode, ...]:
        return tuple(c for c in self.inbound if c.interaction_id == interaction_id)


@dataclass(frozen=True, slots=True)
class InteractionNode:
    interaction_id: uuid.UUID
    workflow_id: uuid.UUID
    name: str
    stale_token_limit_seconds: int | None


@dataclass(slots=True)
class WorkflowNode:
    workflow_id: uuid.UUID
    name: str
    roles: dict[uuid.UUID, RoleNode] = field(default_factory=dict)

    def role_of_type(self, role_type: RoleType) -> RoleNode | None:
        return next((r for r in self.roles.values() if r.role_type == role_type), None)

    @property
    def entry_interaction_id(self) -> uuid.UUID | None:
        """Where new work starts: the interaction the ALPHA role feeds (first by name)."""
        alpha = self.role_of_type(RoleType.ALPHA)
        return alpha.outbound[0].interaction_id if alpha and alpha.outbound else None

    @property
    def failure_interaction_id(self) -> uuid.UUID | None:
        """Where failed work waits for remediation: the EPSILON role's first inbound."""
        epsilon = self.role_of_type(RoleType.EPSILON)
        return epsilon.inbound[0].interaction_id if epsilon and epsilon.inbound else None

    @property
    def join_interaction_id(self) -> uuid.UUID | None:
        """Where a decomposed parent waits for its children: a CERBERUS-guarded inbound."""
        joins = sorted(
            (c for r in self.roles.values() for c in r.inbound if c.is_join),
            key=lambda c: c.name,
        )
        return joins[0].interaction_id if joins else None

    def is_join(self, interaction_id: uuid.UUID) -> bool:
        return any(
            c.is_join and c.interaction_id == interaction_id
            for r in self.roles.values()
            for c in r.inbound
        )


@dataclass(slots=True)
class InstanceGraph:
    instance_id: uuid.UUID
    workflows: dict[uuid.UUID, WorkflowNode] = field(default_factory=dict)
    roles: dict[uuid.UUID, RoleNode] = field(default_factory=dict)
    interactions: dict[uuid.UUID, InteractionNode] = field(default_factory=dict)
    # What the engine derives from the graph once (per-role statements), kept beside it.
    memo: dict[Any, Any] = field(default_factory=dict)


_INSTANCE_OF_ROLE = (
    select(WORKFLOWS.c.instance_id)
    .join(ROLES, ROLES.c.local_workflow_id == WORKFLOWS.c.local_workflow_id)
    .where(ROLES.c.role_id == bindparam("b_id"))
)
_INSTANCE_OF_WORKFLOW = select(WORKFLOWS.c.instance_id).where(
    WORKFLOWS.c.local_workflow_id == bindparam("b_id")
)
_IN_INSTANCE = WORKFLOWS.c.instance_id == bindparam("b_instance_id")
_WORKFLOWS_OF = select(WORKFLOWS.c.local_workflow_id, WORKFLOWS.c.name).where(_IN_INSTANCE)


def _of_instance(table: Table) -> Any:
    return (
        select(table)
        .join(WORKFLOWS, WORKFLOWS.c.local_workflow_id == table.c.local_workflow_id)
        .where(_IN_INSTANCE)
    )


_ROLES_OF = _of_instance(ROLES)
_INTERACTIONS_OF = _of_instance(INTERACTIONS)
_COMPONENTS_OF = _of_instance(COMPONENTS).order_by(COMPONENTS.c.name)
_GUARDIANS_OF = _of_instance(GUARDIANS).order_by(GUARDIANS.c.name)


class _GraphCache:
    """The graphs a tier has loaded, found by any of their roles or workflows."""

    def __init__(self) -> None:
        self.by_role: dict[uuid.UUID, InstanceGraph] = {}
        self.by_workflow: dict[uuid.UUID, InstanceGraph] = {}

    def add(self, graph: InstanceGraph) -> InstanceGraph:
        self.by_role.update(dict.fromkeys(graph.roles, graph))
        self.by_workflow.update(dict.fromkeys(graph.workflows, graph))
        return graph


def _cache(tier: Tier) -> _GraphCache:
    cache = tier.memo.get(_CACHE_KEY)
    if cache is None:
        cache = tier.memo[_CACHE_KEY] = _GraphCache()
    return cast(_GraphCache, cache)


def graph_of_role(tier: Tier, connection: Connection, role_id: uuid.UUID) -> InstanceGraph:
    """The graph holding role `role_id`, or NOT_FOUND on `roleId`."""
    graph = _graph(tier, connection, "by_role", _INSTANCE_OF_ROLE, role_id)
    if graph is None:
        raise DomainError.single(
            ErrorCode.NOT_FOUND, f"no role with id {role_id}", ("input", "roleId")
        )
    return graph


def graph_of_workflow(tier: Tier, connection: Connection, workflow_id: uuid.UUID) -> InstanceGraph:
    """The graph holding workflow `workflow_id` (which the caller knows exists)."""
    graph = _graph(tier, connection, "by_workflow", _INSTANCE_OF_WORKFLOW, workflow_id)
    if graph is None:
        raise LookupError(f"no workflow {workflow_id}")
    return graph


def _graph(
    tier: Tier, connection: Connection, index: str, owner: Any, key: uuid.UUID
) -> InstanceGraph | None:
    """From the tier's cache, else loaded (with every graph of its instance) and kept."""
    cache = _cache(tier)
    graph: InstanceGraph | None = getattr(cache, index).get(key)
    if graph is not None:
        return graph
    instance_id = connection.scalar(owner, {"b_id": key})
    return None if instance_id is None else cache.add(_load(connection, instance_id))


def _load(connection: Connection, instance_id: uuid.UUID) -> InstanceGraph:
    params = {"b_instance_id": instance_id}
    graph = InstanceGraph(instance_id)
    for row in connection.execute(_WORKFLOWS_OF, params):
        graph.workflows[row.local_workflow_id] = WorkflowNode(row.local_workflow_id, row.name)
    for row in connection.execute(_INTERACTIONS_OF, params):
        graph.interactions[row.interaction_id] = InteractionNode(
            row.interaction_id, row.local_workflow_id, row.name, row.stale_token_limit_seconds
        )
    guardians: dict[uuid.UUID, list[GuardianNode]] = {}
    for row in connection.execute(_GUARDIANS_OF, params):
        config = row.attributes if isinstance(row.attributes, Mapping) else {}
        guardians.setdefault(row.component_id, []).append(
            GuardianNode(row.guardian_id, row.name, row.type, config)
        )
    components: dict[uuid.UUID, list[ComponentNode]] = {}
    for row in connection.execute(_COMPONENTS_OF, params):
        components.setdefault(row.role_id, []).append(
            ComponentNode(
                row.component_id,
                row.name,
                row.role_id,
                row.interaction_id,
                row.direction,
                tuple(guardians.get(row.component_id, ())),
            )
        )
    for row in connection.execute(_ROLES_OF, params):
        mine = components.get(row.role_id, [])
        outbound = sorted(
            (c for c in mine if c.direction == ComponentDirection.OUTBOUND),
            key=lambda c: c.priority,
        )
        role = RoleNode(
            row.role_id,
            row.local_workflow_id,
            row.name,
            row.role_type,
            row.decomposition_strategy is not None,
            row.linked_local_workflow_id,
            tuple(c for c in mine if c.direction == ComponentDirection.INBOUND),
            tuple(outbound),
        )
        graph.roles[row.role_id] = role
        graph.workflows[row.local_workflow_id].roles[row.role_id] = role
    return graph

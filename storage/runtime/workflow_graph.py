"""A running workflow as a graph to draw: its local copy of the template, and how many
units of work wait (PENDING) in each interaction right now. Drawing itself is
`storage.templates.graph`; this only reads the instance tier."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import Connection, Table, func, select

from storage.enums import ComponentDirection, UowStatus
from storage.models import UnitOfWorkRow
from storage.models.graphs import LOCAL_GRAPH, LOCAL_TABLES
from storage.templates.graph import GraphEdge, GraphInteraction, GraphRole, WorkflowGraph

WORKFLOWS = LOCAL_TABLES.workflows
UOWS = cast(Table, UnitOfWorkRow.__table__)


def local_workflow_graph(connection: Connection, workflow_id: uuid.UUID) -> WorkflowGraph | None:
    """The graph of one local workflow with the PENDING units per interaction; None when
    there is no such workflow. Six statements, whatever the size of the workflow."""
    graph = LOCAL_GRAPH.read(connection, workflow_id)
    if graph is None:
        return None
    workflow, roles, interactions, components, guardians = graph
    linked_ids = {r.linked_local_workflow_id for r in roles if r.linked_local_workflow_id}
    linked = dict(
        connection.execute(
            select(WORKFLOWS.c.local_workflow_id, WORKFLOWS.c.name).where(
                WORKFLOWS.c.local_workflow_id.in_(linked_ids)
            )
        ).all()
    )
    waiting: dict[uuid.UUID, int] = dict(
        connection.execute(
            select(UOWS.c.current_interaction_id, func.count())
            .where(
                UOWS.c.local_workflow_id == workflow_id,
                UOWS.c.status == UowStatus.PENDING,
            )
            .group_by(UOWS.c.current_interaction_id)
        ).all()
    )
    role_names = {r.role_id: r.name for r in roles}
    interaction_names = {i.interaction_id: i.name for i in interactions}
    by_component: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for g in guardians:
        by_component.setdefault(g.component_id, []).append((g.name, g.type.value))
    return WorkflowGraph(
        title=f"{workflow.name} v{workflow.version}",
        roles=tuple(
            GraphRole(r.name, r.role_type.value, linked.get(r.linked_local_workflow_id))
            for r in roles
        ),
        interactions=tuple(
            GraphInteraction(i.name, waiting.get(i.interaction_id, 0)) for i in interactions
        ),
        edges=tuple(
            GraphEdge(
                c.name,
                role_names[c.role_id],
                interaction_names[c.interaction_id],
                c.direction == ComponentDirection.OUTBOUND,
                tuple(by_component.get(c.component_id, ())),
            )
            for c in sorted(components, key=lambda c: (role_names[c.role_id], c.name))
        ),
    )

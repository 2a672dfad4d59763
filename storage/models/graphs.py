"""The five models of a workflow graph, alike in both tiers (a template and the local copies
of it in an instance), and their tables for Core statements, named once per tier; reading
one workflow's rows is written once for both."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Row, Table, select
from sqlalchemy.orm import DeclarativeBase

from storage.models.instance_structure import (
    LocalComponentRow,
    LocalGuardianRow,
    LocalInteractionRow,
    LocalRoleRow,
    LocalWorkflowRow,
)
from storage.models.template import (
    TemplateComponentRow,
    TemplateGuardianRow,
    TemplateInteractionRow,
    TemplateRoleRow,
    TemplateWorkflowRow,
)


class GraphTables(NamedTuple):
    workflows: Table
    roles: Table
    interactions: Table
    components: Table
    guardians: Table


class GraphRows(NamedTuple):
    """One workflow's row and its elements' rows, each list in name order."""

    workflow: Row[Any]
    roles: list[Row[Any]]
    interactions: list[Row[Any]]
    components: list[Row[Any]]
    guardians: list[Row[Any]]


class GraphModels(NamedTuple):
    workflows: type[DeclarativeBase]
    roles: type[DeclarativeBase]
    interactions: type[DeclarativeBase]
    components: type[DeclarativeBase]
    guardians: type[DeclarativeBase]
    workflow_key: str  # the column naming the workflow, on the workflow and every element

    def tables(self) -> GraphTables:
        models = (self.workflows, self.roles, self.interactions, self.components, self.guardians)
        return GraphTables(*(cast(Table, model.__table__) for model in models))

    def read(self, connection: Connection, workflow_id: uuid.UUID) -> GraphRows | None:
        """The rows of one workflow and of its elements; None when there is no such
        workflow. Five statements, whatever the size of the workflow."""
        workflows, *elements = self.tables()
        workflow = connection.execute(
            select(workflows).where(workflows.c[self.workflow_key] == workflow_id)
        ).first()
        if workflow is None:
            return None

        def of(table: Table) -> list[Row[Any]]:
            rows = connection.execute(
                select(table).where(table.c[self.workflow_key] == workflow_id)
            )
            return sorted(rows, key=lambda row: row.name)

        return GraphRows(workflow, *(of(table) for table in elements))


TEMPLATE_GRAPH = GraphModels(
    TemplateWorkflowRow,
    TemplateRoleRow,
    TemplateInteractionRow,
    TemplateComponentRow,
    TemplateGuardianRow,
    "workflow_id",
)
LOCAL_GRAPH = GraphModels(
    LocalWorkflowRow,
    LocalRoleRow,
    LocalInteractionRow,
    LocalComponentRow,
    LocalGuardianRow,
    "local_workflow_id",
)
TEMPLATE_TABLES = TEMPLATE_GRAPH.tables()
LOCAL_TABLES = LOCAL_GRAPH.tables()

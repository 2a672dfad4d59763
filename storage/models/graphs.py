"""The five models of a workflow graph, alike in both tiers (a template and the local copies
of it in an instance), and their tables for Core statements, named once per tier."""

from __future__ import annotations

from typing import NamedTuple, cast

from sqlalchemy import Table
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

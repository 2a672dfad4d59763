"""The caller's instances as a WHERE condition on any instance-tier row (SPEC 8).

The one place the compiled read path narrows rows to `Caller.instance_ids`: every table it
reads is aliased through `visible`, so no nested field can reach another instance's rows.
Tables without an `instance_id` column reach it through their workflow (or role).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import ColumnElement, FromClause, Table, select

from storage.models import AssignmentRow, InstanceBase, LocalRoleRow, LocalWorkflowRow

_WORKFLOWS = cast(Table, LocalWorkflowRow.__table__)
_ROLES = cast(Table, LocalRoleRow.__table__)
_ASSIGNMENTS = cast(Table, AssignmentRow.__table__)


def visible(
    table: Table, alias: FromClause, instance_ids: Collection[uuid.UUID] | None
) -> list[ColumnElement[bool]]:
    """Conditions keeping `alias` (of `table`) to the caller's instances; none for all."""
    if instance_ids is None or table.metadata is not InstanceBase.metadata:
        return []
    ids = sorted(instance_ids)
    columns: Any = alias.c
    if "instance_id" in columns:
        return [columns.instance_id.in_(ids)]
    workflows = select(_WORKFLOWS.c.local_workflow_id).where(_WORKFLOWS.c.instance_id.in_(ids))
    if "local_workflow_id" in columns:
        return [columns.local_workflow_id.in_(workflows)]
    if table is _ASSIGNMENTS:
        roles = select(_ROLES.c.role_id).where(_ROLES.c.local_workflow_id.in_(workflows))
        return [columns.role_id.in_(roles)]
    raise LookupError(f"no instance scope known for table {table.name}")

"""Every paginated list of the API, defined once: its rows, parent key and stable order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select, union

from resolvers.loaders import PARENT_KEY, Conditions, PagedList, table_of
from storage.enums import ComponentDirection
from storage.models import (
    InstanceRow,
    InteractionLogRow,
    LocalComponentRow,
    TemplateAuditRow,
    TemplateWorkflowRow,
    UnitOfWorkRow,
    UowAttributeRow,
    UowHistoryRow,
)

UOW_ORDER = ("created_at", "uow_id")

TEMPLATES = PagedList.everything(TemplateWorkflowRow, ("created_at", "workflow_id"))
TEMPLATE_AUDIT = PagedList.everything(TemplateAuditRow, ("audit_id",))
INSTANCES = PagedList.everything(InstanceRow, ("deployment_date", "instance_id"))
UOWS_OF_INSTANCE = PagedList.by_column(UnitOfWorkRow, "instance_id", UOW_ORDER)
UOWS_OF_WORKFLOW = PagedList.by_column(UnitOfWorkRow, "local_workflow_id", UOW_ORDER)
UOWS_OF_INTERACTION = PagedList.by_column(UnitOfWorkRow, "current_interaction_id", UOW_ORDER)
CHILDREN_OF_UOW = PagedList.by_column(UnitOfWorkRow, "parent_id", UOW_ORDER)
HISTORY_OF_UOW = PagedList.by_column(
    UowHistoryRow, "uow_id", ("transition_timestamp", "history_id")
)
ATTRIBUTE_HISTORY_OF_UOW = PagedList.by_column(
    UowAttributeRow, "uow_id", ("created_at", "attribute_id")
)
# Logs in the order events happened (an entry recorded before a transition but flushed after
# it keeps its place), then by id.
LOGS_OF_INSTANCE = PagedList.by_column(InteractionLogRow, "instance_id", ("timestamp", "log_id"))
LOGS_OF_UOW = PagedList.by_column(InteractionLogRow, "uow_id", ("timestamp", "log_id"))


def _uows_of_role(keys: Sequence[object], conditions: Conditions) -> Select[object]:
    """UOWs waiting in a role's inbound interactions, or checked out under the role."""
    uows = table_of(UnitOfWorkRow)
    components = table_of(LocalComponentRow)
    queued = (
        select(uows, components.c.role_id.label(PARENT_KEY))
        .join(components, components.c.interaction_id == uows.c.current_interaction_id)
        .where(
            components.c.role_id.in_(keys),
            components.c.direction == ComponentDirection.INBOUND,
            *conditions,
        )
    )
    held = select(uows, uows.c.current_role_id.label(PARENT_KEY)).where(
        uows.c.current_role_id.in_(keys), *conditions
    )
    compound = union(queued, held).subquery("role_uows")
    return select(compound)


UOWS_OF_ROLE = PagedList("UnitsOfWork.role", table_of(UnitOfWorkRow), UOW_ORDER, _uows_of_role)

"""Units of work and their records: attributes, history, interaction logs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import instances, lists, uows
from resolvers.filters import Filter, attribute_filter, log_filter, uow_filter
from resolvers.loaders import PagedList, paged
from resolvers.pagination import Slice, page_args
from schema.base import (
    After,
    Before,
    Connection,
    First,
    Info,
    Last,
    OfLogTypes,
    OfStatus,
    Row,
    id_field,
)
from schema.describe import described_by
from schema.enums import LogType, UowStatus
from schema.lazy import ActorT, InstanceT, InteractionT, RoleT, WorkflowT
from schema.node import Node
from storage import models


async def page_of(
    info: Info,
    spec: PagedList,
    key: Any,
    requested: Slice,
    row_filter: Filter = ((), None),
) -> Any:
    """One parent's page of `spec`, filtered; the shape every connection field shares."""
    args = page_args(requested, info.context.max_page_size)
    conditions, condition_key = row_filter
    return await paged(info.context, spec, args, conditions, condition_key).load(key)


async def uow_connection(
    info: Info,
    spec: PagedList,
    key: Any,
    requested: Slice,
    row_filter: Filter = ((), None),
) -> UnitOfWorkConnection:
    page = await page_of(info, spec, key, requested, row_filter)
    return UnitOfWorkConnection.of(page, "uow_id")


def logs_of(spec: PagedList, key: str, description: str) -> Any:
    """A field listing the interaction log entries of `spec` under the parent's column
    `key`, paged and filtered by type."""

    async def resolve(
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        log_types: OfLogTypes = None,
    ) -> InteractionLogConnection:
        requested = (first, after, last, before)
        page = await page_of(info, spec, getattr(root, key), requested, log_filter(log_types))
        return InteractionLogConnection.of(page, "log_id")

    return strawberry.field(resolver=resolve, description=description)


async def _attribute_history(
    root: Row,
    info: Info,
    key: Annotated[
        str | None, strawberry.argument(description="Only the versions of this key.")
    ] = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> UowAttributeConnection:
    spec = lists.ATTRIBUTE_HISTORY_OF_UOW
    page = await page_of(
        info, spec, root.uow_id, (first, after, last, before), attribute_filter(key)
    )
    return UowAttributeConnection.of(page, "attribute_id")


async def _history(
    root: Row,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> UowHistoryConnection:
    page = await page_of(info, lists.HISTORY_OF_UOW, root.uow_id, (first, after, last, before))
    return UowHistoryConnection.of(page, "history_id")


def uows_by_status(spec: PagedList, key: str, description: str) -> Any:
    """A field listing the units of work of `spec` under the parent's column `key`, paged
    and filtered by status: the shape of every such list but the instance's own."""

    async def resolve(
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: OfStatus = None,
    ) -> UnitOfWorkConnection:
        requested = (first, after, last, before)
        return await uow_connection(
            info, spec, getattr(root, key), requested, uow_filter(status=status)
        )

    return strawberry.field(resolver=resolve, description=description)


@described_by(models.UowAttributeRow)
@strawberry.type(description="The current value of one attribute of a unit of work.")
class UowAttribute(Node):
    id: strawberry.ID = id_field("attribute_id")
    key: str
    value: JSON | None
    version: int
    reasoning: str | None
    created_at: datetime
    actor: ActorT | None = strawberry.field(resolver=instances.actor)


@described_by(models.UnitOfWorkRow)
@strawberry.type(description="A token of work moving through a workflow's interactions.")
class UnitOfWork(Node):
    id: strawberry.ID = id_field("uow_id")
    status: UowStatus
    child_count: int
    finished_child_count: int
    content_hash: str
    version: int
    retry_count: int
    last_heartbeat_at: datetime | None
    created_at: datetime
    updated_at: datetime
    instance: InstanceT = strawberry.field(resolver=instances.instance)
    workflow: WorkflowT = strawberry.field(
        resolver=uows.workflow, description="The workflow the unit of work runs in."
    )
    parent: UnitOfWork | None = strawberry.field(resolver=uows.parent)
    children: UnitOfWorkConnection = uows_by_status(
        lists.CHILDREN_OF_UOW,
        "uow_id",
        "Child units of work created by decomposition, oldest first.",
    )
    current_interaction: InteractionT = strawberry.field(resolver=uows.current_interaction)
    current_role: RoleT | None = strawberry.field(resolver=uows.current_role)
    locked_by: ActorT | None = strawberry.field(
        resolver=uows.locked_by, description="The actor holding the unit of work, if any."
    )
    attributes: list[UowAttribute] = strawberry.field(
        resolver=uows.attributes, description="Current attributes: the newest version of each key."
    )

    attribute_history: UowAttributeConnection = strawberry.field(
        resolver=_attribute_history,
        description="Every version of the attributes (one key, if given), oldest first.",
    )
    history: UowHistoryConnection = strawberry.field(
        resolver=_history, description="Every committed change of status or location, oldest first."
    )
    logs: InteractionLogConnection = logs_of(
        lists.LOGS_OF_UOW,
        "uow_id",
        "The interaction log entries about this unit of work, oldest first.",
    )


@described_by(models.UowHistoryRow)
@strawberry.type(description="One committed change of a unit of work's status or location.")
class UowHistoryEntry(Node):
    id: strawberry.ID = id_field("history_id")
    previous_status: UowStatus | None
    new_status: UowStatus
    previous_state_hash: str | None
    new_state_hash: str
    transition_timestamp: datetime
    reasoning: str | None
    transition_metadata: JSON | None
    uow: UnitOfWork = strawberry.field(resolver=uows.uow)
    actor: ActorT | None = strawberry.field(resolver=instances.actor)

    dropped: int = strawberry.field(
        resolver=uows.dropped,
        description="On a `uowTransitions` subscription: transitions this subscriber lost to "
        "overflow since its previous one. 0 elsewhere (a query, a payload, a `telemetry` "
        "event, which counts its losses in its own `dropped`).",
    )
    previous_interaction: InteractionT | None = strawberry.field(resolver=uows.previous_interaction)
    new_interaction: InteractionT = strawberry.field(resolver=uows.new_interaction)


@described_by(models.InteractionLogRow)
@strawberry.type(description="An entry of an instance's append-only event log.")
class InteractionLog(Node):
    id: strawberry.ID = id_field("log_id")
    log_id: strawberry.ID = id_field("log_id")
    log_type: LogType
    timestamp: datetime
    event_details: JSON | None
    error_metadata: JSON | None
    instance: InstanceT = strawberry.field(resolver=instances.instance)
    uow: UnitOfWork | None = strawberry.field(resolver=uows.uow)
    actor: ActorT | None = strawberry.field(resolver=instances.actor)
    role: RoleT | None = strawberry.field(resolver=instances.role)
    interaction: InteractionT | None = strawberry.field(resolver=uows.interaction)


@strawberry.type(description="A page of units of work.")
class UnitOfWorkConnection(Connection[UnitOfWork]):
    pass


@strawberry.type(description="A page of attribute versions.")
class UowAttributeConnection(Connection[UowAttribute]):
    pass


@strawberry.type(description="A page of history entries.")
class UowHistoryConnection(Connection[UowHistoryEntry]):
    pass


@strawberry.type(description="A page of interaction log entries.")
class InteractionLogConnection(Connection[InteractionLog]):
    pass

"""Units of work and their records: attributes, history, interaction logs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import lists
from resolvers.attributes import current_attributes
from resolvers.filters import Filter, attribute_filter, log_filter, uow_filter
from resolvers.loaders import PagedList, by_id, paged
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
from schema.describe import described_by, field
from schema.enums import LogType, UowStatus
from schema.node import Node
from storage.models import (
    ActorRow,
    InstanceRow,
    InteractionLogRow,
    LocalInteractionRow,
    LocalRoleRow,
    LocalWorkflowRow,
    UnitOfWorkRow,
    UowAttributeRow,
    UowHistoryRow,
)

if TYPE_CHECKING:
    from schema.actors import Actor
    from schema.instances import Instance, LocalInteraction, LocalRole, LocalWorkflow

InstanceT = Annotated["Instance", strawberry.lazy("schema.instances")]
WorkflowT = Annotated["LocalWorkflow", strawberry.lazy("schema.instances")]
InteractionT = Annotated["LocalInteraction", strawberry.lazy("schema.instances")]
RoleT = Annotated["LocalRole", strawberry.lazy("schema.instances")]
ActorT = Annotated["Actor", strawberry.lazy("schema.actors")]


async def _maybe(info: Info, model: Any, key: Any) -> Any:
    return None if key is None else await by_id(info.context, model).load(key)


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


@described_by(UowAttributeRow)
@strawberry.type(description="The current value of one attribute of a unit of work.")
class UowAttribute(Node):
    id: strawberry.ID = id_field("attribute_id")
    key: str
    value: JSON | None
    version: int
    reasoning: str | None
    created_at: datetime

    @strawberry.field
    async def actor(self, root: Row, info: Info) -> ActorT | None:
        return await _maybe(info, ActorRow, root.actor_id)


@described_by(UnitOfWorkRow)
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

    @strawberry.field
    async def instance(self, root: Row, info: Info) -> InstanceT:
        return await by_id(info.context, InstanceRow).load(root.instance_id)

    @field("The workflow the unit of work runs in.")
    async def workflow(self, root: Row, info: Info) -> WorkflowT:
        return await by_id(info.context, LocalWorkflowRow).load(root.local_workflow_id)

    @strawberry.field
    async def parent(self, root: Row, info: Info) -> UnitOfWork | None:
        return await _maybe(info, UnitOfWorkRow, root.parent_id)

    @field("Child units of work created by decomposition, oldest first.")
    async def children(
        self,
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: OfStatus = None,
    ) -> UnitOfWorkConnection:
        return await uow_connection(
            info,
            lists.CHILDREN_OF_UOW,
            root.uow_id,
            (first, after, last, before),
            uow_filter(status=status),
        )

    @strawberry.field
    async def current_interaction(self, root: Row, info: Info) -> InteractionT:
        return await by_id(info.context, LocalInteractionRow).load(root.current_interaction_id)

    @strawberry.field
    async def current_role(self, root: Row, info: Info) -> RoleT | None:
        return await _maybe(info, LocalRoleRow, root.current_role_id)

    @field("The actor holding the unit of work, if any.")
    async def locked_by(self, root: Row, info: Info) -> ActorT | None:
        return await _maybe(info, ActorRow, root.locked_by_actor_id)

    @field("Current attributes: the newest version of each key.")
    async def attributes(self, root: Row, info: Info) -> list[UowAttribute]:
        return await current_attributes(info.context).load(root.uow_id)

    @field("Every version of the attributes (one key, if given), oldest first.")
    async def attribute_history(
        self,
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

    @field("Every committed change of status or location, oldest first.")
    async def history(
        self,
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> UowHistoryConnection:
        page = await page_of(info, lists.HISTORY_OF_UOW, root.uow_id, (first, after, last, before))
        return UowHistoryConnection.of(page, "history_id")

    @field("The interaction log entries about this unit of work, oldest first.")
    async def logs(
        self,
        root: Row,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        log_types: OfLogTypes = None,
    ) -> InteractionLogConnection:
        page = await page_of(
            info,
            lists.LOGS_OF_UOW,
            root.uow_id,
            (first, after, last, before),
            log_filter(log_types),
        )
        return InteractionLogConnection.of(page, "log_id")


@described_by(UowHistoryRow)
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

    @strawberry.field
    async def uow(self, root: Row, info: Info) -> UnitOfWork:
        return await by_id(info.context, UnitOfWorkRow).load(root.uow_id)

    @strawberry.field
    async def actor(self, root: Row, info: Info) -> ActorT | None:
        return await _maybe(info, ActorRow, root.actor_id)

    @field(
        "On a `uowTransitions` subscription: transitions this subscriber lost to overflow "
        "since its previous one. 0 elsewhere (a query, a payload, a `telemetry` event, "
        "which counts its losses in its own `dropped`)."
    )
    def dropped(self, root: Row) -> int:
        # Only the subscription's records carry a count; rows have none.
        dropped: int = getattr(root, "dropped", 0)
        return dropped

    @strawberry.field
    async def previous_interaction(self, root: Row, info: Info) -> InteractionT | None:
        return await _maybe(info, LocalInteractionRow, root.previous_interaction_id)

    @strawberry.field
    async def new_interaction(self, root: Row, info: Info) -> InteractionT:
        return await by_id(info.context, LocalInteractionRow).load(root.new_interaction_id)


@described_by(InteractionLogRow)
@strawberry.type(description="An entry of an instance's append-only event log.")
class InteractionLog(Node):
    id: strawberry.ID = id_field("log_id")
    log_id: strawberry.ID = id_field("log_id")
    log_type: LogType
    timestamp: datetime
    event_details: JSON | None
    error_metadata: JSON | None

    @strawberry.field
    async def instance(self, root: Row, info: Info) -> InstanceT:
        return await by_id(info.context, InstanceRow).load(root.instance_id)

    @strawberry.field
    async def uow(self, root: Row, info: Info) -> UnitOfWork | None:
        return await _maybe(info, UnitOfWorkRow, root.uow_id)

    @strawberry.field
    async def actor(self, root: Row, info: Info) -> ActorT | None:
        return await _maybe(info, ActorRow, root.actor_id)

    @strawberry.field
    async def role(self, root: Row, info: Info) -> RoleT | None:
        return await _maybe(info, LocalRoleRow, root.role_id)

    @strawberry.field
    async def interaction(self, root: Row, info: Info) -> InteractionT | None:
        return await _maybe(info, LocalInteractionRow, root.interaction_id)


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

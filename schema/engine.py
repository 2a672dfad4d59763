"""The engine's answers: where a submit sent a unit of work, and the verbs' payloads."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.loaders import load_optional
from schema.base import Info, from_record
from schema.describe import field
from schema.enums import RouteKind
from schema.errors import ERRORS, UserError
from schema.lazy import ComponentT, GuardianT, InteractionT
from schema.uows import UnitOfWork, UowHistoryEntry
from storage import models


@strawberry.type(description="How the engine decided where a submitted unit of work goes.")
class Route:
    kind: RouteKind = strawberry.field(description="Which rule decided.")
    reason: str = strawberry.field(description="The deciding guardian's verdict, in words.")
    component_name: str | None = strawberry.field(
        description="The OUTBOUND component taken (ROUTED, RETURNED)."
    )
    guardian_name: str | None = strawberry.field(
        description="The last guardian of that component that judged the unit."
    )
    interaction_id: strawberry.Private[Any]
    component_id: strawberry.Private[Any]
    guardian_id: strawberry.Private[Any]

    @field("The interaction the unit of work went to.")
    async def interaction(self, info: Info) -> InteractionT | None:
        return await load_optional(info.context, models.LocalInteractionRow, self.interaction_id)

    @field("The OUTBOUND component taken, if one decided.")
    async def component(self, info: Info) -> ComponentT | None:
        return await load_optional(info.context, models.LocalComponentRow, self.component_id)

    @field("The guardian that decided, if one did.")
    async def guardian(self, info: Info) -> GuardianT | None:
        return await load_optional(info.context, models.LocalGuardianRow, self.guardian_id)


def route_of(route: Any) -> Route | None:
    return None if route is None else from_record(Route, route)


@strawberry.type(description="What an engine verb did to the unit of work.")
class EnginePayload:
    """The unit's own move as the service wrote it (no read-back on the hot path)."""

    result: strawberry.Private[Any] = None
    errors: list[UserError] = strawberry.field(description=ERRORS)

    @field("The unit of work after the move (null: nothing taken).")
    def uow(self) -> UnitOfWork | None:
        main = None if self.result is None else self.result.main
        return None if main is None else main.uow

    @field("The history entry of the unit's move.")
    def history_entry(self) -> UowHistoryEntry | None:
        main = None if self.result is None else self.result.main
        return None if main is None else main.history


@strawberry.type(description="checkout: the unit of work taken, or null when none is eligible.")
class CheckoutPayload(EnginePayload):
    pass


@strawberry.type(description="submit: the unit of work, where it went and why.")
class SubmitPayload(EnginePayload):
    @field("The component/guardian (or rule) that decided.")
    def route(self) -> Route | None:
        return None if self.result is None else route_of(self.result.route)

    @field("Units created by this submit (decomposition, gateway).")
    def children(self) -> list[UnitOfWork]:
        return [] if self.result is None else [child.uow for child in self.result.children]


@strawberry.type(description="reportFailure: the unit of work, now FAILED at EPSILON's inbound.")
class ReportFailurePayload(EnginePayload):
    pass
